#include "web/web_lookup.h"

namespace ringcast {

namespace {

WebLookup of_kind(WebLookup::Kind kind) {
    WebLookup l;
    l.kind = kind;
    return l;
}

}  // namespace

WebLookup resolve_web_path(const WebPath& path, const WebFind& find) {
    switch (path.kind) {
        case WebPath::Kind::invalid: {
            WebLookup l = of_kind(WebLookup::Kind::invalid);
            l.problem = path.why;
            return l;
        }
        case WebPath::Kind::not_pages:
        case WebPath::Kind::hidden: return of_kind(WebLookup::Kind::not_found);
        case WebPath::Kind::page:
            return of_kind(find(path.rel + "/index.html", nullptr) ? WebLookup::Kind::redirect
                                                                   : WebLookup::Kind::not_found);
        case WebPath::Kind::page_file: break;
    }
    WebLookup l;
    if (path.folder()) {
        if (!find(path.rel + "index.html", &l)) l.kind = WebLookup::Kind::not_found;
        return l;
    }
    if (find(path.rel, &l)) return l;
    return of_kind(find(path.rel + "/index.html", nullptr) ? WebLookup::Kind::redirect
                                                           : WebLookup::Kind::not_found);
}

}  // namespace ringcast

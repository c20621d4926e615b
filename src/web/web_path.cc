#include "web/web_path.h"

#include <fmt/format.h>

#include "http/query.h"

namespace ringcast {

namespace {

WebPath refuse(std::string why) {
    WebPath p;
    p.kind = WebPath::Kind::invalid;
    p.why = std::move(why);
    return p;
}

// What a decoded segment may not hold: it would change what the path names.
bool forbidden_byte(unsigned char c) {
    return c < 0x20 || c == 0x7f || c == '/' || c == '\\';
}

}  // namespace

WebPath parse_web_path(std::string_view path) {
    WebPath p;
    if (path.size() < 2 || path.front() != '/') return p;  // "/" and the odd target: not pages
    path.remove_prefix(1);
    const bool folder = path.back() == '/';
    if (folder) path.remove_suffix(1);

    bool hidden = false;
    size_t segments = 0;
    while (true) {
        const size_t slash = path.find('/');
        const std::string_view raw = path.substr(0, slash);
        if (raw.empty()) return refuse("the path has an empty segment (\"//\")");
        std::optional<std::string> seg = percent_decode(raw, /*plus_is_space=*/false);
        if (!seg) return refuse("the path has a malformed %-escape");
        for (unsigned char c : *seg)
            if (forbidden_byte(c))
                return refuse(fmt::format("a path segment may not hold byte 0x{:02x}", c));
        if (*seg == "." || *seg == "..") return refuse("the path has a \".\" or \"..\" segment");
        if (segments == 0 && *seg == "api") return WebPath{};  // the API's, never a page
        if (seg->front() == '.') hidden = true;
        p.rel += *seg;
        ++segments;
        if (slash == std::string_view::npos) break;
        p.rel += '/';
        path.remove_prefix(slash + 1);
    }
    if (folder) p.rel += '/';
    if (hidden) {
        p.kind = WebPath::Kind::hidden;
    } else if (segments == 1 && !folder) {
        p.kind = WebPath::Kind::page;
    } else {
        p.kind = WebPath::Kind::page_file;
    }
    return p;
}

}  // namespace ringcast

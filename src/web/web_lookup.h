#pragma once
// What a page's path resolves to: a file, a redirect to the folder's slash, or
// nothing. The one rule, for the embedded pages and a web root alike:
//   "/demo/"         -> demo/index.html
//   "/demo/app.js"   -> demo/app.js
//   "/demo"          -> 308 to "/demo/" when demo/index.html exists (a page's
//                       name alone is never a file: pages are folders)
//   "/demo/img"      -> the file demo/img, else 308 to "/demo/img/" when
//                       demo/img/index.html exists
// Anything else is not found.
#include <functional>
#include <memory>
#include <string>

#include "web/web_file.h"
#include "web/web_path.h"

namespace ringcast {

// A web root's file: the bytes a WebFile views, owned with it.
struct WebFileData {
    std::string bytes;
    std::string gzip;
    std::string hash;
};

struct WebLookup {
    enum class Kind {
        file,       // `file`
        redirect,   // to the same path with a slash
        not_found,  // 404
        invalid,    // a path refused (400): `problem` says why
        failed,     // a web root's file that could not be read (500); logged
    };
    Kind kind = Kind::not_found;
    WebFile file;
    std::string problem;
    std::unique_ptr<WebFileData> data;  // what `file` views, for a web root's file
};

// `find(rel, out)`: whether `rel` ("demo/app.js") is a file; if so and `out` is
// not null, fills *out (a file, or `failed`). Called with out == nullptr where
// only existence matters (a redirect).
using WebFind = std::function<bool(const std::string& rel, WebLookup* out)>;

WebLookup resolve_web_path(const WebPath& path, const WebFind& find);

}  // namespace ringcast

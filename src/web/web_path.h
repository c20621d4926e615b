#pragma once
// Where a request path points among the pages: checked and decoded before any
// file is looked for, the one place that decides what a path may name. The
// pages are /<page>/...: the first segment names a page, and the API's /api is
// never one of them.
//
// A path is refused (400) if it could name something outside the pages, or
// names it in a way browsers never send: a "." or ".." segment, encoded or not
// (browsers resolve those before sending), an empty segment ("//"), a malformed
// %-escape, or an escape that decodes to '/', '\', NUL or another control
// character. Segments starting with '.' (".git", the build's marker file) are
// never served: not found.
#include <string>
#include <string_view>

namespace ringcast {

struct WebPath {
    enum class Kind {
        page_file,  // a file or folder inside a page: see `rel` and `folder`
        page,       // "/demo": a page's name without its slash (redirected to "/demo/")
        not_pages,  // "/", "/api...": not the pages' (the caller's usual 404)
        hidden,     // a segment starts with '.': never served (404)
        invalid,    // refused (400): `why` says what is wrong
    };
    Kind kind = Kind::not_pages;
    // Decoded, '/'-separated, no leading slash: "demo/app.js", "demo/img" or,
    // for a folder ("/demo/", "/demo/img/"), "demo/" and "demo/img/".
    std::string rel;
    std::string why;

    bool folder() const { return !rel.empty() && rel.back() == '/'; }
};

// `path` as it came in the request target (before '?', still %-encoded).
WebPath parse_web_path(std::string_view path);

}  // namespace ringcast

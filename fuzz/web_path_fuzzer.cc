// Request paths of the pages (src/web/web_path), then the lookup over a small
// embedded table (src/web/web_lookup, web_pages). An input is a request path,
// as it stands in a request target before '?'.
//
// Properties: what a path may name stays inside the pages: no ".", ".." or
// empty segment, no '\', NUL or control byte, no leading '/', never the API;
// a refusal says why and names nothing; a path of the pages and the same path
// %-encoded name the same file; and the lookup finds only files of the table,
// or the redirect of a page whose index it holds.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "web/web_pages.h"
#include "web/web_path.h"

namespace ringcast::fuzz {
namespace {

constexpr EmbeddedFile kFiles[] = {
    {"admin/app.js", "a", "", "h"},
    {"demo/app.js", "b", "", "h"},
    {"demo/img/index.html", "c", "", "h"},
    {"demo/index.html", "d", "", "h"},
};

// Every byte but '/' as %XX: the same path, spelled another way.
std::string encode_segments(std::string_view path) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : path) {
        if (c == '/') {
            out += '/';
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

void check_named(const WebPath& p) {
    using Kind = WebPath::Kind;
    if (p.kind == Kind::invalid) {
        check(!p.why.empty(), "a refusal without a reason");
        check(p.rel.empty(), "a refused path still names something");
        return;
    }
    if (p.kind == Kind::not_pages) {
        check(p.rel.empty(), "a path outside the pages names something");
        return;
    }
    std::string_view rel = p.rel;
    check(!rel.empty() && rel.front() != '/', "a name that is empty or absolute");
    if (p.folder()) rel.remove_suffix(1);
    size_t segments = 0;
    while (true) {
        const size_t slash = rel.find('/');
        const std::string_view seg = rel.substr(0, slash);
        check(!seg.empty(), "an empty segment");
        check(seg != "." && seg != "..", "a dot segment");
        for (unsigned char c : seg)
            check(c >= 0x20 && c != 0x7f && c != '\\', "a control byte or backslash");
        check(segments > 0 || seg != "api", "the API named as a page");
        check(p.kind == Kind::hidden || seg.front() != '.', "a hidden segment not marked hidden");
        ++segments;
        if (slash == std::string_view::npos) break;
        rel.remove_prefix(slash + 1);
    }
    if (p.kind != Kind::hidden)
        check((p.kind == Kind::page) == (segments == 1 && !p.folder()), "a page name miscounted");
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    using namespace ringcast::fuzz;
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const WebPath p = parse_web_path(input);
    check_named(p);

    // The same path with every byte %-encoded names the same thing, unless
    // the plain spelling held a byte that means something once decoded ('%').
    if (p.kind != WebPath::Kind::invalid && input.find('%') == std::string_view::npos &&
        !input.empty() && input.front() == '/') {
        const WebPath q = parse_web_path("/" + encode_segments(input.substr(1)));
        check(q.kind == p.kind && q.rel == p.rel, "an encoded path names something else");
    }

    static const WebPages pages({.enabled = true, .root = "", .files = kFiles}, nullptr, 0);
    const WebLookup l = pages.find(p);
    switch (l.kind) {
        case WebLookup::Kind::file: {
            bool in_table = false;
            for (const EmbeddedFile& f : kFiles)
                in_table |= f.bytes == l.file.bytes;
            check(in_table, "a file found that the table does not hold");
            break;
        }
        case WebLookup::Kind::redirect:
            check(!p.folder() && (p.rel == "demo" || p.rel == "demo/img"),
                  "a redirect to a folder without an index");
            break;
        case WebLookup::Kind::invalid:
            check(p.kind == WebPath::Kind::invalid, "a lookup refused a path the parser took");
            break;
        case WebLookup::Kind::not_found: break;
        case WebLookup::Kind::failed: fail("the embedded table failed a lookup");
    }
    return 0;
}

#include "web/content_type.h"

#include <strings.h>

namespace ringcast {

namespace {

struct Type {
    std::string_view extension;  // after the last '.'
    std::string_view type;
};

// What esbuild writes and what pages commonly hold.
constexpr Type kTypes[] = {
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"wasm", "application/wasm"},
};

}  // namespace

std::string_view content_type_for(std::string_view path) {
    const size_t dot = path.rfind('.');
    const size_t slash = path.rfind('/');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
        return "application/octet-stream";
    const std::string_view ext = path.substr(dot + 1);
    for (const Type& t : kTypes)
        if (t.extension.size() == ext.size() &&
            strncasecmp(t.extension.data(), ext.data(), ext.size()) == 0)
            return t.type;
    return "application/octet-stream";
}

}  // namespace ringcast

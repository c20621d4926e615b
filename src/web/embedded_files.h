#pragma once
// The pages built into ringcastd: web/build.mjs bundles them at build time and
// tools/embed_web.py turns the result into the table behind
// embedded_web_files(), a source generated in the build directory that only
// the ringcastd executable links (its main passes the table on), so the engine
// library, its tests and the fuzz targets never need the web build.
#include <span>
#include <string_view>

namespace ringcast {

struct EmbeddedFile {
    std::string_view path;  // "demo/index.html": <page>/<file>, as URLs name it
    std::string_view bytes;
    std::string_view gzip;  // gzip at level 9; "" when that was not smaller
    std::string_view hash;  // web_hash(bytes) (web_file.h), computed at build time
};

// Sorted by path; empty when no page was built.
std::span<const EmbeddedFile> embedded_web_files();

}  // namespace ringcast

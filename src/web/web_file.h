#pragma once
// One file of a page as it is answered, wherever it came from (the embedded
// table or a web root), and the two things both sources make of its bytes the
// same way: the hash its ETag is made of, and its gzip form.
#include <string>
#include <string_view>

namespace ringcast {

struct WebFile {
    std::string_view content_type;  // content_type.h
    std::string_view bytes;
    std::string_view gzip;  // the same, gzip-compressed; "" when that is not smaller
    std::string_view hash;  // web_hash(bytes)
};

// The first 128 bits of the SHA-256 of `bytes`, as 32 lower-case hex digits
// (tools/embed_web.py computes the same at build time).
std::string web_hash(std::string_view bytes);

// `bytes` gzip-compressed with zlib at level 9, or "" when that is not smaller
// (tools/embed_web.py does the same at build time).
std::string gzip_if_smaller(std::string_view bytes);

}  // namespace ringcast

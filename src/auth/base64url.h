#pragma once
// Base64url without padding (RFC 4648 §5, as JWTs use it), decoded strictly.
//
// Strict so that a segment decodes to exactly one byte string or the token is
// malformed: lenient decoders (libjwt's skips what it does not understand) let
// several spellings of one token through.
#include <string>
#include <string_view>

namespace ringcast {

// Appends the decoding of `in` to *out. False (and *out unspecified) on any
// character outside [A-Za-z0-9_-], on '=' padding, on a length that no encoding
// has (4n + 1), and on non-zero bits left over in the last character, so that
// every byte string has exactly one accepted spelling.
bool base64url_decode(std::string_view in, std::string* out);

std::string base64url_encode(std::string_view in);

}  // namespace ringcast

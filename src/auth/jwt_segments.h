#pragma once
// The three segments of a compact JWS token: header.payload.signature, each
// base64url without padding (RFC 7515 §7.1).
#include <cstddef>
#include <string>
#include <string_view>

namespace ringcast {

struct JwtSegments {
    std::string header;              // decoded: the JSON text of the protected header
    std::string payload;             // decoded: the JSON text of the claims
    std::string signature;           // decoded: empty = the token carries no signature
    size_t signing_input_bytes = 0;  // "header.payload": the token's first bytes, signed
};

// Splits `token` at its two dots and decodes every segment strictly (see
// base64url.h). False with *error (naming the segment) for any other shape,
// including JWE's five segments and an empty header or payload. The signature is
// only checked for form here; JwsSignatureKey checks its value.
bool decode_jwt_segments(std::string_view token, JwtSegments* out, std::string* error);

}  // namespace ringcast

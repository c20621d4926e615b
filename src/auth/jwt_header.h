#pragma once
// The JOSE header of a token, read before any signature is checked: a token that
// claims any algorithm but the configured one is refused unverified.
#include <string>
#include <string_view>

#include <simdjson.h>

namespace ringcast {

struct JwtHeader {
    std::string alg;
    // "kid" when it is a string ("" otherwise): ringcastd's own stream tokens
    // name kStreamTokenKid (stream_token.h), which picks their key.
    std::string kid;
    // The header names "alg" more than once. JSON parsers disagree on which
    // occurrence wins (simdjson the first, jansson the last), so such a header
    // could show us one algorithm and the issuer's or a proxy's library another.
    bool alg_repeated = false;
    // The header lists critical extensions ("crit"), which RFC 7515 §4.1.11
    // requires a verifier that does not implement them to refuse.
    bool has_crit = false;
    // "typ" is a string other than "JWT" (in any case), e.g. RFC 9068's "at+jwt":
    // explicit typing marks a token minted for another purpose (RFC 8725 §3.11),
    // which must not open a stream just because its signature is good.
    bool foreign_typ = false;
};

// False with *error when `json` is not a JSON object with a string "alg".
bool read_jwt_header(simdjson::dom::parser& parser, std::string_view json, JwtHeader* out,
                     std::string* error);

}  // namespace ringcast

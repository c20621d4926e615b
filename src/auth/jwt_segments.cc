#include "auth/jwt_segments.h"

#include "auth/base64url.h"

namespace ringcast {

bool decode_jwt_segments(std::string_view token, JwtSegments* out, std::string* error) {
    size_t dot1 = token.find('.');
    size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
        *error = "token is not three segments separated by dots (header.payload.signature)";
        return false;
    }
    std::string_view header = token.substr(0, dot1);
    std::string_view payload = token.substr(dot1 + 1, dot2 - dot1 - 1);
    std::string_view signature = token.substr(dot2 + 1);

    out->header.clear();
    out->payload.clear();
    if (header.empty() || !base64url_decode(header, &out->header)) {
        *error = "token header is not base64url";
        return false;
    }
    if (payload.empty() || !base64url_decode(payload, &out->payload)) {
        *error = "token payload is not base64url";
        return false;
    }
    out->signature.clear();
    if (!base64url_decode(signature, &out->signature)) {
        *error = "token signature is not base64url";
        return false;
    }
    out->signing_input_bytes = dot2;
    return true;
}

}  // namespace ringcast

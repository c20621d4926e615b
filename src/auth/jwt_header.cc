#include "auth/jwt_header.h"

namespace ringcast {

namespace {

bool is_jwt(std::string_view typ) {
    return typ.size() == 3 && (typ[0] | 0x20) == 'j' && (typ[1] | 0x20) == 'w' &&
           (typ[2] | 0x20) == 't';
}

}  // namespace

bool read_jwt_header(simdjson::dom::parser& parser, std::string_view json, JwtHeader* out,
                     std::string* error) {
    *out = JwtHeader{};
    simdjson::dom::object obj;
    if (parser.parse(json.data(), json.size()).get_object().get(obj) != simdjson::SUCCESS) {
        *error = "token header is not a JSON object";
        return false;
    }
    bool has_alg = false;
    for (auto field : obj) {
        if (field.key == "crit") out->has_crit = true;
        std::string_view typ;
        if (field.key == "typ" && field.value.get_string().get(typ) == simdjson::SUCCESS)
            out->foreign_typ = !is_jwt(typ);
        std::string_view kid;
        if (field.key == "kid" && field.value.get_string().get(kid) == simdjson::SUCCESS)
            out->kid.assign(kid);
        if (field.key != "alg") continue;
        if (has_alg) {
            out->alg_repeated = true;
            continue;
        }
        std::string_view alg;
        if (field.value.get_string().get(alg) != simdjson::SUCCESS) {
            *error = "token header's \"alg\" is not a string";
            return false;
        }
        out->alg.assign(alg);
        has_alg = true;
    }
    if (!has_alg) {
        *error = "token header has no \"alg\"";
        return false;
    }
    return true;
}

}  // namespace ringcast

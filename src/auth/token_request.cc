#include "auth/token_request.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "auth/jwt_claims.h"

namespace ringcast {

namespace {

bool read_names(simdjson::dom::element v, std::string_view field, std::vector<std::string>* out,
                std::string* error) {
    simdjson::dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) {
        *error = fmt::format("\"{}\" must be an array of names", field);
        return false;
    }
    for (simdjson::dom::element item : arr) {
        std::string_view name;
        if (item.get_string().get(name) != simdjson::SUCCESS || name.empty() ||
            name.size() > kMaxTokenNameBytes) {
            *error = fmt::format("\"{}\" must hold non-empty strings of at most {} bytes", field,
                                 kMaxTokenNameBytes);
            return false;
        }
        if (std::find(out->begin(), out->end(), name) == out->end()) out->emplace_back(name);
    }
    if (out->size() > kMaxTokenNames) {
        *error =
            fmt::format("\"{}\" holds {} names, more than {}", field, out->size(), kMaxTokenNames);
        return false;
    }
    return true;
}

bool read_user(simdjson::dom::element v, std::string* out) {
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
        if (s.empty() || s.size() > kMaxUserIdBytes) return false;
        out->assign(s);
        return true;
    }
    int64_t i;
    if (v.get_int64().get(i) == simdjson::SUCCESS) {
        *out = std::to_string(i);
        return true;
    }
    uint64_t u;
    if (v.get_uint64().get(u) == simdjson::SUCCESS) {
        *out = std::to_string(u);
        return true;
    }
    return false;
}

}  // namespace

bool read_token_request(simdjson::dom::object obj, StreamTokenRequest* out, std::string* error,
                        std::initializer_list<std::string_view> ignore) {
    StreamTokenRequest r;
    std::vector<std::string_view> seen;
    bool has_user = false;
    for (auto field : obj) {
        const std::string_view key = field.key;
        if (std::find(ignore.begin(), ignore.end(), key) != ignore.end()) continue;
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;  // first counts
        seen.push_back(key);
        if (field.value.is_null()) continue;
        if (key == "userId") {
            if (!read_user(field.value, &r.user)) {
                *error = fmt::format(
                    "\"userId\" must be a non-empty string of at most {} bytes, or an integer",
                    kMaxUserIdBytes);
                return false;
            }
            has_user = true;
        } else if (key == "roles") {
            if (!read_names(field.value, key, &r.roles, error)) return false;
        } else if (key == "permissions") {
            if (!read_names(field.value, key, &r.permissions, error)) return false;
        } else if (key == "subscriber") {
            if (field.value.get_bool().get(r.subscriber) != simdjson::SUCCESS) {
                *error = "\"subscriber\" must be true or false";
                return false;
            }
        } else if (key == "ttl") {
            int64_t ttl;
            if (field.value.get_int64().get(ttl) != simdjson::SUCCESS || ttl < 1) {
                *error = "\"ttl\" must be a whole number of seconds, at least 1";
                return false;
            }
            r.ttl_s = uint64_t(ttl);
        } else {
            *error = fmt::format(
                "unknown field \"{}\" (a token request has userId, roles, permissions, "
                "subscriber, ttl)",
                key);
            return false;
        }
    }
    if (!has_user) {
        *error = "\"userId\" (the user the stream will carry) is required";
        return false;
    }
    *out = std::move(r);
    return true;
}

}  // namespace ringcast

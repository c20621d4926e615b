#include "auth/jwt_claims.h"

#include <cmath>
#include <limits>

namespace ringcast {

namespace {

bool fail(std::string* error, std::string msg) {
    *error = std::move(msg);
    return false;
}

std::string quoted(std::string_view name) {
    return "claim \"" + std::string(name) + "\"";
}

using Element = std::optional<simdjson::dom::element>;

// The payload's claims that read_token_claims() looks at, found in one pass.
struct Found {
    Element user, roles, permissions, subscriber, publish, admin, exp, nbf, iss, aud;
};

// RFC 7519 §4 lets a parser either refuse duplicate claim names or keep the last
// one; the last is kept here (as jansson, libjwt's parser, does). A null value is
// kept as absent. The configured names may coincide with each other or with a
// registered claim, hence no else.
Found find_claims(simdjson::dom::object payload, const AuthOptions& o) {
    Found f;
    for (auto field : payload) {
        std::string_view key = field.key;
        // An empty configured name reads nothing, not the claim named "".
        auto is = [key](const std::string& name) { return !name.empty() && key == name; };
        Element v;
        if (!field.value.is_null()) v = field.value;
        if (is(o.user_claim)) f.user = v;
        if (is(o.roles_claim)) f.roles = v;
        if (is(o.permissions_claim)) f.permissions = v;
        if (is(o.subscriber_claim)) f.subscriber = v;
        if (is(o.publish_claim)) f.publish = v;
        if (is(o.admin_claim)) f.admin = v;
        if (key == "exp") f.exp = v;
        if (key == "nbf") f.nbf = v;
        if (key == "iss") f.iss = v;
        if (key == "aud") f.aud = v;
    }
    return f;
}

bool read_user(simdjson::dom::element v, std::string_view name, std::string* out,
               std::string* error) {
    std::string_view s;
    int64_t i;
    uint64_t u;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
        if (s.size() > kMaxUserIdBytes)
            return fail(error, quoted(name) + " (the user id) is longer than 256 bytes");
        out->assign(s);
    } else if (v.get_int64().get(i) == simdjson::SUCCESS) {
        *out = std::to_string(i);
    } else if (v.get_uint64().get(u) == simdjson::SUCCESS) {
        *out = std::to_string(u);
    } else {
        return fail(error, quoted(name) + " (the user id) must be a string or an integer");
    }
    return true;
}

bool read_strings(simdjson::dom::element v, std::string_view name, std::vector<std::string>* out,
                  std::string* error) {
    simdjson::dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS)
        return fail(error, quoted(name) + " must be an array of strings");
    for (simdjson::dom::element item : arr) {
        std::string_view s;
        if (item.get_string().get(s) != simdjson::SUCCESS)
            return fail(error, quoted(name) + " must be an array of strings");
        out->emplace_back(s);
    }
    return true;
}

bool read_flag(const Element& v, std::string_view name, bool* out, std::string* error) {
    if (v && v->get_bool().get(*out) != simdjson::SUCCESS)
        return fail(error, quoted(name) + " must be true or false");
    return true;
}

// A NumericDate (seconds since the epoch, possibly fractional) in milliseconds,
// saturated to int64 so that absurd values compare as "far future / far past"
// instead of overflowing.
bool read_numeric_date_ms(simdjson::dom::element v, std::string_view name, int64_t* out,
                          std::string* error) {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
    int64_t i;
    uint64_t u;
    double d;
    if (v.get_int64().get(i) == simdjson::SUCCESS) {
        *out = i > kMax / 1000 ? kMax : i < kMin / 1000 ? kMin : i * 1000;
    } else if (v.get_uint64().get(u) == simdjson::SUCCESS) {
        *out = kMax;  // beyond int64, so beyond int64 milliseconds
    } else if (v.get_double().get(d) == simdjson::SUCCESS && std::isfinite(d)) {
        double ms = std::floor(d * 1000.0);
        // 9.2e18 is just inside int64; anything further is saturated.
        *out = ms >= 9.2e18 ? kMax : ms <= -9.2e18 ? kMin : int64_t(ms);
    } else {
        return fail(error, quoted(name) + " must be a number (seconds since the epoch)");
    }
    return true;
}

// Floor division, so that an exp of -0.5 s is -1 s rather than 0 ("never").
int64_t floor_seconds(int64_t ms) {
    return ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
}

}  // namespace

bool read_token_claims(simdjson::dom::object payload, const AuthOptions& options, TokenClaims* out,
                       std::string* error) {
    *out = TokenClaims{};
    Claims& id = out->identity;

    Found f = find_claims(payload, options);
    if (f.user && !read_user(*f.user, options.user_claim, &id.user, error)) return false;
    if (f.roles && !read_strings(*f.roles, options.roles_claim, &id.roles, error)) return false;
    if (f.permissions &&
        !read_strings(*f.permissions, options.permissions_claim, &id.permissions, error))
        return false;
    if (!read_flag(f.subscriber, options.subscriber_claim, &id.subscriber, error) ||
        !read_flag(f.publish, options.publish_claim, &id.publish, error) ||
        !read_flag(f.admin, options.admin_claim, &id.admin, error))
        return false;
    for (const std::string& role : id.roles)
        if (role == "admin") id.admin = true;

    if (f.exp) {
        int64_t ms;
        if (!read_numeric_date_ms(*f.exp, "exp", &ms, error)) return false;
        out->expires_ms = ms;
        id.expires_at_s = floor_seconds(ms);
        // 0 means "never" in Claims; an exp of exactly the epoch is long past anyway.
        if (id.expires_at_s == 0) id.expires_at_s = -1;
    }
    if (f.nbf) {
        int64_t ms;
        if (!read_numeric_date_ms(*f.nbf, "nbf", &ms, error)) return false;
        out->not_before_ms = ms;
    }
    if (f.iss) {
        // Read whenever it is a string (a stream token's is checked); its type
        // matters only where an issuer is configured.
        std::string_view s;
        if (f.iss->get_string().get(s) == simdjson::SUCCESS)
            out->issuer.emplace(s);
        else if (!options.issuer.empty())
            return fail(error, quoted("iss") + " must be a string");
    }
    if (!options.audience.empty() && f.aud) {
        std::string_view s;
        if (f.aud->get_string().get(s) == simdjson::SUCCESS)
            out->audience.emplace_back(s);
        else if (!read_strings(*f.aud, "aud", &out->audience, error))
            return fail(error, quoted("aud") + " must be a string or an array of strings");
    }
    return true;
}

}  // namespace ringcast

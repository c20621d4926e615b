#include "http/api_auth.h"

#include <openssl/crypto.h>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "auth/token_source.h"
#include "ops/publish_gate.h"

namespace ringcast {

namespace {

// Constant time in the key's content, so that response timing does not reveal
// how much of a guess was right.
bool is_api_key(std::string_view candidate, const std::vector<std::string>& keys) {
    bool found = false;
    for (const std::string& k : keys)
        found |= k.size() == candidate.size() && !k.empty() &&
                 CRYPTO_memcmp(k.data(), candidate.data(), k.size()) == 0;
    return found;
}

}  // namespace

std::optional<Refusal> authorize_api(const HttpRequest& req, ApiRight right,
                                     const ApiAuthOptions& o, const TokenVerifier& verifier,
                                     int64_t now_s, std::string_view what, std::string* publisher) {
    if (!o.require_auth) return std::nullopt;
    auto by_key = [&](std::string_view key) -> std::optional<Refusal> {
        if (publisher) *publisher = api_key_limit_key(key);
        return std::nullopt;
    };
    if (req.has_header("x-api-key")) {
        if (is_api_key(req.header("x-api-key"), o.api_keys)) return by_key(req.header("x-api-key"));
        return Refusal{401, "invalid_api_key", "",
                       fmt::format("the X-API-Key of {} is not one of the API keys "
                                   "(publish.api_keys, publish.api_key_file)",
                                   what)};
    }
    // Only header credentials: a browser attaches cookies (and a page can put a
    // token in a URL) to cross-site requests it is made to send, headers it cannot.
    std::string malformed;
    std::optional<std::string_view> bearer =
        bearer_credentials(req.header("authorization"), &malformed);
    if (!bearer && req.has_header("authorization"))
        return Refusal{401, "invalid_token", "malformed", malformed};
    if (bearer && is_api_key(*bearer, o.api_keys)) return by_key(*bearer);
    if (bearer && std::count(bearer->begin(), bearer->end(), '.') != 2)
        return Refusal{401, "invalid_api_key", "",
                       fmt::format("the Bearer credentials of {} are neither one of the API "
                                   "keys (publish.api_keys, publish.api_key_file) nor a JWT",
                                   what)};
    std::optional<Claims> claims;
    if (bearer) {
        Verified v = verifier.verify(*bearer, now_s);
        if (!v.ok)
            return Refusal{401, "invalid_token", v.error_code,
                           fmt::format("the token was refused: {}", v.message)};
        claims = std::move(v.claims);
    }
    if (!claims)
        return Refusal{
            401, "unauthorized", "missing_credentials",
            fmt::format("{} needs an API key (Authorization: Bearer <key> or X-API-Key) "
                        "or a token with the {}",
                        what,
                        right == ApiRight::publish  ? "publish or admin claim"
                        : right == ApiRight::alerts ? "admin claim or a role of alerts.admin_roles"
                                                    : "admin claim")};
    // Signed by ringcastd for a browser's stream: whatever roles the backend put
    // in it, it is not a credential for the API.
    if (claims->stream_token)
        return Refusal{403, "forbidden", "stream_token",
                       fmt::format("the token of user {} is a stream token (signed by ringcastd "
                                   "for a browser's stream), which opens streams only; {} needs "
                                   "an API key or a token of your application",
                                   claims->user, what)};
    if (right == ApiRight::publish && !claims->publish && !claims->admin)
        return Refusal{403, "forbidden", "missing_publish_claim",
                       fmt::format("the token of user {} has neither the publish nor the admin "
                                   "claim, which {} needs",
                                   claims->user, what)};
    if (right == ApiRight::admin && !claims->admin)
        return Refusal{403, "forbidden", "missing_admin_claim",
                       fmt::format("the token of user {} has no admin claim (or role), which {} "
                                   "needs",
                                   claims->user, what)};
    if (right == ApiRight::alerts && !claims->admin &&
        !std::any_of(claims->roles.begin(), claims->roles.end(), [&](const std::string& r) {
            return std::find(o.alert_admin_roles.begin(), o.alert_admin_roles.end(), r) !=
                   o.alert_admin_roles.end();
        }))
        return Refusal{403, "forbidden", "missing_admin_role",
                       fmt::format("the token of user {} has neither the admin claim nor one of "
                                   "the roles of alerts.admin_roles ({}), which {} needs",
                                   claims->user, fmt::join(o.alert_admin_roles, ", "), what)};
    if (publisher) *publisher = "pubtoken:" + claims->user;
    return std::nullopt;
}

}  // namespace ringcast

#include "http/api_auth.h"

#include <openssl/crypto.h>

#include <fmt/format.h>

#include "auth/token_source.h"

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
                                     int64_t now_s, std::string_view what) {
    if (!o.require_auth) return std::nullopt;
    if (req.has_header("x-api-key")) {
        if (is_api_key(req.header("x-api-key"), o.api_keys)) return std::nullopt;
        return Refusal{401, "invalid_api_key", "",
                       fmt::format("the X-API-Key of {} is not one of publish.api_keys", what)};
    }
    // A Bearer value may be an API key as well as a token.
    std::string ignored;
    if (auto bearer = bearer_credentials(req.header("authorization"), &ignored);
        bearer && is_api_key(*bearer, o.api_keys))
        return std::nullopt;

    std::optional<Claims> claims;
    Refusal refusal;
    if (!read_identity(req, verifier, now_s, &claims, &refusal)) return refusal;
    if (!claims)
        return Refusal{401, "unauthorized", "missing_credentials",
                       fmt::format("{} needs an API key (Authorization: Bearer <key> or X-API-Key) "
                                   "or a token with the {} claim",
                                   what, right == ApiRight::publish ? "publish or admin" : "admin")};
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
    return std::nullopt;
}

}  // namespace ringcast

#include "server/auth_setup.h"

#include <fmt/format.h>

namespace ringcast {

std::shared_ptr<const TokenVerifier> make_token_verifier(const Config& cfg, std::string* error) {
    auto algorithm = parse_jwt_algorithm(cfg.auth_algorithm);
    if (!algorithm) {  // validate_config refuses it first; kept for direct callers
        *error = fmt::format("auth.algorithm \"{}\" is not HS256, RS256, ES256 or \"\"",
                             cfg.auth_algorithm);
        return nullptr;
    }
    AuthOptions o;
    o.algorithm = *algorithm;
    o.leeway_ms = cfg.auth_leeway_ms;
    o.issuer = cfg.auth_issuer;
    o.audience = cfg.auth_audience;
    o.header = cfg.auth_header;
    o.cookie = cfg.auth_cookie;
    o.query = cfg.auth_query;
    o.user_claim = cfg.auth_user_claim;
    o.roles_claim = cfg.auth_roles_claim;
    o.permissions_claim = cfg.auth_permissions_claim;
    o.subscriber_claim = cfg.auth_subscriber_claim;
    o.publish_claim = cfg.auth_publish_claim;
    o.admin_claim = cfg.auth_admin_claim;
    if (o.algorithm == JwtAlgorithm::none) return std::make_shared<TokenVerifier>();

    if (o.algorithm == JwtAlgorithm::hs256) {
        if (!cfg.auth_secret_file.empty()) {
            if (!read_key_file(cfg.auth_secret_file, &o.key, error)) return nullptr;
        } else {
            o.key = cfg.auth_secret;
        }
    } else if (!read_key_file(cfg.auth_public_key_file, &o.key, error)) {
        return nullptr;
    }
    auto v = TokenVerifier::create(std::move(o), error);
    if (!v) {
        // Say which setting to fix; the key itself is never quoted.
        std::string where = *algorithm == JwtAlgorithm::hs256
                                ? (cfg.auth_secret_file.empty()
                                       ? std::string("auth.secret")
                                       : "auth.secret_file (" + cfg.auth_secret_file + ")")
                                : "auth.public_key_file (" + cfg.auth_public_key_file + ")";
        *error = fmt::format("{}: {}", where, *error);
        return nullptr;
    }
    return std::make_shared<TokenVerifier>(std::move(*v));
}

}  // namespace ringcast

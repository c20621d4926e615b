#pragma once
// How tokens are found and verified: the `[auth]` section of the configuration,
// mapped by the daemon (src/server/options.cc), with files already read.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringcast {

// The one algorithm a deployment accepts. A verifier never takes the algorithm
// from the token: a token naming any other is refused, which is what defeats
// "alg: none" and algorithm confusion (an HS256 token "signed" with the RSA
// public key as the HMAC secret).
enum class JwtAlgorithm { none, hs256, rs256, es256 };

// "HS256", "RS256", "ES256"; "" for none (as written in the configuration and in
// a JWT header).
constexpr std::string_view jwt_algorithm_name(JwtAlgorithm a) {
    switch (a) {
        case JwtAlgorithm::none: return "";
        case JwtAlgorithm::hs256: return "HS256";
        case JwtAlgorithm::rs256: return "RS256";
        case JwtAlgorithm::es256: return "ES256";
    }
    return "";
}

// The configuration's spelling ("" = none, exact case); nullopt if unknown.
constexpr std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view s) {
    for (JwtAlgorithm a :
         {JwtAlgorithm::none, JwtAlgorithm::hs256, JwtAlgorithm::rs256, JwtAlgorithm::es256})
        if (s == jwt_algorithm_name(a)) return a;
    return std::nullopt;
}

struct AuthOptions {
    JwtAlgorithm algorithm = JwtAlgorithm::none;  // none: token verification not configured
    // HS256: the shared secret's bytes (at least 32). RS256 / ES256: the public
    // key's PEM text ("-----BEGIN PUBLIC KEY-----"). The daemon reads the files.
    std::string key;
    uint64_t leeway_ms = 30000;  // clock skew tolerated on exp and nbf
    std::string issuer;          // non-empty: `iss` must equal it
    std::string audience;        // non-empty: `aud` (string or array) must contain it

    // Where find_token() looks, in this order.
    bool header = true;                     // "Authorization: Bearer <token>"
    std::string cookie = "ringcast_token";  // "" = not read
    std::string query = "token";            // "" = not read

    // Names of the payload claims that make up Claims.
    std::string user_claim = "sub";
    std::string roles_claim = "roles";
    std::string permissions_claim = "permissions";
    std::string subscriber_claim = "subscriber";
    std::string publish_claim = "publish";
    std::string admin_claim = "admin";
};

}  // namespace ringcast

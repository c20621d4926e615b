#pragma once
// Checking a JWS signature (RFC 7515) with a key parsed once, at start.
//
// libjwt 1.10 re-reads the PEM key on every verification, which under OpenSSL 3
// costs far more than the signature itself (RS256: ~300 µs per token instead of
// ~20 µs). Connection storms are exactly when tokens are verified by the
// thousand, so the key is parsed here once and the signature checked with
// OpenSSL's EVP interface directly. Which algorithm, and everything about the
// claims, is decided by TokenVerifier before this is asked.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth_options.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace ringcast {

class JwsSignatureKey {
public:
    // The key of a verifier that is not configured: verify() is always false.
    JwsSignatureKey() = default;

    // Parses options.key for options.algorithm after check_auth_key() has
    // accepted it; nullopt with *error otherwise (the message never quotes the key).
    static std::optional<JwsSignatureKey> load(const AuthOptions& options, std::string* error);

    // True when `signature` (decoded bytes) signs `signing_input` (the token's
    // "header.payload" text, still base64url) with this key:
    //   HS256  HMAC-SHA-256 with the secret, compared in constant time;
    //   RS256  RSASSA-PKCS1-v1_5 with SHA-256;
    //   ES256  ECDSA P-256 with SHA-256, the signature as JWS writes it: r and s,
    //          32 bytes each (RFC 7518 §3.4), not DER.
    // Safe to call from every shard at once; never leaves entries on OpenSSL's
    // error queue.
    bool verify(std::string_view signing_input, std::string_view signature) const;

private:
    JwtAlgorithm _algorithm = JwtAlgorithm::none;
    std::string _secret;             // HS256
    std::shared_ptr<EVP_PKEY> _key;  // RS256, ES256: read-only once loaded
};

}  // namespace ringcast

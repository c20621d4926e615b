#pragma once
// Reading a token's payload: the identity (Claims, under the configured claim
// names) and the registered claims the verifier checks itself, because libjwt
// 1.10 checks none of them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <simdjson.h>

#include "auth/auth_options.h"
#include "auth/claims.h"

namespace ringcast {

struct TokenClaims {
    Claims identity;  // identity.user empty: the user claim is missing, null or ""
    std::optional<int64_t> expires_ms;     // exp, in Unix milliseconds
    std::optional<int64_t> not_before_ms;  // nbf, in Unix milliseconds
    // Read only when AuthOptions asks to check them.
    std::optional<std::string> issuer;  // iss
    std::vector<std::string> audience;  // aud: a string is a one-item list
};

// Longest user id accepted, as for targetUsers in a publish (pubsub/message_json).
constexpr size_t kMaxUserIdBytes = 256;

// Reads `payload` (the claims object). False with *error, naming the claim, when a
// claim has the wrong type: the user claim must be a string of at most
// kMaxUserIdBytes or an integer (kept as its decimal text); roles and permissions
// arrays of strings; subscriber, publish and admin booleans; exp and nbf numbers
// (NumericDate: seconds, fractions allowed); iss a string; aud a string or an array
// of strings. A missing or null claim is absent: no user, no roles, false, no
// expiry; of a claim named twice, the last counts (RFC 7519 §4, and what most JWT
// libraries' parsers keep). Role "admin" also sets identity.admin. expires_at_s is
// exp in seconds. An integer user id beyond int64 is kept as its decimal text; an
// exp or nbf beyond it saturates.
bool read_token_claims(simdjson::dom::object payload, const AuthOptions& options, TokenClaims* out,
                       std::string* error);

}  // namespace ringcast

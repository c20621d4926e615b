#pragma once
// Verifying a JWT and turning it into Claims: the per-connection cost of identity.
//
// One verifier serves every shard: verify() is const and keeps its scratch state
// per thread. The signature is checked with a key parsed once (jws_signature.h);
// everything else is done here, in this order, each failure with its own code:
//   not_configured         no algorithm configured (every stream is anonymous)
//   malformed              longer than kMaxTokenBytes, not three base64url segments,
//                          header or payload not a JSON object, header without
//                          a string "alg", with "crit" or with a "typ" other
//                          than "JWT", a claim of the wrong type
//   unsupported_algorithm  the header's alg is not the configured one ("none" and
//                          algorithm confusion included) or is named twice
//   bad_signature          no signature, or one that does not verify with the key
//   expired                exp + leeway is not in the future
//   not_yet_valid          nbf - leeway is in the future
//   wrong_issuer           issuer configured and iss missing or different
//   wrong_audience         audience configured and aud missing or without it
//   missing_subject        the user claim is missing, null or ""
// The algorithm comes from the configuration alone: the token's header is only
// compared with it, never used to pick how to verify. The one exception is a key
// ringcastd holds itself: with a stream-token key (with_stream_key), a token whose
// header names kStreamTokenKid is checked as HS256 with that key and nothing else,
// its `iss` must be kStreamTokenIssuer (auth.issuer and auth.audience are for the
// application's tokens), and its claims say stream_token.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth_options.h"
#include "auth/claims.h"
#include "auth/jws_signature.h"

namespace ringcast {

// The error codes of Verified::error_code, as they appear in 401 answers.
namespace token_error {
inline constexpr std::string_view malformed = "malformed";
inline constexpr std::string_view unsupported_algorithm = "unsupported_algorithm";
inline constexpr std::string_view bad_signature = "bad_signature";
inline constexpr std::string_view expired = "expired";
inline constexpr std::string_view not_yet_valid = "not_yet_valid";
inline constexpr std::string_view wrong_issuer = "wrong_issuer";
inline constexpr std::string_view wrong_audience = "wrong_audience";
inline constexpr std::string_view missing_subject = "missing_subject";
inline constexpr std::string_view not_configured = "not_configured";
}  // namespace token_error

// Longer tokens are refused unread (they would not fit a cookie either).
constexpr size_t kMaxTokenBytes = 8192;

struct Verified {
    bool ok = false;
    Claims claims;           // when ok
    std::string error_code;  // when !ok: one of token_error
    std::string message;     // when !ok: why, for the client and the log; never key material
};

class TokenVerifier {
public:
    // Not configured: verify() answers not_configured.
    TokenVerifier() = default;

    // A verifier for `options`, or nullopt with *error when the key cannot serve
    // the algorithm (see key_check.h), so a misconfiguration stops the start.
    static std::optional<TokenVerifier> create(AuthOptions options, std::string* error);

    // This verifier also accepts ringcastd's own stream tokens, signed with
    // `key` (at least kStreamTokenKeyBytes); false with *error otherwise.
    bool with_stream_key(std::string key, std::string* error);

    // Some token can verify: an algorithm is configured, or stream tokens are on.
    bool configured() const { return _options.algorithm != JwtAlgorithm::none || _stream_tokens; }
    bool accepts_stream_tokens() const { return _stream_tokens; }
    const AuthOptions& options() const { return _options; }

    // Verifies `token` at time `now_s` (Unix seconds). Never throws; any input,
    // however hostile, yields a Verified.
    Verified verify(std::string_view token, int64_t now_s) const;

private:
    TokenVerifier(AuthOptions options, JwsSignatureKey key)
        : _options(std::move(options)), _key(std::move(key)) {}

    AuthOptions _options;
    JwsSignatureKey _key;
    JwsSignatureKey _stream_key;  // HS256, ringcastd's own
    bool _stream_tokens = false;
};

}  // namespace ringcast

#include "auth/token_verifier.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <simdjson.h>

#include "auth/jwt_claims.h"
#include "auth/jwt_header.h"
#include "auth/jwt_segments.h"
#include "auth/stream_token.h"

namespace ringcast {

namespace {

Verified refuse(std::string_view code, std::string message) {
    Verified v;
    v.error_code.assign(code);
    v.message = std::move(message);
    return v;
}

constexpr int64_t kMaxMs = std::numeric_limits<int64_t>::max();

int64_t seconds_to_ms(int64_t s) {
    int64_t r;
    if (!__builtin_mul_overflow(s, int64_t(1000), &r)) return r;
    return s > 0 ? kMaxMs : std::numeric_limits<int64_t>::min();
}

// Saturating a + b for the time comparisons: exp and nbf come from the token and
// the leeway from the operator, so neither may overflow.
int64_t add_sat(int64_t a, int64_t b) {
    int64_t r;
    if (!__builtin_add_overflow(a, b, &r)) return r;
    return b > 0 ? kMaxMs : std::numeric_limits<int64_t>::min();
}

// Scratch for the header and payload JSON. One per thread because the verifier
// is shared by all shards; the parser keeps its buffers between tokens, so a
// verification allocates nothing for JSON once warm.
simdjson::dom::parser& json_parser() {
    thread_local simdjson::dom::parser parser;
    return parser;
}

}  // namespace

std::optional<TokenVerifier> TokenVerifier::create(AuthOptions options, std::string* error) {
    std::optional<JwsSignatureKey> key = JwsSignatureKey::load(options, error);
    if (!key) return std::nullopt;
    return TokenVerifier(std::move(options), std::move(*key));
}

bool TokenVerifier::with_stream_key(std::string key, std::string* error) {
    if (key.size() < kStreamTokenKeyBytes) {
        *error = fmt::format("the stream-token key is {} bytes, fewer than {}", key.size(),
                             kStreamTokenKeyBytes);
        return false;
    }
    AuthOptions o;
    o.algorithm = JwtAlgorithm::hs256;
    o.key = std::move(key);
    std::optional<JwsSignatureKey> k = JwsSignatureKey::load(o, error);
    if (!k) return false;
    _stream_key = std::move(*k);
    _stream_tokens = true;
    return true;
}

Verified TokenVerifier::verify(std::string_view token, int64_t now_s) const {
    using namespace token_error;
    if (!configured()) return refuse(not_configured, "authentication is not configured");
    if (token.size() > kMaxTokenBytes) return refuse(malformed, "token is longer than 8192 bytes");

    std::string error;
    JwtSegments segments;
    if (!decode_jwt_segments(token, &segments, &error)) return refuse(malformed, error);

    simdjson::dom::parser& parser = json_parser();
    JwtHeader header;
    if (!read_jwt_header(parser, segments.header, &header, &error)) return refuse(malformed, error);
    // ringcastd's own token, or the application's.
    const bool stream = _stream_tokens && header.kid == kStreamTokenKid;
    if (!stream && _options.algorithm == JwtAlgorithm::none)
        return refuse(not_configured,
                      "authentication is not configured ([auth] algorithm is empty): only "
                      "ringcastd's own stream tokens are accepted");
    std::string_view expected =
        jwt_algorithm_name(stream ? JwtAlgorithm::hs256 : _options.algorithm);
    if (header.alg_repeated)
        return refuse(unsupported_algorithm, "token header names its algorithm more than once");
    if (header.alg == "none")
        return refuse(unsupported_algorithm, "unsigned tokens (alg \"none\") are not accepted");
    if (header.alg != expected)
        return refuse(unsupported_algorithm, "token is not signed with " + std::string(expected) +
                                                 ", the only algorithm accepted");
    if (header.has_crit)
        return refuse(malformed, "token header lists critical extensions (crit), none supported");
    if (header.foreign_typ)
        return refuse(malformed, "token type (typ) is not \"JWT\", the only one accepted");

    simdjson::dom::object payload;
    if (parser.parse(segments.payload.data(), segments.payload.size()).get_object().get(payload) !=
        simdjson::SUCCESS)
        return refuse(malformed, "token payload is not a JSON object");

    if (segments.signature.empty()) return refuse(bad_signature, "token is not signed");
    if (!(stream ? _stream_key : _key)
             .verify(token.substr(0, segments.signing_input_bytes), segments.signature))
        return refuse(bad_signature, "token signature does not verify");

    TokenClaims claims;
    if (!read_token_claims(payload, _options, &claims, &error)) return refuse(malformed, error);

    int64_t now_ms = seconds_to_ms(now_s);
    int64_t leeway_ms = int64_t(std::min<uint64_t>(_options.leeway_ms, uint64_t(kMaxMs)));
    // RFC 7519 §4.1.4: valid only *before* exp; §4.1.5: valid from nbf on.
    if (claims.expires_ms && now_ms >= add_sat(*claims.expires_ms, leeway_ms))
        return refuse(expired, "token has expired");
    if (claims.not_before_ms && add_sat(now_ms, leeway_ms) < *claims.not_before_ms)
        return refuse(not_yet_valid, "token is not valid yet (nbf is in the future)");
    if (stream) {
        if (claims.issuer != kStreamTokenIssuer)
            return refuse(wrong_issuer, "a stream token names ringcast as its issuer (iss)");
    } else if (!_options.issuer.empty() && claims.issuer != _options.issuer) {
        return refuse(wrong_issuer, "token was not issued by the configured issuer (iss)");
    }
    if (!stream && !_options.audience.empty()) {
        bool found = false;
        for (const std::string& a : claims.audience)
            found = found || a == _options.audience;
        if (!found) return refuse(wrong_audience, "token is not meant for this audience (aud)");
    }
    if (claims.identity.user.empty())
        return refuse(missing_subject,
                      "token has no user id (claim \"" + _options.user_claim + "\")");

    Verified v;
    v.ok = true;
    v.claims = std::move(claims.identity);
    if (claims.expires_ms) {
        // The first instant verify(), which is asked in whole seconds, refuses
        // the token: exp + leeway rounded up to a second. A stream ends then,
        // and a reconnect at that instant is refused.
        const int64_t ends = add_sat(*claims.expires_ms, leeway_ms);
        v.claims.accepted_until_ms =
            ends <= 0 || ends > kMaxMs - 999 ? ends : (ends + 999) / 1000 * 1000;
    }
    v.claims.stream_token = stream;
    return v;
}

}  // namespace ringcast

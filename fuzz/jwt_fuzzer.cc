// JWT verification (src/auth/token_verifier) as a stream or API request meets
// it: an HS256 verifier for the application's tokens (with an issuer and an
// audience to check) that also takes ringcastd's own stream tokens.
//
// An input is verified as a token as it stands. When it holds a line break, its
// first line is also taken as a header's JSON and the rest as a payload's JSON,
// and the token they make is signed with the application's key and with the
// stream-token key: so the fuzzer gets past the signature, into the claims.
//
// Properties: verify() answers every input with ok or one of the documented
// error codes (and a message); a token it accepts names a user, is a stream
// token exactly when the stream key signed it, and is accepted up to the second
// before Claims::accepted_until_ms and refused from that second on.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/base64url.h"
#include "auth/token_verifier.h"
#include "fuzz_support.h"

namespace ringcast::fuzz {
namespace {

constexpr int64_t kNowS = 1'800'000'000;
const std::string kAppKey = "fuzz-application-hs256-secret-0123456789";
const std::string kStreamKey = "fuzz-stream-token-key-0123456789abcdef";

const TokenVerifier& verifier() {
    static const TokenVerifier v = [] {
        AuthOptions o;
        o.algorithm = JwtAlgorithm::hs256;
        o.key = kAppKey;
        o.issuer = "https://auth.example.com";
        o.audience = "ringcast";
        std::string error;
        std::optional<TokenVerifier> t = TokenVerifier::create(o, &error);
        if (!t || !t->with_stream_key(kStreamKey, &error)) fail("the fuzz keys were refused");
        return *t;
    }();
    return v;
}

std::string sign(std::string_view header, std::string_view payload, const std::string& key) {
    std::string token = base64url_encode(header) + "." + base64url_encode(payload);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), key.data(), int(key.size()),
              reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, &mac_len))
        fail("HMAC failed");
    return token + "." +
           base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

bool known_error(std::string_view code) {
    using namespace token_error;
    for (std::string_view c : {malformed, unsupported_algorithm, bad_signature, expired,
                               not_yet_valid, wrong_issuer, wrong_audience, missing_subject})
        if (code == c) return true;
    return false;
}

// `signer`: 0 unknown, 1 the application's key, 2 the stream-token key.
void verify(std::string_view token, int signer) {
    const Verified v = verifier().verify(token, kNowS);
    if (!v.ok) {
        check(known_error(v.error_code), "a refusal with an undocumented error code");
        check(!v.message.empty(), "a refusal without a message");
        return;
    }
    check(token.size() <= kMaxTokenBytes, "a token over kMaxTokenBytes was accepted");
    check(!v.claims.user.empty(), "a token was accepted without a user");
    if (signer == 1) check(!v.claims.stream_token, "an application token became a stream token");
    if (signer == 2) check(v.claims.stream_token, "a stream token was not marked as one");
    // Accepted until the second that accepted_until_ms names, refused from then.
    const int64_t until = v.claims.accepted_until_ms;
    if (until > 0 && until < (int64_t(1) << 53)) {
        check(until % 1000 == 0, "accepted_until_ms is not a whole second");
        check(until / 1000 > kNowS, "accepted_until_ms is not after now");
        check(verifier().verify(token, until / 1000 - 1).ok,
              "refused in the second before accepted_until_ms");
        check(verifier().verify(token, until / 1000).error_code == token_error::expired,
              "not refused as expired at accepted_until_ms");
    }
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast::fuzz;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    verify(input, 0);
    const size_t nl = input.find('\n');
    if (nl != std::string_view::npos && size <= 8192) {
        std::string_view header = input.substr(0, nl), payload = input.substr(nl + 1);
        verify(sign(header, payload, kAppKey), 1);
        verify(sign(header, payload, kStreamKey), 2);
    }
    return 0;
}

// Stream tokens (auth/stream_token.h): what StreamTokenSigner writes, and how the
// verifier treats a token whose header names kStreamTokenKid — checked with
// ringcastd's own key alone, as HS256, with iss "ringcast" — next to the
// application's own tokens, which must verify exactly as before.
#include "auth/stream_token.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "auth/base64url.h"
#include "auth/test_tokens.h"
#include "auth/token_verifier.h"

namespace ringcast {
namespace {

using test::hs256_token;
using test::kSecret;
using test::rs256_token;

constexpr int64_t kNow = 1'700'000'000;  // Unix seconds
constexpr int64_t kNowMs = kNow * 1000 + 123;
const std::string kStreamKey = "ringcastd's own stream-token key, 32+ bytes";
const std::string kOtherStreamKey = "another daemon's stream-token key, 32+ bytes";

StreamTokenSigner signer(const AuthOptions& names = {}, uint64_t default_ttl = 3600,
                         uint64_t max_ttl = 86400, const std::string& key = kStreamKey) {
    return StreamTokenSigner(key, names, default_ttl, max_ttl);
}

StreamTokenRequest request(std::string user, std::vector<std::string> roles = {},
                           std::vector<std::string> permissions = {}, bool subscriber = false,
                           uint64_t ttl = 0) {
    StreamTokenRequest r;
    r.user = std::move(user);
    r.roles = std::move(roles);
    r.permissions = std::move(permissions);
    r.subscriber = subscriber;
    r.ttl_s = ttl;
    return r;
}

StreamToken sign_ok(const StreamTokenSigner& s, const StreamTokenRequest& r,
                    int64_t now_ms = kNowMs) {
    std::string error;
    std::optional<StreamToken> t = s.sign(r, now_ms, &error);
    EXPECT_TRUE(t) << error;
    return t ? *t : StreamToken{};
}

// A verifier for the application's tokens as `o` says, plus the stream key.
TokenVerifier verifier(const AuthOptions& o, const std::string& stream_key = kStreamKey) {
    std::string error;
    std::optional<TokenVerifier> v = TokenVerifier::create(o, &error);
    EXPECT_TRUE(v) << error;
    if (!v) return TokenVerifier();
    if (!stream_key.empty()) {
        EXPECT_TRUE(v->with_stream_key(stream_key, &error)) << error;
    }
    return std::move(*v);
}

AuthOptions no_app_auth() {
    return AuthOptions{};
}

AuthOptions app_hs256() {
    AuthOptions o;
    o.algorithm = JwtAlgorithm::hs256;
    o.key = kSecret;
    return o;
}

AuthOptions app_rs256() {
    AuthOptions o;
    o.algorithm = JwtAlgorithm::rs256;
    o.key = test::rsa_key().public_pem;
    return o;
}

::testing::AssertionResult refused(const Verified& v, std::string_view code) {
    if (v.ok) return ::testing::AssertionFailure() << "accepted; expected " << code;
    if (v.error_code != code)
        return ::testing::AssertionFailure()
               << "refused with " << v.error_code << " (" << v.message << "); expected " << code;
    if (v.message.empty()) return ::testing::AssertionFailure() << "no message";
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult accepted(const Verified& v) {
    if (v.ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << v.error_code << ": " << v.message;
}

// Segment `i` (0 header, 1 payload) of a token, decoded.
std::string segment(const std::string& token, int i) {
    size_t a = token.find('.'), b = token.find('.', a + 1);
    std::string_view part = i == 0 ? std::string_view(token).substr(0, a)
                                   : std::string_view(token).substr(a + 1, b - a - 1);
    std::string out;
    EXPECT_TRUE(base64url_decode(part, &out)) << part;
    return out;
}

// The members of a JSON object text, as (key, minified value) in order.
std::vector<std::pair<std::string, std::string>> members(const std::string& json) {
    simdjson::dom::parser p;
    simdjson::dom::object obj;
    EXPECT_EQ(p.parse(json).get_object().get(obj), simdjson::SUCCESS) << json;
    std::vector<std::pair<std::string, std::string>> out;
    for (auto f : obj)
        out.emplace_back(std::string(f.key), simdjson::minify(f.value));
    return out;
}

using Members = std::vector<std::pair<std::string, std::string>>;

// The token with its payload replaced by `payload` (the signature kept).
std::string with_payload(const std::string& token, std::string_view payload) {
    size_t a = token.find('.'), b = token.rfind('.');
    return token.substr(0, a + 1) + base64url_encode(payload) + token.substr(b);
}

const std::string kStreamHeader = R"({"alg":"HS256","typ":"JWT","kid":"ringcast-stream"})";

// --- what the signer writes ------------------------------------------------------------

TEST(StreamTokenSigner, SignsWhatTheVerifierReadsBack) {
    StreamTokenSigner s = signer();
    StreamToken t = sign_ok(
        s, request("u-1", {"editor", "admin"}, {"dashboard.view", "reports.read"}, true, 600));
    EXPECT_EQ(t.expires_at_ms, (kNow + 600) * 1000) << "exp is whole seconds after now";

    EXPECT_EQ(members(segment(t.token, 0)),
              (Members{{"alg", "\"HS256\""}, {"typ", "\"JWT\""}, {"kid", "\"ringcast-stream\""}}));
    EXPECT_EQ(members(segment(t.token, 1)),
              (Members{{"iss", "\"ringcast\""},
                       {"sub", "\"u-1\""},
                       {"roles", R"(["editor","admin"])"},
                       {"permissions", R"(["dashboard.view","reports.read"])"},
                       {"subscriber", "true"},
                       {"iat", std::to_string(kNow)},
                       {"exp", std::to_string(kNow + 600)}}));

    TokenVerifier v = verifier(no_app_auth());
    Verified r = v.verify(t.token, kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_TRUE(r.claims.stream_token);
    EXPECT_EQ(r.claims.user, "u-1");
    EXPECT_EQ(r.claims.roles, (std::vector<std::string>{"editor", "admin"}));
    EXPECT_EQ(r.claims.permissions, (std::vector<std::string>{"dashboard.view", "reports.read"}));
    EXPECT_TRUE(r.claims.subscriber);
    EXPECT_TRUE(r.claims.admin) << "the role admin makes an admin, as in any token";
    EXPECT_FALSE(r.claims.publish);
    EXPECT_EQ(r.claims.expires_at_s, kNow + 600);
    const int64_t leeway = int64_t(AuthOptions{}.leeway_ms);
    EXPECT_EQ(r.claims.accepted_until_ms, (kNow + 600) * 1000 + leeway);

    // Accepted up to exp + leeway, not a millisecond more (the verifier works in
    // seconds: the last whole second before it).
    EXPECT_TRUE(accepted(v.verify(t.token, kNow + 600 + leeway / 1000 - 1)));
    EXPECT_TRUE(refused(v.verify(t.token, kNow + 600 + leeway / 1000), token_error::expired));
}

TEST(StreamTokenSigner, LeavesOutWhatTheRequestDoesNotGive) {
    StreamToken t = sign_ok(signer(), request("plain"));
    EXPECT_EQ(members(segment(t.token, 1)), (Members{{"iss", "\"ringcast\""},
                                                     {"sub", "\"plain\""},
                                                     {"iat", std::to_string(kNow)},
                                                     {"exp", std::to_string(kNow + 3600)}}));
    Verified r = verifier(no_app_auth()).verify(t.token, kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_TRUE(r.claims.roles.empty());
    EXPECT_TRUE(r.claims.permissions.empty());
    EXPECT_FALSE(r.claims.subscriber);
    EXPECT_FALSE(r.claims.admin);
}

TEST(StreamTokenSigner, UserIdsAndNamesAreEscapedNotInterpreted) {
    const std::string user = "o'hara \"the\" \\ user/42 \xc3\xa9";
    StreamToken t = sign_ok(signer(), request(user, {"a\"b"}, {"x\ny"}));
    Verified r = verifier(no_app_auth()).verify(t.token, kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_EQ(r.claims.user, user);
    EXPECT_EQ(r.claims.roles, std::vector<std::string>{"a\"b"});
    EXPECT_EQ(r.claims.permissions, std::vector<std::string>{"x\ny"});
}

TEST(StreamTokenSigner, TtlDefaultsAndIsBoundedByTheMaximum) {
    StreamTokenSigner s = signer({}, /*default_ttl=*/900, /*max_ttl=*/7200);
    EXPECT_EQ(s.default_ttl_s(), 900u);
    EXPECT_EQ(s.max_ttl_s(), 7200u);
    EXPECT_EQ(sign_ok(s, request("u")).expires_at_ms, (kNow + 900) * 1000);
    EXPECT_EQ(sign_ok(s, request("u", {}, {}, false, 1)).expires_at_ms, (kNow + 1) * 1000);
    EXPECT_EQ(sign_ok(s, request("u", {}, {}, false, 7200)).expires_at_ms, (kNow + 7200) * 1000);

    std::string error;
    EXPECT_FALSE(s.sign(request("u", {}, {}, false, 7201), kNowMs, &error));
    EXPECT_NE(error.find("\"ttl\""), std::string::npos) << error;
    EXPECT_NE(error.find("7201"), std::string::npos) << error;
    EXPECT_NE(error.find("token_max_ttl"), std::string::npos) << error;
    EXPECT_NE(error.find("7200"), std::string::npos) << error;

    // A default above the maximum (validate_config refuses such a configuration)
    // still never signs beyond it.
    StreamTokenSigner odd = signer({}, 100, 50);
    error.clear();
    EXPECT_FALSE(odd.sign(request("u"), kNowMs, &error));
    EXPECT_FALSE(error.empty());
}

TEST(StreamTokenSigner, ATokenTooLongForAVerifierIsNotSigned) {
    // 256 names of 128 bytes: far beyond the 8192 bytes a verifier reads.
    std::vector<std::string> many;
    for (int i = 0; i < 256; ++i)
        many.push_back(std::string(124, 'r') + std::to_string(1000 + i));
    std::string error;
    EXPECT_FALSE(signer().sign(request("u", many), kNowMs, &error));
    EXPECT_NE(error.find("8192"), std::string::npos) << error;
    EXPECT_NE(error.find("roles"), std::string::npos) << error;

    // Around the limit: whatever is signed verifies, whatever is not was too long.
    TokenVerifier v = verifier(no_app_auth());
    size_t signed_count = 0, refused_count = 0;
    for (size_t n = 35; n <= 55; ++n) {
        std::vector<std::string> roles(many.begin(), many.begin() + long(n));
        error.clear();
        std::optional<StreamToken> t = signer().sign(request("u", roles), kNowMs, &error);
        if (t) {
            ++signed_count;
            EXPECT_LE(t->token.size(), kMaxTokenBytes);
            Verified r = v.verify(t->token, kNow);
            EXPECT_TRUE(accepted(r)) << n << " roles";
            EXPECT_EQ(r.claims.roles.size(), n);
        } else {
            ++refused_count;
            EXPECT_NE(error.find("8192"), std::string::npos) << error;
        }
    }
    EXPECT_GT(signed_count, 0u) << "the range should straddle the limit";
    EXPECT_GT(refused_count, 0u) << "the range should straddle the limit";
}

TEST(StreamTokenSigner, WritesTheConfiguredClaimNames) {
    AuthOptions names;
    names.user_claim = "uid";
    names.roles_claim = "https://example.com/roles";
    names.permissions_claim = "scopes";
    names.subscriber_claim = "premium";
    StreamToken t = sign_ok(signer(names), request("7", {"r"}, {"p"}, true));
    EXPECT_EQ(members(segment(t.token, 1)), (Members{{"iss", "\"ringcast\""},
                                                     {"uid", "\"7\""},
                                                     {"https://example.com/roles", "[\"r\"]"},
                                                     {"scopes", "[\"p\"]"},
                                                     {"premium", "true"},
                                                     {"iat", std::to_string(kNow)},
                                                     {"exp", std::to_string(kNow + 3600)}}));
    AuthOptions o = no_app_auth();
    o.user_claim = names.user_claim;
    o.roles_claim = names.roles_claim;
    o.permissions_claim = names.permissions_claim;
    o.subscriber_claim = names.subscriber_claim;
    Verified r = verifier(o).verify(t.token, kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_EQ(r.claims.user, "7");
    EXPECT_EQ(r.claims.roles, std::vector<std::string>{"r"});
    EXPECT_EQ(r.claims.permissions, std::vector<std::string>{"p"});
    EXPECT_TRUE(r.claims.subscriber);
    // A verifier reading the default names finds no user in it.
    EXPECT_TRUE(
        refused(verifier(no_app_auth()).verify(t.token, kNow), token_error::missing_subject));
}

// --- the verifier and stream tokens -------------------------------------------------------

TEST(StreamTokenVerifier, TheStreamKeyMustBeLongEnough) {
    TokenVerifier v;
    std::string error;
    EXPECT_FALSE(v.with_stream_key(std::string(kStreamTokenKeyBytes - 1, 'k'), &error));
    EXPECT_NE(error.find("32"), std::string::npos) << error;
    EXPECT_FALSE(v.accepts_stream_tokens());
    EXPECT_FALSE(v.configured());
    error.clear();
    EXPECT_TRUE(v.with_stream_key(std::string(kStreamTokenKeyBytes, 'k'), &error)) << error;
    EXPECT_TRUE(v.accepts_stream_tokens());
    EXPECT_TRUE(v.configured()) << "stream tokens alone make a verifier that can accept tokens";
}

TEST(StreamTokenVerifier, ATamperedStreamTokenIsABadSignature) {
    TokenVerifier v = verifier(no_app_auth());
    StreamToken t = sign_ok(signer(), request("mallory"));
    std::string payload = segment(t.token, 1);
    std::string forged = payload;
    forged.replace(forged.find("mallory"), 7, "admin01");
    EXPECT_TRUE(refused(v.verify(with_payload(t.token, forged), kNow), token_error::bad_signature));
    // Roles added, exp pushed back: all covered by the signature.
    std::string more = payload;
    more.insert(more.find("\"iat\""), R"("roles":["admin"],)");
    EXPECT_TRUE(refused(v.verify(with_payload(t.token, more), kNow), token_error::bad_signature));
    std::string later = payload;
    later.replace(later.find(std::to_string(kNow + 3600)), 10, std::to_string(kNow + 999999));
    EXPECT_TRUE(refused(v.verify(with_payload(t.token, later), kNow), token_error::bad_signature));
    // A flipped signature character.
    std::string flipped = t.token;
    char& c = flipped[flipped.rfind('.') + 5];
    c = c == 'A' ? 'B' : 'A';
    EXPECT_TRUE(refused(v.verify(flipped, kNow), token_error::bad_signature));
    // The untouched token still verifies.
    EXPECT_TRUE(accepted(v.verify(t.token, kNow)));
}

TEST(StreamTokenVerifier, SignedWithTheApplicationsSecretIsABadSignature) {
    // Whoever knows the application's HS256 secret cannot make a stream token:
    // the kid picks ringcastd's key, and only that key.
    TokenVerifier v = verifier(app_hs256());
    const std::string payload =
        R"({"iss":"ringcast","sub":"u","roles":["admin"],"exp":)" + std::to_string(kNow + 60) + "}";
    EXPECT_TRUE(refused(v.verify(hs256_token(kStreamHeader, payload, kSecret), kNow),
                        token_error::bad_signature));
    // The same payload without the kid is an application token, and verifies.
    Verified app = v.verify(hs256_token(R"({"alg":"HS256","typ":"JWT"})", payload, kSecret), kNow);
    ASSERT_TRUE(accepted(app));
    EXPECT_FALSE(app.claims.stream_token);
    // Signed with another daemon's stream key: refused too.
    EXPECT_TRUE(refused(v.verify(hs256_token(kStreamHeader, payload, kOtherStreamKey), kNow),
                        token_error::bad_signature));
    // With ringcastd's key it is a stream token.
    Verified ours = v.verify(hs256_token(kStreamHeader, payload, kStreamKey), kNow);
    ASSERT_TRUE(accepted(ours));
    EXPECT_TRUE(ours.claims.stream_token);
}

TEST(StreamTokenVerifier, OnlyHS256IsAcceptedUnderTheStreamKid) {
    const std::string payload =
        R"({"iss":"ringcast","sub":"u","exp":)" + std::to_string(kNow + 60) + "}";
    for (const AuthOptions& o : {no_app_auth(), app_hs256(), app_rs256()}) {
        SCOPED_TRACE(std::string("application algorithm: ") +
                     std::string(jwt_algorithm_name(o.algorithm)));
        TokenVerifier v = verifier(o);
        // alg none, with or without a signature.
        const std::string none = R"({"alg":"none","typ":"JWT","kid":"ringcast-stream"})";
        EXPECT_TRUE(
            refused(v.verify(base64url_encode(none) + "." + base64url_encode(payload) + ".", kNow),
                    token_error::unsupported_algorithm));
        EXPECT_TRUE(refused(v.verify(hs256_token(none, payload, kStreamKey), kNow),
                            token_error::unsupported_algorithm));
        // RS256 under the stream kid, even where RS256 is the application's
        // algorithm and the signature is good for the application's key.
        const std::string rs = R"({"alg":"RS256","typ":"JWT","kid":"ringcast-stream"})";
        EXPECT_TRUE(refused(v.verify(rs256_token(rs, payload, test::rsa_key().private_pem), kNow),
                            token_error::unsupported_algorithm));
        // HS384 and a lower-case spelling are not HS256.
        EXPECT_TRUE(refused(
            v.verify(hs256_token(R"({"alg":"HS384","kid":"ringcast-stream"})", payload, kStreamKey),
                     kNow),
            token_error::unsupported_algorithm));
        EXPECT_TRUE(refused(
            v.verify(hs256_token(R"({"alg":"hs256","kid":"ringcast-stream"})", payload, kStreamKey),
                     kNow),
            token_error::unsupported_algorithm));
        // Two algs under the kid.
        EXPECT_TRUE(refused(v.verify(hs256_token(R"({"alg":"HS256","alg":"none",)"
                                                 R"("kid":"ringcast-stream"})",
                                                 payload, kStreamKey),
                                     kNow),
                            token_error::unsupported_algorithm));
        // The real thing.
        EXPECT_TRUE(accepted(v.verify(hs256_token(kStreamHeader, payload, kStreamKey), kNow)));
    }
}

TEST(StreamTokenVerifier, WithoutAStreamKeyAStreamTokenIsJustAnotherToken) {
    StreamToken t = sign_ok(signer(), request("u", {"admin"}));
    // No [auth], no stream key: nothing verifies.
    EXPECT_TRUE(refused(TokenVerifier().verify(t.token, kNow), token_error::not_configured));
    // An application verifier without the stream key checks it as its own token.
    EXPECT_TRUE(
        refused(verifier(app_hs256(), "").verify(t.token, kNow), token_error::bad_signature));
    EXPECT_TRUE(refused(verifier(app_rs256(), "").verify(t.token, kNow),
                        token_error::unsupported_algorithm));
    // Another daemon's key does not verify it.
    EXPECT_TRUE(refused(verifier(no_app_auth(), kOtherStreamKey).verify(t.token, kNow),
                        token_error::bad_signature));
}

TEST(StreamTokenVerifier, ApplicationTokensVerifyAsBeforeBesideStreamTokens) {
    AuthOptions o = app_hs256();
    o.issuer = "https://app.example.com";
    o.audience = "web";
    TokenVerifier v = verifier(o);
    const std::string exp = std::to_string(kNow + 60);
    // An application token, with and without a kid of its own.
    const std::string app_payload = R"({"iss":"https://app.example.com","aud":"web","sub":"a",)"
                                    R"("publish":true,"exp":)" +
                                    exp + "}";
    for (const char* header : {R"({"alg":"HS256","typ":"JWT"})",
                               R"({"alg":"HS256","typ":"JWT","kid":"app-key-2024"})"}) {
        Verified r = v.verify(hs256_token(header, app_payload, kSecret), kNow);
        ASSERT_TRUE(accepted(r)) << header;
        EXPECT_FALSE(r.claims.stream_token);
        EXPECT_TRUE(r.claims.publish);
    }
    // The application's issuer and audience are still checked on its tokens.
    EXPECT_TRUE(
        refused(v.verify(hs256_token(R"({"alg":"HS256"})",
                                     R"({"iss":"ringcast","aud":"web","sub":"a"})", kSecret),
                         kNow),
                token_error::wrong_issuer));
    EXPECT_TRUE(
        refused(v.verify(hs256_token(R"({"alg":"HS256"})",
                                     R"({"iss":"https://app.example.com","sub":"a"})", kSecret),
                         kNow),
                token_error::wrong_audience));
    // The application's issuer and audience are not asked of a stream token.
    StreamToken t = sign_ok(signer(), request("s", {"viewer"}));
    Verified s = v.verify(t.token, kNow);
    ASSERT_TRUE(accepted(s));
    EXPECT_TRUE(s.claims.stream_token);
    EXPECT_EQ(s.claims.user, "s");

    // The same on an RS256 application: its tokens verify, stream tokens too.
    TokenVerifier rv = verifier(app_rs256());
    Verified ra =
        rv.verify(rs256_token(R"({"alg":"RS256","typ":"JWT"})", R"({"sub":"r","exp":)" + exp + "}",
                              test::rsa_key().private_pem),
                  kNow);
    ASSERT_TRUE(accepted(ra));
    EXPECT_FALSE(ra.claims.stream_token);
    EXPECT_TRUE(accepted(rv.verify(t.token, kNow)));
}

TEST(StreamTokenVerifier, TheIssuerMustBeRingcast) {
    TokenVerifier v = verifier(no_app_auth());
    const std::string exp = std::to_string(kNow + 60);
    for (const std::string& iss : {std::string(R"("iss":"someone",)"), std::string(R"("iss":"",)"),
                                   std::string(R"("iss":"Ringcast",)"), std::string(R"("iss":7,)"),
                                   std::string(R"("iss":null,)"), std::string()}) {
        const std::string payload = "{" + iss + R"("sub":"u","exp":)" + exp + "}";
        EXPECT_TRUE(refused(v.verify(hs256_token(kStreamHeader, payload, kStreamKey), kNow),
                            token_error::wrong_issuer))
            << payload;
    }
    // Even where the configuration names that issuer for the application's tokens.
    AuthOptions o = app_hs256();
    o.issuer = "someone";
    EXPECT_TRUE(
        refused(verifier(o).verify(
                    hs256_token(kStreamHeader, R"({"iss":"someone","sub":"u"})", kStreamKey), kNow),
                token_error::wrong_issuer));
}

TEST(StreamTokenVerifier, ExpiryAndSubjectAreCheckedAsForAnyToken) {
    TokenVerifier v = verifier(no_app_auth());
    StreamToken t = sign_ok(signer({}, 60, 60), request("u"));
    EXPECT_TRUE(accepted(v.verify(t.token, kNow + 60)));  // within the leeway
    EXPECT_TRUE(refused(v.verify(t.token, kNow + 3600), token_error::expired));
    const std::string nbf =
        R"({"iss":"ringcast","sub":"u","nbf":)" + std::to_string(kNow + 3600) + "}";
    EXPECT_TRUE(refused(v.verify(hs256_token(kStreamHeader, nbf, kStreamKey), kNow),
                        token_error::not_yet_valid));
    EXPECT_TRUE(
        refused(v.verify(hs256_token(kStreamHeader, R"({"iss":"ringcast"})", kStreamKey), kNow),
                token_error::missing_subject));
    EXPECT_TRUE(refused(
        v.verify(hs256_token(kStreamHeader, R"({"iss":"ringcast","sub":""})", kStreamKey), kNow),
        token_error::missing_subject));
}

TEST(StreamTokenVerifier, AKidThatIsNotAStringPicksNoStreamKey) {
    // {"kid": 1} or a kid that differs in case is the application's business.
    TokenVerifier v = verifier(no_app_auth());
    const std::string payload = R"({"iss":"ringcast","sub":"u"})";
    for (const char* header :
         {R"({"alg":"HS256","kid":1})", R"({"alg":"HS256","kid":"Ringcast-Stream"})",
          R"({"alg":"HS256","kid":["ringcast-stream"]})"}) {
        EXPECT_TRUE(refused(v.verify(hs256_token(header, payload, kStreamKey), kNow),
                            token_error::not_configured))
            << header;
    }
}

}  // namespace
}  // namespace ringcast

// JWT verification: each algorithm, the time checks with leeway, issuer and
// audience, claim types, and the hostile tokens (alg none, algorithm confusion,
// broken encodings) that must be refused with the right code and never crash.
#include "auth/token_verifier.h"

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "auth/base64url.h"
#include "auth/test_tokens.h"
#include "support/random.h"

namespace ringcast {
namespace {

using test::assemble;
using test::hs256_token;
using test::kSecret;
using test::rs256_token;
using test::sign_token;

constexpr int64_t kNow = 1'700'000'000;

AuthOptions options_for(JwtAlgorithm alg) {
    AuthOptions o;
    o.algorithm = alg;
    o.key = alg == JwtAlgorithm::hs256   ? kSecret
            : alg == JwtAlgorithm::rs256 ? test::rsa_key().public_pem
            : alg == JwtAlgorithm::es256 ? test::ec_key().public_pem
                                         : "";
    return o;
}

TokenVerifier verifier_for(const AuthOptions& o) {
    std::string error;
    auto v = TokenVerifier::create(o, &error);
    EXPECT_TRUE(v) << error;
    return v ? std::move(*v) : TokenVerifier();
}

TokenVerifier verifier_for(JwtAlgorithm alg) {
    return verifier_for(options_for(alg));
}

// A token signed the honest way for `alg` with the matching test key.
std::string signed_token(JwtAlgorithm alg, const std::string& claims) {
    const std::string& key = alg == JwtAlgorithm::hs256   ? kSecret
                             : alg == JwtAlgorithm::rs256 ? test::rsa_key().private_pem
                                                          : test::ec_key().private_pem;
    return sign_token(alg, key, claims);
}

std::string hs256(const std::string& claims) {
    return signed_token(JwtAlgorithm::hs256, claims);
}

// Refused with `code`, whatever the message.
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

class TokenVerifierAlgorithms : public ::testing::TestWithParam<JwtAlgorithm> {};

TEST_P(TokenVerifierAlgorithms, AcceptsAValidTokenAndReadsItsClaims) {
    TokenVerifier v = verifier_for(GetParam());
    std::string token = signed_token(
        GetParam(),
        R"({"sub":"alice","roles":["editor","viewer"],"permissions":["dashboard.view"],)"
        R"("subscriber":true,"publish":true,"exp":1700003600,"nbf":1699999000})");
    Verified r = v.verify(token, kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_EQ(r.claims.user, "alice");
    EXPECT_EQ(r.claims.roles, (std::vector<std::string>{"editor", "viewer"}));
    EXPECT_EQ(r.claims.permissions, (std::vector<std::string>{"dashboard.view"}));
    EXPECT_TRUE(r.claims.subscriber);
    EXPECT_TRUE(r.claims.publish);
    EXPECT_FALSE(r.claims.admin);
    EXPECT_EQ(r.claims.expires_at_s, 1700003600);
    EXPECT_TRUE(r.error_code.empty());
}

TEST_P(TokenVerifierAlgorithms, FlippedSignatureByteIsABadSignature) {
    TokenVerifier v = verifier_for(GetParam());
    std::string token = signed_token(GetParam(), R"({"sub":"alice"})");
    // Change a character in the middle of the signature (the last one may carry
    // only padding bits, which the strict decoder would call malformed instead).
    size_t i = token.rfind('.') + 10;
    token[i] = token[i] == 'A' ? 'B' : 'A';
    EXPECT_TRUE(refused(v.verify(token, kNow), token_error::bad_signature));
}

TEST_P(TokenVerifierAlgorithms, AlteredPayloadIsABadSignature) {
    TokenVerifier v = verifier_for(GetParam());
    std::string token = signed_token(GetParam(), R"({"sub":"alice"})");
    size_t dot1 = token.find('.'), dot2 = token.rfind('.');
    std::string forged =
        token.substr(0, dot1 + 1) + base64url_encode(R"({"sub":"admin"})") + token.substr(dot2);
    EXPECT_TRUE(refused(v.verify(forged, kNow), token_error::bad_signature));
}

TEST_P(TokenVerifierAlgorithms, TokenWithoutSignatureIsRefused) {
    TokenVerifier v = verifier_for(GetParam());
    std::string token = signed_token(GetParam(), R"({"sub":"alice"})");
    token.erase(token.rfind('.') + 1);
    EXPECT_TRUE(refused(v.verify(token, kNow), token_error::bad_signature));
}

INSTANTIATE_TEST_SUITE_P(Token, TokenVerifierAlgorithms,
                         ::testing::Values(JwtAlgorithm::hs256, JwtAlgorithm::rs256,
                                           JwtAlgorithm::es256),
                         [](const auto& info) {
                             return std::string(jwt_algorithm_name(info.param));
                         });

TEST(TokenVerifier, WrongKeyIsABadSignature) {
    std::string claims = R"({"sub":"alice"})";
    EXPECT_TRUE(refused(verifier_for(JwtAlgorithm::hs256)
                            .verify(sign_token(JwtAlgorithm::hs256,
                                               "another secret that is long enough, 32+", claims),
                                    kNow),
                        token_error::bad_signature));
    EXPECT_TRUE(refused(
        verifier_for(JwtAlgorithm::rs256)
            .verify(sign_token(JwtAlgorithm::rs256, test::other_rsa_key().private_pem, claims),
                    kNow),
        token_error::bad_signature));
    EXPECT_TRUE(refused(
        verifier_for(JwtAlgorithm::es256)
            .verify(sign_token(JwtAlgorithm::es256, test::other_ec_key().private_pem, claims),
                    kNow),
        token_error::bad_signature));
}

TEST(TokenVerifier, Es256SignatureMustBeRAndSNotDer) {
    // OpenSSL's EVP signing (rs256_token's) writes an ECDSA signature as DER, the
    // mistake a hand-rolled issuer makes; JWS wants r || s (RFC 7518 §3.4).
    std::string payload = R"({"sub":"alice"})";
    TokenVerifier v = verifier_for(JwtAlgorithm::es256);
    std::string der = rs256_token(R"({"alg":"ES256"})", payload, test::ec_key().private_pem);
    EXPECT_TRUE(refused(v.verify(der, kNow), token_error::bad_signature));
    // r || s of the right length but all zeros, and all ones.
    for (char fill : {'\0', '\xff'})
        EXPECT_TRUE(
            refused(v.verify(assemble(R"({"alg":"ES256"})", payload, std::string(64, fill)), kNow),
                    token_error::bad_signature));
}

TEST(TokenVerifier, OneVerifierServesManyThreadsAtOnce) {
    // Shards share one verifier (and its parsed key); OpenSSL must not trip over
    // concurrent use, and a refusal on one thread must not leak into another's.
    for (JwtAlgorithm alg : {JwtAlgorithm::hs256, JwtAlgorithm::rs256, JwtAlgorithm::es256}) {
        TokenVerifier v = verifier_for(alg);
        std::string good = signed_token(alg, R"({"sub":"alice"})");
        std::string bad = good;
        size_t i = bad.rfind('.') + 10;
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int n = 0; n < 50; ++n) {
                    bool want_good = (n + t) % 2 == 0;
                    Verified r = v.verify(want_good ? good : bad, kNow);
                    if (r.ok != want_good) wrong.fetch_add(1);
                }
            });
        for (std::thread& th : threads)
            th.join();
        EXPECT_EQ(wrong.load(), 0) << jwt_algorithm_name(alg);
    }
}

TEST(TokenVerifier, NotConfiguredRefusesEveryToken) {
    TokenVerifier v;
    EXPECT_FALSE(v.configured());
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"alice"})"), kNow), token_error::not_configured));
    EXPECT_TRUE(refused(v.verify("", kNow), token_error::not_configured));
    auto created = TokenVerifier::create(AuthOptions{}, nullptr);
    ASSERT_TRUE(created);
    EXPECT_TRUE(refused(created->verify("a.b.c", kNow), token_error::not_configured));
}

// --- time ----------------------------------------------------------------

TEST(TokenVerifierTime, ExpiredTokenIsRefused) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.leeway_ms = 0;
    TokenVerifier v = verifier_for(o);
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"sub":"a","exp":1699999999})"), kNow), token_error::expired));
    // RFC 7519: valid only *before* exp.
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"sub":"a","exp":1700000000})"), kNow), token_error::expired));
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","exp":1700000001})"), kNow)));
}

TEST(TokenVerifierTime, ExpiredWithinTheLeewayIsAccepted) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.leeway_ms = 30000;
    TokenVerifier v = verifier_for(o);
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","exp":1699999971})"), kNow)));
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"sub":"a","exp":1699999970})"), kNow), token_error::expired));
}

TEST(TokenVerifierTime, FractionalExpIsHonoured) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.leeway_ms = 0;
    TokenVerifier v = verifier_for(o);
    Verified r = v.verify(hs256(R"({"sub":"a","exp":1700000000.5})"), kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_EQ(r.claims.expires_at_s, 1700000000);
    EXPECT_EQ(r.claims.accepted_until_ms, 1700000001000) << "the first whole second it is refused";
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"sub":"a","exp":1699999999.5})"), kNow), token_error::expired));
}

// The instant a stream opened with the token must end: the first one at which
// verify() refuses it.
TEST(TokenVerifierTime, AcceptedUntilIsExpPlusTheLeeway) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.leeway_ms = 30'000;
    TokenVerifier v = verifier_for(o);
    const std::string token = hs256(R"({"sub":"a","exp":1699999990})");
    Verified r = v.verify(token, kNow);
    ASSERT_TRUE(accepted(r)) << "inside the leeway";
    EXPECT_EQ(r.claims.accepted_until_ms, 1700000020000);
    EXPECT_TRUE(accepted(v.verify(token, 1700000019)));
    EXPECT_TRUE(refused(v.verify(token, 1700000020), token_error::expired));
}

TEST(TokenVerifierTime, NoExpMeansNoExpiry) {
    Verified r = verifier_for(JwtAlgorithm::hs256).verify(hs256(R"({"sub":"a"})"), kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_EQ(r.claims.expires_at_s, 0);
    EXPECT_EQ(r.claims.accepted_until_ms, 0);
}

TEST(TokenVerifierTime, NotBeforeInTheFutureIsRefused) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.leeway_ms = 30000;
    TokenVerifier v = verifier_for(o);
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a","nbf":1700000031})"), kNow),
                        token_error::not_yet_valid));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a","nbf":1800000000})"), kNow),
                        token_error::not_yet_valid));
}

TEST(TokenVerifierTime, NotBeforeWithinTheLeewayIsAccepted) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.leeway_ms = 30000;
    TokenVerifier v = verifier_for(o);
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","nbf":1700000030})"), kNow)));
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","nbf":1700000000})"), kNow)));
    o.leeway_ms = 0;
    EXPECT_TRUE(refused(verifier_for(o).verify(hs256(R"({"sub":"a","nbf":1700000001})"), kNow),
                        token_error::not_yet_valid));
}

TEST(TokenVerifierTime, AbsurdTimesSaturateInsteadOfOverflowing) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.leeway_ms = UINT64_MAX;
    TokenVerifier huge_leeway = verifier_for(o);
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","exp":9223372036854775807})"), kNow)));
    // Beyond int64 (simdjson reads it as unsigned): as far in the future as exp goes.
    EXPECT_TRUE(accepted(v.verify(
        hs256_token(R"({"alg":"HS256"})", R"({"sub":"a","exp":18446744073709551615})", kSecret),
        kNow)));
    EXPECT_TRUE(refused(v.verify(hs256_token(R"({"alg":"HS256"})",
                                             R"({"sub":"a","nbf":18446744073709551615})", kSecret),
                                 kNow),
                        token_error::not_yet_valid));
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","exp":1e300})"), kNow)));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a","exp":-9223372036854775807})"), kNow),
                        token_error::expired));
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"sub":"a","exp":-1e300})"), kNow), token_error::expired));
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"sub":"a","nbf":1e300})"), kNow), token_error::not_yet_valid));
    EXPECT_TRUE(accepted(huge_leeway.verify(hs256(R"({"sub":"a","exp":1})"), kNow)));
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","exp":1800000000})"), INT64_MIN)));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a","exp":1800000000})"), INT64_MAX),
                        token_error::expired));
}

TEST(TokenVerifierTime, NonNumericTimesAreMalformed) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    Verified r = v.verify(hs256(R"({"sub":"a","exp":"1800000000"})"), kNow);
    EXPECT_TRUE(refused(r, token_error::malformed));
    EXPECT_NE(r.message.find("\"exp\""), std::string::npos) << r.message;
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"sub":"a","nbf":true})"), kNow), token_error::malformed));
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","exp":null,"nbf":null})"), kNow)));
}

// --- algorithms: none, confusion, mismatch --------------------------------

TEST(TokenVerifierAlgorithm, AlgNoneIsRefusedWithOrWithoutASignature) {
    for (JwtAlgorithm alg : {JwtAlgorithm::hs256, JwtAlgorithm::rs256, JwtAlgorithm::es256}) {
        TokenVerifier v = verifier_for(alg);
        std::string payload = R"({"sub":"admin","admin":true})";
        EXPECT_TRUE(refused(v.verify(assemble(R"({"alg":"none"})", payload, ""), kNow),
                            token_error::unsupported_algorithm));
        EXPECT_TRUE(refused(
            v.verify(assemble(R"({"alg":"none","typ":"JWT"})", payload, "whatever signature"),
                     kNow),
            token_error::unsupported_algorithm));
        for (const char* spelling : {R"({"alg":"None"})", R"({"alg":"NONE"})", R"({"alg":""})"})
            EXPECT_TRUE(refused(v.verify(assemble(spelling, payload, ""), kNow),
                                token_error::unsupported_algorithm))
                << spelling;
    }
}

TEST(TokenVerifierAlgorithm, HS256SignedWithTheRsaPublicKeyIsRefused) {
    // The classic confusion: the attacker knows the public key and uses its PEM
    // as the HMAC secret, hoping the verifier lets the header pick HMAC.
    std::string claims = R"({"sub":"admin","admin":true})";
    const std::string& rsa_pem = test::rsa_key().public_pem;
    std::string forged = sign_token(JwtAlgorithm::hs256, rsa_pem, claims);
    EXPECT_TRUE(refused(verifier_for(JwtAlgorithm::rs256).verify(forged, kNow),
                        token_error::unsupported_algorithm));
    const std::string& ec_pem = test::ec_key().public_pem;
    EXPECT_TRUE(refused(verifier_for(JwtAlgorithm::es256)
                            .verify(sign_token(JwtAlgorithm::hs256, ec_pem, claims), kNow),
                        token_error::unsupported_algorithm));
}

TEST(TokenVerifierAlgorithm, RepeatedAlgIsRefused) {
    // simdjson reads the first "alg", jansson the last: a header naming both must
    // be refused, whatever parser the issuer or a proxy uses.
    std::string payload = R"({"sub":"admin"})";
    const std::string& pem = test::rsa_key().public_pem;
    TokenVerifier v = verifier_for(JwtAlgorithm::rs256);
    EXPECT_TRUE(
        refused(v.verify(hs256_token(R"({"alg":"RS256","alg":"HS256"})", payload, pem), kNow),
                token_error::unsupported_algorithm));
    EXPECT_TRUE(refused(v.verify(rs256_token(R"({"alg":"RS256","alg":"RS256"})", payload,
                                             test::rsa_key().private_pem),
                                 kNow),
                        token_error::unsupported_algorithm));
}

TEST(TokenVerifierAlgorithm, OnlyTheConfiguredAlgorithmIsAccepted) {
    std::string claims = R"({"sub":"alice"})";
    std::string rs = signed_token(JwtAlgorithm::rs256, claims);
    std::string es = signed_token(JwtAlgorithm::es256, claims);
    std::string hs = signed_token(JwtAlgorithm::hs256, claims);
    TokenVerifier v_hs = verifier_for(JwtAlgorithm::hs256);
    TokenVerifier v_rs = verifier_for(JwtAlgorithm::rs256);
    TokenVerifier v_es = verifier_for(JwtAlgorithm::es256);
    EXPECT_TRUE(refused(v_hs.verify(rs, kNow), token_error::unsupported_algorithm));
    EXPECT_TRUE(refused(v_hs.verify(es, kNow), token_error::unsupported_algorithm));
    EXPECT_TRUE(refused(v_rs.verify(es, kNow), token_error::unsupported_algorithm));
    EXPECT_TRUE(refused(v_rs.verify(hs, kNow), token_error::unsupported_algorithm));
    EXPECT_TRUE(refused(v_es.verify(rs, kNow), token_error::unsupported_algorithm));
    EXPECT_TRUE(refused(v_es.verify(hs, kNow), token_error::unsupported_algorithm));
    // Close relatives and case variants are other algorithms too.
    for (const char* alg : {R"({"alg":"HS512"})", R"({"alg":"hs256"})", R"({"alg":"HS256 "})"})
        EXPECT_TRUE(refused(v_hs.verify(hs256_token(alg, claims, kSecret), kNow),
                            token_error::unsupported_algorithm))
            << alg;
}

TEST(TokenVerifierAlgorithm, HeaderMayCarryOtherFields) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    EXPECT_TRUE(accepted(v.verify(hs256_token(R"({"typ":"jwt","kid":"k1","cty":"x","alg":"HS256"})",
                                              R"({"sub":"a"})", kSecret),
                                  kNow)));
    // Any other typ (RFC 9068's "at+jwt" included) marks a token for another use.
    Verified r =
        v.verify(hs256_token(R"({"typ":"at+jwt","alg":"HS256"})", R"({"sub":"a"})", kSecret), kNow);
    EXPECT_TRUE(refused(r, token_error::malformed));
    EXPECT_NE(r.message.find("typ"), std::string::npos) << r.message;
    EXPECT_TRUE(
        accepted(v.verify(hs256_token(R"({"alg":"HS256"})", R"({"sub":"a"})", kSecret), kNow)));
    EXPECT_TRUE(refused(
        v.verify(hs256_token(R"({"alg":"HS256","crit":["exp"]})", R"({"sub":"a"})", kSecret), kNow),
        token_error::malformed));
}

// --- malformed -----------------------------------------------------------

TEST(TokenVerifierMalformed, NotThreeSegments) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    std::string good = hs256(R"({"sub":"a"})");
    std::string two = good.substr(0, good.rfind('.'));
    for (const std::string& t :
         {std::string(""), std::string("."), std::string(".."), std::string("abc"), two, good + ".",
          good + ".abc", good + "." + good, "..." + good})
        EXPECT_TRUE(refused(v.verify(t, kNow), token_error::malformed)) << t;
}

TEST(TokenVerifierMalformed, BadBase64) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    std::string good = hs256(R"({"sub":"a"})");
    size_t dot1 = good.find('.'), dot2 = good.rfind('.');
    std::string header = good.substr(0, dot1);
    std::string payload = good.substr(dot1 + 1, dot2 - dot1 - 1);
    std::string sig = good.substr(dot2 + 1);
    std::vector<std::string> bad = {
        header + "=." + payload + "." + sig,                 // padding
        header + "." + payload + "==." + sig,                // padding
        header + "." + payload + "." + sig + "=",            // padding
        "+" + header.substr(1) + "." + payload + "." + sig,  // standard base64 alphabet
        header + "." + payload + "." + sig.substr(0, 10) + "/" + sig.substr(11),
        header + "." + payload + "x." + sig,  // wrong length or bits
        header + ".A." + sig,                 // length 4n + 1
        "." + payload + "." + sig,            // empty header
        header + ".." + sig,                  // empty payload
        header + " ." + payload + "." + sig,
        header + "." + payload + "." + sig + "\n",
        std::string(header).insert(3, 1, '\0') + "." + payload + "." + sig,
    };
    for (const std::string& t : bad)
        EXPECT_TRUE(refused(v.verify(t, kNow), token_error::malformed)) << t;
}

TEST(TokenVerifierMalformed, HeaderOrPayloadNotAJsonObject) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    std::string claims = R"({"sub":"a"})";
    for (const char* header : {"not json", R"(["HS256"])", R"("HS256")", R"({"alg":"HS256")",
                               R"({"typ":"JWT"})", R"({"alg":256})", R"({"alg":null})", ""})
        EXPECT_TRUE(
            refused(v.verify(hs256_token(header, claims, kSecret), kNow), token_error::malformed))
            << header;
    for (const char* payload : {"not json", R"(["a"])", "42", R"({"sub":"a")", "{\"sub\":\"a\"}x"})
        EXPECT_TRUE(refused(v.verify(hs256_token(R"({"alg":"HS256"})", payload, kSecret), kNow),
                            token_error::malformed))
            << payload;
}

TEST(TokenVerifierMalformed, NumbersBeyondADoubleAreMalformedNotABadSignature) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    EXPECT_TRUE(refused(
        v.verify(hs256_token(R"({"alg":"HS256"})", R"({"sub":"a","n":1e400})", kSecret), kNow),
        token_error::malformed));
}

TEST(TokenVerifierMalformed, HugeTokenIsRefusedUnread) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    std::string big(kMaxTokenBytes + 1, 'A');
    EXPECT_TRUE(refused(v.verify(big, kNow), token_error::malformed));
    // A real token just over the limit, validly signed, is still refused.
    std::string pad(kMaxTokenBytes, 'x');
    std::string token = hs256(R"({"sub":"a","pad":")" + pad + "\"}");
    ASSERT_GT(token.size(), kMaxTokenBytes);
    EXPECT_TRUE(refused(v.verify(token, kNow), token_error::malformed));
    // And one just under it is fine.
    std::string fits = hs256(R"({"sub":"a","pad":")" + std::string(5800, 'x') + "\"}");
    ASSERT_LE(fits.size(), kMaxTokenBytes);
    EXPECT_TRUE(accepted(v.verify(fits, kNow)));
}

TEST(TokenVerifierMalformed, RandomMutationsNeverPassAndNeverCrash) {
    test::Rng rng(test::test_seed());
    for (JwtAlgorithm alg : {JwtAlgorithm::hs256, JwtAlgorithm::rs256, JwtAlgorithm::es256}) {
        TokenVerifier v = verifier_for(alg);
        std::string good = signed_token(alg, R"({"sub":"alice","roles":["a"],"exp":1800000000})");
        ASSERT_TRUE(accepted(v.verify(good, kNow)));
        for (int i = 0; i < 300; ++i) {
            std::string t = good;
            int edits = int(rng.between(1, 4));
            for (int e = 0; e < edits && !t.empty(); ++e) {
                size_t at = rng.below(t.size());
                switch (rng.below(3)) {
                    case 0: t[at] = char(rng.below(256)); break;
                    case 1: t.erase(at, 1); break;
                    default: t.insert(at, 1, char(rng.below(256))); break;
                }
            }
            if (t == good) continue;
            Verified r = v.verify(t, kNow);
            EXPECT_FALSE(r.ok) << t;
            EXPECT_FALSE(r.error_code.empty());
        }
        for (int i = 0; i < 100; ++i) {
            std::string junk(rng.below(200), '\0');
            for (char& c : junk)
                c = char(rng.below(256));
            EXPECT_FALSE(v.verify(junk, kNow).ok);
        }
    }
}

// --- issuer and audience -------------------------------------------------

TEST(TokenVerifierIssuer, MustMatchWhenConfigured) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.issuer = "https://auth.example.com";
    TokenVerifier v = verifier_for(o);
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","iss":"https://auth.example.com"})"), kNow)));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a","iss":"https://evil.example.com"})"), kNow),
                        token_error::wrong_issuer));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a"})"), kNow), token_error::wrong_issuer));
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"sub":"a","iss":""})"), kNow), token_error::wrong_issuer));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a","iss":["https://auth.example.com"]})"), kNow),
                        token_error::malformed));
}

TEST(TokenVerifierIssuer, IgnoredWhenNotConfigured) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","iss":"anyone"})"), kNow)));
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","iss":42,"aud":{}})"), kNow)));
}

TEST(TokenVerifierAudience, StringOrArrayMustContainIt) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.audience = "ringcast";
    TokenVerifier v = verifier_for(o);
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","aud":"ringcast"})"), kNow)));
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":"a","aud":["other","ringcast"]})"), kNow)));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a","aud":"other"})"), kNow),
                        token_error::wrong_audience));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a","aud":["other","RINGCAST"]})"), kNow),
                        token_error::wrong_audience));
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"sub":"a","aud":[]})"), kNow), token_error::wrong_audience));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a"})"), kNow), token_error::wrong_audience));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a","aud":["ringcast",7]})"), kNow),
                        token_error::malformed));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":"a","aud":7})"), kNow), token_error::malformed));
}

TEST(TokenVerifierOrder, SignatureBeforeClaimsAndTimeBeforeIssuer) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.leeway_ms = 0;
    o.issuer = "me";
    o.audience = "us";
    TokenVerifier v = verifier_for(o);
    // A forged token learns nothing about its claims: the signature fails first.
    EXPECT_TRUE(refused(v.verify(hs256_token(R"({"alg":"HS256"})", R"({"roles":7})",
                                             "a wrong secret, but 32 bytes or more"),
                                 kNow),
                        token_error::bad_signature));
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"exp":1,"iss":"x","aud":"y"})"), kNow), token_error::expired));
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"iss":"x","aud":"y"})"), kNow), token_error::wrong_issuer));
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"iss":"me","aud":"y"})"), kNow), token_error::wrong_audience));
    EXPECT_TRUE(
        refused(v.verify(hs256(R"({"iss":"me","aud":"us"})"), kNow), token_error::missing_subject));
}

// --- claims ----------------------------------------------------------------

TEST(TokenVerifierClaims, UserMayBeAStringOrAnInteger) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    EXPECT_EQ(v.verify(hs256(R"({"sub":12345})"), kNow).claims.user, "12345");
    EXPECT_EQ(v.verify(hs256(R"({"sub":-7})"), kNow).claims.user, "-7");
    EXPECT_EQ(v.verify(hs256(R"({"sub":9223372036854775807})"), kNow).claims.user,
              "9223372036854775807");
    // Beyond int64: still an integer, kept as its decimal text.
    EXPECT_EQ(
        v.verify(hs256_token(R"({"alg":"HS256"})", R"({"sub":18446744073709551615})", kSecret),
                 kNow)
            .claims.user,
        "18446744073709551615");
    EXPECT_EQ(v.verify(hs256(R"({"sub":"u-1"})"), kNow).claims.user, "u-1");
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":1.5})"), kNow), token_error::malformed));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":true})"), kNow), token_error::malformed));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":["a"]})"), kNow), token_error::malformed));
    EXPECT_TRUE(refused(v.verify(hs256(R"({"sub":")" + std::string(257, 'u') + "\"}"), kNow),
                        token_error::malformed));
    EXPECT_TRUE(accepted(v.verify(hs256(R"({"sub":")" + std::string(256, 'u') + "\"}"), kNow)));
}

TEST(TokenVerifierClaims, MissingOrEmptyUserIsMissingSubject) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    for (const char* claims :
         {R"({})", R"({"sub":""})", R"({"sub":null})", R"({"user":"alice","roles":["admin"]})"})
        EXPECT_TRUE(refused(v.verify(hs256(claims), kNow), token_error::missing_subject)) << claims;
}

TEST(TokenVerifierClaims, RolesAndPermissionsAreArraysOfStrings) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    Verified r = v.verify(hs256(R"({"sub":"a","roles":[],"permissions":["p1","p2"]})"), kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_TRUE(r.claims.roles.empty());
    EXPECT_EQ(r.claims.permissions, (std::vector<std::string>{"p1", "p2"}));

    r = v.verify(hs256(R"({"sub":"a"})"), kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_TRUE(r.claims.roles.empty());
    EXPECT_TRUE(r.claims.permissions.empty());
    EXPECT_FALSE(r.claims.subscriber || r.claims.publish || r.claims.admin);

    for (const char* claims :
         {R"({"sub":"a","roles":"admin"})", R"({"sub":"a","roles":["ok",1]})",
          R"({"sub":"a","roles":[["admin"]]})", R"({"sub":"a","roles":{"admin":true}})"}) {
        Verified bad = v.verify(hs256(claims), kNow);
        EXPECT_TRUE(refused(bad, token_error::malformed)) << claims;
        EXPECT_NE(bad.message.find("\"roles\""), std::string::npos) << bad.message;
    }
    Verified bad = v.verify(hs256(R"({"sub":"a","permissions":[null]})"), kNow);
    EXPECT_TRUE(refused(bad, token_error::malformed));
    EXPECT_NE(bad.message.find("\"permissions\""), std::string::npos) << bad.message;
}

TEST(TokenVerifierClaims, FlagsAreBooleans) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    Verified r =
        v.verify(hs256(R"({"sub":"a","subscriber":true,"publish":false,"admin":true})"), kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_TRUE(r.claims.subscriber);
    EXPECT_FALSE(r.claims.publish);
    EXPECT_TRUE(r.claims.admin);
    for (const char* name : {"subscriber", "publish", "admin"})
        for (const char* value : {"1", "\"true\"", "[]"}) {
            std::string claims = std::string(R"({"sub":"a",")") + name + "\":" + value + "}";
            Verified bad = v.verify(hs256(claims), kNow);
            EXPECT_TRUE(refused(bad, token_error::malformed)) << claims;
            EXPECT_NE(bad.message.find(name), std::string::npos) << bad.message;
        }
}

TEST(TokenVerifierClaims, AdminRoleMakesAnAdmin) {
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    Verified r = v.verify(hs256(R"({"sub":"a","roles":["moderator","admin"]})"), kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_TRUE(r.claims.admin);
    EXPECT_FALSE(r.claims.publish);
    EXPECT_FALSE(
        v.verify(hs256(R"({"sub":"a","roles":["Admin","administrator"]})"), kNow).claims.admin);
}

TEST(TokenVerifierClaims, OfAClaimNamedTwiceTheLastCounts) {
    // RFC 7519 §4: refuse duplicates or keep the last; libjwt's parser keeps the last.
    TokenVerifier v = verifier_for(JwtAlgorithm::hs256);
    auto verify = [&](std::string_view payload) {
        return v.verify(hs256_token(R"({"alg":"HS256"})", payload, kSecret), kNow);
    };
    EXPECT_EQ(verify(R"({"sub":"a","sub":"b"})").claims.user, "b");
    EXPECT_FALSE(verify(R"({"sub":"a","roles":["admin"],"roles":[]})").claims.admin);
    EXPECT_TRUE(refused(verify(R"({"sub":"a","exp":1800000000,"exp":1})"), token_error::expired));
    EXPECT_TRUE(refused(verify(R"({"sub":"a","sub":null})"), token_error::missing_subject));
}

TEST(TokenVerifierClaims, EmptyClaimNamesReadNothing) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.roles_claim = "";
    o.admin_claim = "";
    TokenVerifier v = verifier_for(o);
    Verified r = v.verify(
        hs256_token(R"({"alg":"HS256"})", R"({"sub":"a","":["admin"],"roles":["admin"]})", kSecret),
        kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_TRUE(r.claims.roles.empty());
    EXPECT_FALSE(r.claims.admin);
}

TEST(TokenVerifierClaims, ClaimNamesAreConfigurable) {
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.user_claim = "uid";
    o.roles_claim = "https://example.com/roles";
    o.permissions_claim = "scope_list";
    o.subscriber_claim = "premium";
    o.publish_claim = "can_publish";
    o.admin_claim = "is_admin";
    TokenVerifier v = verifier_for(o);
    Verified r =
        v.verify(hs256(R"({"sub":"ignored","uid":42,"https://example.com/roles":["r"],)"
                       R"("scope_list":["s"],"premium":true,"can_publish":true,"is_admin":true,)"
                       R"("roles":7,"admin":"not read"})"),
                 kNow);
    ASSERT_TRUE(accepted(r));
    EXPECT_EQ(r.claims.user, "42");
    EXPECT_EQ(r.claims.roles, std::vector<std::string>{"r"});
    EXPECT_EQ(r.claims.permissions, std::vector<std::string>{"s"});
    EXPECT_TRUE(r.claims.subscriber && r.claims.publish && r.claims.admin);
}

// --- keys at start-up ------------------------------------------------------

std::string create_error(JwtAlgorithm alg, const std::string& key) {
    AuthOptions o;
    o.algorithm = alg;
    o.key = key;
    std::string error;
    auto v = TokenVerifier::create(o, &error);
    EXPECT_FALSE(v) << "key accepted for " << jwt_algorithm_name(alg);
    EXPECT_FALSE(error.empty());
    return error;
}

TEST(TokenVerifierKeys, HS256NeedsALongSecretThatIsNotAPemKey) {
    std::string error = create_error(JwtAlgorithm::hs256, "short-secret-31-bytes-long-xxxx");
    EXPECT_NE(error.find("32"), std::string::npos) << error;
    EXPECT_EQ(error.find("short-secret"), std::string::npos) << "the secret leaks: " << error;
    create_error(JwtAlgorithm::hs256, "");
    create_error(JwtAlgorithm::hs256, test::rsa_key().public_pem);
    AuthOptions o = options_for(JwtAlgorithm::hs256);
    o.key = std::string(32, 'k');
    std::string ignored;
    EXPECT_TRUE(TokenVerifier::create(o, &ignored));
}

TEST(TokenVerifierKeys, RS256NeedsAnRsaPublicKeyOfAtLeast2048Bits) {
    EXPECT_NE(create_error(JwtAlgorithm::rs256, "").find("none is set"), std::string::npos);
    create_error(JwtAlgorithm::rs256, "not a pem");
    create_error(JwtAlgorithm::rs256,
                 "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    std::string error = create_error(JwtAlgorithm::rs256, test::rsa_key().private_pem);
    EXPECT_NE(error.find("PUBLIC KEY"), std::string::npos) << error;
    EXPECT_EQ(error.find("PRIVATE"), std::string::npos) << error;
    error = create_error(JwtAlgorithm::rs256, test::ec_key().public_pem);
    EXPECT_NE(error.find("EC"), std::string::npos) << error;
    error = create_error(JwtAlgorithm::rs256, test::make_rsa_key(1024).public_pem);
    EXPECT_NE(error.find("1024"), std::string::npos) << error;
}

TEST(TokenVerifierKeys, ES256NeedsAP256PublicKey) {
    std::string error = create_error(JwtAlgorithm::es256, test::rsa_key().public_pem);
    EXPECT_NE(error.find("RSA"), std::string::npos) << error;
    error = create_error(JwtAlgorithm::es256, test::make_ec_key("P-384").public_pem);
    EXPECT_NE(error.find("secp384r1"), std::string::npos) << error;
    create_error(JwtAlgorithm::es256, test::ec_key().private_pem);
    create_error(JwtAlgorithm::es256, kSecret);
}

TEST(TokenVerifierKeys, AlgorithmNamesRoundTrip) {
    for (JwtAlgorithm a :
         {JwtAlgorithm::none, JwtAlgorithm::hs256, JwtAlgorithm::rs256, JwtAlgorithm::es256})
        EXPECT_EQ(parse_jwt_algorithm(jwt_algorithm_name(a)), a);
    EXPECT_EQ(parse_jwt_algorithm("hs256"), std::nullopt);
    EXPECT_EQ(parse_jwt_algorithm("none"), std::nullopt);
    EXPECT_EQ(parse_jwt_algorithm("PS256"), std::nullopt);
}

}  // namespace
}  // namespace ringcast

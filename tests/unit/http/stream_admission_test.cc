// Stream admission and API authorization: which request opens a stream (with
// which identity and channels) and which may publish or read stats, with the
// status, code and reason each refusal carries. HS256 tokens signed at test time.
#include "http/stream_admission.h"

#include <ctime>
#include <string>

#include <gtest/gtest.h>

#include "auth/test_tokens.h"
#include "http/api_auth.h"

namespace ringcast {
namespace {

using test::kSecret;
using test::sign_token;

const int64_t kNow = int64_t(std::time(nullptr));

TokenVerifier hs256_verifier() {
    AuthOptions o;
    o.algorithm = JwtAlgorithm::hs256;
    o.key = kSecret;
    std::string error;
    auto v = TokenVerifier::create(o, &error);
    EXPECT_TRUE(v) << error;
    return *v;
}

std::string token(const std::string& claims) {
    return sign_token(JwtAlgorithm::hs256, kSecret, claims);
}

HttpRequest get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = HTTP_GET;
    r.target = std::move(target);
    r.headers = std::move(headers);
    return r;
}

EndpointOptions general() {
    EndpointOptions e;
    e.path = "/api/sse/stream";
    e.default_channels = {"alerts", "system"};
    return e;
}

EndpointOptions admin() {
    EndpointOptions e;
    e.path = "/api/admin/sse/stream";
    e.channels = {"admin-actions"};
    e.default_channels = e.channels;
    e.require_auth = true;
    e.allowed_roles = {"admin", "moderator"};
    return e;
}

TEST(StreamAdmission, AnonymousOnAnOpenEndpointGetsItsDefaultOrChosenChannels) {
    TokenVerifier v = hs256_verifier();
    StreamAdmission a =
        admit_stream(get("/api/sse/stream"), general(), v, ChannelRules{}, 32, kNow);
    ASSERT_TRUE(a.ok) << a.refusal.message;
    EXPECT_FALSE(a.claims);
    EXPECT_EQ(a.channels, (std::vector<std::string>{"alerts", "system"}));
    a = admit_stream(get("/api/sse/stream?channels=b,a,b"), general(), v, ChannelRules{}, 32, kNow);
    ASSERT_TRUE(a.ok);
    EXPECT_EQ(a.channels, (std::vector<std::string>{"b", "a"})) << "duplicates dropped, order kept";
}

// [[channel]] rules hold on every endpoint: a named channel its rule closes is a
// 403 naming it; a default channel the stream may not hold is left out.
TEST(StreamAdmission, ChannelRulesRefuseNamedChannelsAndThinTheDefaults) {
    TokenVerifier v = hs256_verifier();
    ChannelRules rules({{"admin-actions", false, {"admin"}, {}}, {"system", true, {}, {}}}, true);
    StreamAdmission a = admit_stream(get("/api/sse/stream?channels=alerts,admin-actions"),
                                     general(), v, rules, 32, kNow);
    ASSERT_FALSE(a.ok);
    EXPECT_EQ(a.refusal.status, 403);
    EXPECT_EQ(a.refusal.code, "forbidden");
    EXPECT_EQ(a.refusal.reason, "channel_forbidden");
    EXPECT_NE(a.refusal.message.find("\"admin-actions\""), std::string::npos) << a.refusal.message;

    const std::string admin_token = token(R"({"sub":"a1","roles":["admin"]})");
    a = admit_stream(get("/x?channels=alerts,admin-actions&token=" + admin_token), general(), v,
                     rules, 32, kNow);
    ASSERT_TRUE(a.ok) << a.refusal.message;
    EXPECT_EQ(a.channels, (std::vector<std::string>{"alerts", "admin-actions"}));

    a = admit_stream(get("/x"), general(), v, rules, 32, kNow);  // defaults: alerts, system
    ASSERT_TRUE(a.ok) << a.refusal.message;
    EXPECT_EQ(a.channels, std::vector<std::string>{"alerts"}) << "system needs a token";

    ChannelRules closed({{"alerts", true, {}, {}}, {"system", true, {}, {}}}, true);
    a = admit_stream(get("/x"), general(), v, closed, 32, kNow);
    ASSERT_FALSE(a.ok);
    EXPECT_EQ(a.refusal.reason, "channel_forbidden");
    EXPECT_NE(a.refusal.message.find("name channels with ?channels="), std::string::npos)
        << a.refusal.message;
}

TEST(StreamAdmission, TokensFromEachSourceGiveTheIdentity) {
    TokenVerifier v = hs256_verifier();
    std::string t = token(R"({"sub":"u1","roles":["admin"],"subscriber":true})");
    for (const HttpRequest& r :
         {get("/x", {{"authorization", "Bearer " + t}}),
          get("/x", {{"cookie", "a=1; ringcast_token=" + t}}), get("/x?token=" + t)}) {
        StreamAdmission a = admit_stream(r, admin(), v, ChannelRules{}, 32, kNow);
        ASSERT_TRUE(a.ok) << a.refusal.message;
        ASSERT_TRUE(a.claims);
        EXPECT_EQ(a.claims->user, "u1");
        EXPECT_TRUE(a.claims->subscriber);
        EXPECT_EQ(a.channels, std::vector<std::string>{"admin-actions"});
    }
}

TEST(StreamAdmission, EachRefusalHasItsStatusCodeAndReason) {
    TokenVerifier v = hs256_verifier();
    struct Case {
        HttpRequest req;
        EndpointOptions ep;
        int status;
        std::string code, reason;
    };
    std::string viewer = token(R"({"sub":"u2","permissions":["dashboard.view"]})");
    std::string expired = token(R"({"sub":"u3","exp":)" + std::to_string(kNow - 3600) + "}");
    const Case cases[] = {
        {get("/x"), admin(), 401, "unauthorized", "missing_token"},
        {get("/x", {{"authorization", "Basic dTpw"}}), general(), 401, "invalid_token",
         "malformed"},
        {get("/x?token=" + expired), general(), 401, "invalid_token", "expired"},
        {get("/x?token=" + viewer + "x"), general(), 401, "invalid_token", "bad_signature"},
        {get("/x?token=" + viewer), admin(), 403, "forbidden", "missing_role"},
        {get("/x?channels=alerts&token=" + token(R"({"sub":"a","roles":["admin"]})")), admin(), 403,
         "forbidden", "channel_not_allowed"},
        {get("/x?channels=bad%20name"), general(), 400, "bad_request", ""},
        {get("/x?channels=%zz"), general(), 400, "bad_request", ""},
        {get("/x?channels=,,"), general(), 400, "bad_request", ""},
    };
    for (const Case& c : cases) {
        StreamAdmission a = admit_stream(c.req, c.ep, v, ChannelRules{}, 32, kNow);
        EXPECT_FALSE(a.ok) << c.req.target;
        EXPECT_EQ(a.refusal.status, c.status) << c.req.target << ": " << a.refusal.message;
        EXPECT_EQ(a.refusal.code, c.code) << c.req.target;
        EXPECT_EQ(a.refusal.reason, c.reason) << c.req.target;
        EXPECT_FALSE(a.refusal.message.empty());
    }
    EndpointOptions dashboard = general();
    dashboard.require_auth = true;
    dashboard.allowed_permissions = {"dashboard.view"};
    EXPECT_TRUE(admit_stream(get("/x?token=" + viewer), dashboard, v, ChannelRules{}, 32, kNow).ok);
    StreamAdmission no_perm = admit_stream(get("/x?token=" + token(R"({"sub":"u9"})")), dashboard,
                                           v, ChannelRules{}, 32, kNow);
    EXPECT_EQ(no_perm.refusal.reason, "missing_permission");
    StreamAdmission too_many =
        admit_stream(get("/x?channels=a,b,c"), general(), v, ChannelRules{}, 2, kNow);
    EXPECT_EQ(too_many.refusal.status, 400);
}

TEST(StreamAdmission, AnUnconfiguredVerifierRefusesTokensButServesTheAnonymous) {
    TokenVerifier none;
    EXPECT_TRUE(admit_stream(get("/x"), general(), none, ChannelRules{}, 32, kNow).ok);
    StreamAdmission a =
        admit_stream(get("/x?token=abc.def.ghi"), general(), none, ChannelRules{}, 32, kNow);
    EXPECT_EQ(a.refusal.status, 401);
    EXPECT_EQ(a.refusal.reason, "not_configured");
}

TEST(ApiAuth, KeysAndClaimsDecideWhoMayPublishAndReadStats) {
    TokenVerifier v = hs256_verifier();
    ApiAuthOptions o;
    o.api_keys = {"key-one-0123456789"};
    auto post = [](std::vector<std::pair<std::string, std::string>> h) {
        HttpRequest r = get("/api/publish", std::move(h));
        r.method = HTTP_POST;
        return r;
    };
    auto check = [&](const HttpRequest& r, ApiRight right) {
        return authorize_api(r, right, o, v, kNow, "POST /api/publish");
    };
    EXPECT_FALSE(check(post({{"x-api-key", "key-one-0123456789"}}), ApiRight::publish));
    EXPECT_FALSE(check(post({{"authorization", "Bearer key-one-0123456789"}}), ApiRight::admin));
    auto wrong_key = check(post({{"x-api-key", "key-one-0123456780"}}), ApiRight::publish);
    ASSERT_TRUE(wrong_key);
    EXPECT_EQ(wrong_key->code, "invalid_api_key");
    auto none = check(post({}), ApiRight::publish);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401);
    EXPECT_EQ(none->reason, "missing_credentials");

    std::string publisher = token(R"({"sub":"svc","publish":true})");
    std::string administrator = token(R"({"sub":"boss","roles":["admin"]})");
    std::string plain = token(R"({"sub":"u1"})");
    EXPECT_FALSE(check(post({{"authorization", "Bearer " + publisher}}), ApiRight::publish));
    EXPECT_FALSE(check(post({{"authorization", "Bearer " + administrator}}), ApiRight::publish));
    EXPECT_FALSE(check(post({{"authorization", "Bearer " + administrator}}), ApiRight::admin));
    auto not_admin = check(post({{"authorization", "Bearer " + publisher}}), ApiRight::admin);
    ASSERT_TRUE(not_admin);
    EXPECT_EQ(not_admin->status, 403);
    EXPECT_EQ(not_admin->reason, "missing_admin_claim");
    auto no_claim = check(post({{"authorization", "Bearer " + plain}}), ApiRight::publish);
    ASSERT_TRUE(no_claim);
    EXPECT_EQ(no_claim->reason, "missing_publish_claim");
    auto bad = check(post({{"authorization", "Bearer " + plain + "x"}}), ApiRight::publish);
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->code, "invalid_token");

    auto typo = check(post({{"authorization", "Bearer key-one-012345678"}}), ApiRight::publish);
    ASSERT_TRUE(typo);
    EXPECT_EQ(typo->code, "invalid_api_key") << "a Bearer value that is not a JWT is a key";
    auto cookie = check(post({{"cookie", "ringcast_token=" + publisher}}), ApiRight::publish);
    ASSERT_TRUE(cookie) << "the API takes header credentials only (no cross-site cookies)";
    EXPECT_EQ(cookie->reason, "missing_credentials");

    o.require_auth = false;
    EXPECT_FALSE(check(post({}), ApiRight::admin)) << "http_require_auth = false opens the API";
}

}  // namespace
}  // namespace ringcast

// Who is on a stream (identity from tokens, endpoint gates): tokens minted here
// with OpenSSL (jwt_mint.h) are presented to the real daemon in every place it
// reads them, and every way a token can be wrong is refused with 401 and a JSON
// error saying why (plus the RFC 6750 challenge); the endpoint gates answer
// 401 / 403 as configured; the `connected` event names the user; and
// --check-config refuses a key that cannot serve the configured algorithm.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "jwt_mint.h"
#include "publish_support.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

constexpr char kSecret[] = "identity-test-secret-0123456789abcdef!";
constexpr char kChallenge[] = "Bearer realm=\"ringcast\"";
constexpr char kInvalidTokenChallenge[] = "Bearer realm=\"ringcast\", error=\"invalid_token\"";

std::string hs256_config(std::string_view extra_auth = {}) {
    return std::string("[auth]\nalgorithm = \"HS256\"\nsecret = \"") + kSecret + "\"\n" +
           std::string(extra_auth);
}

TokenClaims claims_of(std::string sub, std::vector<std::string> roles = {},
                      std::vector<std::string> permissions = {}) {
    TokenClaims c;
    c.sub = std::move(sub);
    c.roles = std::move(roles);
    c.permissions = std::move(permissions);
    return c;
}

std::string hs(const TokenClaims& c) {
    return mint_hs256(kSecret, c.json());
}

Headers bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

// GET `target` as an SSE client; the stream stays open while the result lives.
std::unique_ptr<SseClient> get(uint16_t port, const std::string& target, const Headers& h = {}) {
    auto s = std::make_unique<SseClient>();
    if (!s->open(port, target, Deadline(kIoTimeout), h))
        ADD_FAILURE() << "GET " << target << ": " << s->error();
    return s;
}

// Empty when `s` is an open stream whose `connected` event carries `user` as its
// userId (null for nullopt) and, when given, exactly `channels`.
std::string admitted(SseClient& s, const std::optional<std::string>& user,
                     const std::vector<std::string>& channels = {}) {
    if (s.status() != 200) return "refused: " + s.head().describe();
    if (!s.await_events(1, Deadline(kIoTimeout))) return "no connected event";
    const SseEvent& e = s.events()[0].event;
    if (e.type != "connected") return "first event is " + e.type;
    auto j = Json::parse(e.data);
    if (!j) return "connected data is not JSON: " + e.data;
    const Json& uid = (*j)["userId"];
    if (!uid.is_null() && !uid.is_string()) return "userId is neither null nor a string: " + e.data;
    if (!user && !uid.is_null()) return "userId should be null: " + e.data;
    if (user && (!uid.is_string() || uid.as_string() != *user))
        return "userId should be \"" + *user + "\": " + e.data;
    if (!channels.empty()) {
        std::vector<std::string> got;
        for (const Json& c : (*j)["channels"].items())
            got.push_back(c.as_string());
        if (got != channels) return "unexpected channels: " + e.data;
    }
    return {};
}

// Empty when `r` is the refusal `status` {"error":{"code","reason","message"}}
// and a 401 carries its WWW-Authenticate challenge: with error="invalid_token"
// when a token was presented and refused, plain when none was (RFC 6750 §3.1).
std::string refused(const HttpResponse& r, int status, std::string_view code,
                    std::string_view reason) {
    std::string why = check_json_error(r, status, code);
    if (!why.empty()) return why;
    auto j = r.json();
    if ((*j)["error"]["reason"].as_string() != reason)
        why += "error.reason is \"" + (*j)["error"]["reason"].as_string() + "\", not \"" +
               std::string(reason) + "\"; ";
    auto challenge = r.header("www-authenticate");
    if (status == 401) {
        std::string want = code == "invalid_token" ? kInvalidTokenChallenge : kChallenge;
        if (challenge != want)
            why += "WWW-Authenticate is " + (challenge ? "\"" + *challenge + "\"" : "missing") +
                   ", not '" + want + "'; ";
    } else if (challenge) {
        why += "a " + std::to_string(status) + " carries WWW-Authenticate; ";
    }
    return why.empty() ? why : why + r.describe();
}

// GET `target` with `h` and expect the refusal (status, code, reason).
std::string refusal_of(uint16_t port, const std::string& target, const Headers& h, int status,
                       std::string_view code, std::string_view reason) {
    auto s = get(port, target, h);
    if (s->status() == 0) return "no answer: " + s->error();
    return refused(s->head(), status, code, reason);
}

// The token with its payload segment replaced by that of `payload_json`.
std::string with_payload(const std::string& token, std::string_view payload_json) {
    size_t a = token.find('.'), b = token.rfind('.');
    return token.substr(0, a + 1) + b64url(payload_json) + token.substr(b);
}

// --- where the token comes from ---------------------------------------------------------

TEST(IdentitySources, HeaderCookieAndQueryEachCarryTheToken) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = hs256_config()})) << d.error();
    const uint16_t port = d.port();

    auto anon = get(port, "/api/sse/stream?channels=alerts");
    EXPECT_EQ(admitted(*anon, std::nullopt, {"alerts"}), "") << "no token: anonymous";

    auto h = get(port, "/api/sse/stream?channels=alerts", bearer(hs(claims_of("by-header"))));
    EXPECT_EQ(admitted(*h, "by-header", {"alerts"}), "");
    // The scheme name is case-insensitive (RFC 7235 §2.1).
    auto hl = get(port, "/api/sse/stream?channels=alerts",
                  {{"Authorization", "bearer " + hs(claims_of("lower-scheme"))}});
    EXPECT_EQ(admitted(*hl, "lower-scheme"), "");

    // The cookie among others, some with names that contain the right one.
    auto ck = get(port, "/api/sse/stream?channels=alerts",
                  {{"Cookie",
                    "theme=dark; ringcast_token_old=junk; x_ringcast_token=junk; "
                    "ringcast_token=" +
                        hs(claims_of("by-cookie")) + "; lang=en"}});
    EXPECT_EQ(admitted(*ck, "by-cookie"), "");
    // A cookie value in double quotes (RFC 6265 §4.1.1) loses them.
    auto ckq = get(port, "/api/sse/stream?channels=alerts",
                   {{"Cookie", "a=b; ringcast_token=\"" + hs(claims_of("quoted-cookie")) + "\""}});
    EXPECT_EQ(admitted(*ckq, "quoted-cookie"), "");

    // The query parameter, plain and with every byte percent-encoded, before and
    // after other parameters.
    auto q = get(port, "/api/sse/stream?channels=alerts&token=" + hs(claims_of("by-query")));
    EXPECT_EQ(admitted(*q, "by-query", {"alerts"}), "");
    auto qe =
        get(port, "/api/sse/stream?token=" + percent_encode_all(hs(claims_of("by-encoded-query"))) +
                      "&channels=alerts,system");
    EXPECT_EQ(admitted(*qe, "by-encoded-query", {"alerts", "system"}), "");

    // An integer sub is the user id as its decimal text.
    TokenClaims numeric;
    numeric.sub_int = 123;
    auto n = get(port, "/api/sse/stream?channels=alerts", bearer(hs(numeric)));
    EXPECT_EQ(admitted(*n, "123"), "");
    // Whatever a sub holds comes back intact in the connected event's JSON.
    const std::string odd = "o'brien \"q\" \\ \u00e9\U0001F600 <tab>\t</tab>";
    auto w = get(port, "/api/sse/stream?channels=system", bearer(hs(claims_of(odd))));
    EXPECT_EQ(admitted(*w, odd), "");

    // Every one of them is a live stream: an event reaches all eight.
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    Json r = ask(u, publish_line("1", "alerts", "hello", "{\"to\":\"all\"}"));
    EXPECT_EQ(r["sent"].as_int(), 8) << r["error"]["message"].as_string();
    for (SseClient* s :
         {anon.get(), h.get(), hl.get(), ck.get(), ckq.get(), q.get(), qe.get(), n.get()}) {
        ASSERT_TRUE(s->read_until([&] { return !s->data_events().empty(); }, Deadline(10s)));
        EXPECT_EQ(s->data_events()[0].data, "{\"to\":\"all\"}");
    }
}

TEST(IdentitySources, HeaderWinsOverCookieWhichWinsOverQuery) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = hs256_config()})) << d.error();
    const uint16_t port = d.port();
    const std::string path = "/api/sse/stream?channels=alerts&token=";
    const std::string header_tok = hs(claims_of("from-header"));
    const std::string cookie = "ringcast_token=" + hs(claims_of("from-cookie"));
    const std::string query_tok = hs(claims_of("from-query"));

    auto all3 = get(port, path + query_tok,
                    {{"Authorization", "Bearer " + header_tok}, {"Cookie", cookie}});
    EXPECT_EQ(admitted(*all3, "from-header"), "");
    auto cq = get(port, path + query_tok, {{"Cookie", cookie}});
    EXPECT_EQ(admitted(*cq, "from-cookie"), "");

    // Only the first token found is read: junk in the later places is not looked at...
    auto junk_later =
        get(port, path + "junk",
            {{"Authorization", "Bearer " + header_tok}, {"Cookie", "ringcast_token=junk"}});
    EXPECT_EQ(admitted(*junk_later, "from-header"), "");

    // ...and a bad token in the first place is refused, never replaced by a later
    // good one (nor taken as anonymous).
    TokenClaims expired = claims_of("old");
    expired.exp = unix_now_s() - 3600;
    auto s = get(port, path + query_tok,
                 {{"Authorization", "Bearer " + hs(expired)}, {"Cookie", cookie}});
    EXPECT_EQ(refused(s->head(), 401, "invalid_token", "expired"), "");
    EXPECT_NE(s->head().body.find("header"), std::string::npos)
        << "the message says where the token came from: " << s->head().body;
    auto s2 = get(port, path + query_tok, {{"Cookie", "ringcast_token=" + hs(expired)}});
    EXPECT_EQ(refused(s2->head(), 401, "invalid_token", "expired"), "");
    EXPECT_NE(s2->head().body.find("cookie"), std::string::npos) << s2->head().body;
    auto s3 = get(port, path + hs(expired));
    EXPECT_EQ(refused(s3->head(), 401, "invalid_token", "expired"), "");
    EXPECT_NE(s3->head().body.find("query"), std::string::npos) << s3->head().body;
}

TEST(IdentitySources, ConfiguredNamesAndDisabledHeader) {
    DaemonProcess d;
    ASSERT_TRUE(
        d.start({.shards = 1,
                 .config = hs256_config("header = false\ncookie = \"sess\"\nquery = \"jwt\"\n")}))
        << d.error();
    const uint16_t port = d.port();
    auto ck = get(port, "/api/sse/stream?channels=alerts",
                  {{"Cookie", "ringcast_token=junk; sess=" + hs(claims_of("c"))}});
    EXPECT_EQ(admitted(*ck, "c"), "");
    auto q = get(port, "/api/sse/stream?channels=alerts&token=junk&jwt=" + hs(claims_of("q")));
    EXPECT_EQ(admitted(*q, "q"), "");
    // header = false: an Authorization header is not read at all.
    auto h = get(port, "/api/sse/stream?channels=alerts", bearer(hs(claims_of("h"))));
    EXPECT_EQ(admitted(*h, std::nullopt), "");
}

// --- what makes a token bad -------------------------------------------------------------

TEST(IdentityTokens, ExpiryAndNotBeforeHonourTheLeeway) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = hs256_config("leeway = \"30s\"\n")})) << d.error();
    const uint16_t port = d.port();
    const std::string path = "/api/sse/stream?channels=alerts";
    const int64_t now = unix_now_s();

    TokenClaims expired = claims_of("e");
    expired.exp = now - 120;
    EXPECT_EQ(refusal_of(port, path, bearer(hs(expired)), 401, "invalid_token", "expired"), "");

    TokenClaims just_expired = claims_of("within-leeway");
    just_expired.exp = now - 5;
    auto a = get(port, path, bearer(hs(just_expired)));
    EXPECT_EQ(admitted(*a, "within-leeway"), "") << "expired 5 s ago, leeway 30 s";

    TokenClaims future = claims_of("f");
    future.nbf = now + 120;
    EXPECT_EQ(refusal_of(port, path, bearer(hs(future)), 401, "invalid_token", "not_yet_valid"),
              "");

    // NumericDate "can contain fractional seconds" (RFC 7519 §2).
    const std::string fractional = "{\"sub\":\"fraction\",\"exp\":" + std::to_string(now + 3600) +
                                   ".25,\"nbf\":" + std::to_string(now - 60) + ".5}";
    auto fr = get(port, path, bearer(mint_hs256(kSecret, fractional)));
    EXPECT_EQ(admitted(*fr, "fraction"), "") << "exp and nbf with fractions: " << fractional;
    const std::string fractional_expired =
        "{\"sub\":\"fraction\",\"exp\":" + std::to_string(now - 3600) + ".75}";
    EXPECT_EQ(refusal_of(port, path, bearer(mint_hs256(kSecret, fractional_expired)), 401,
                         "invalid_token", "expired"),
              "");

    TokenClaims soon = claims_of("nbf-within-leeway");
    soon.nbf = now + 5;
    auto b = get(port, path, bearer(hs(soon)));
    EXPECT_EQ(admitted(*b, "nbf-within-leeway"), "") << "valid in 5 s, leeway 30 s";
}

// Admission and the stream's end follow one rule: a token is good until exp +
// leeway. A stream lasts exactly that long (not until exp alone, which made a
// token inside its leeway open streams that closed at once, a reconnect storm),
// says `token-expired` before it closes, and the same token is then refused.
TEST(IdentityTokens, AStreamEndsWhenItsTokenWouldNoLongerBeAdmitted) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = hs256_config("leeway = \"2s\"\n")})) << d.error();
    const uint16_t port = d.port();
    const std::string path = "/api/sse/stream?channels=alerts";
    TokenClaims within = claims_of("within-leeway");
    within.exp = unix_now_s() - 1;  // past exp, inside the leeway: admitted for 1 to 2 s more
    const std::string token = hs(within);
    const int64_t ends_ms = *within.exp * 1000 + 2000;

    auto s = get(port, path, bearer(token));
    ASSERT_EQ(admitted(*s, "within-leeway"), "");
    ASSERT_TRUE(s->read_to_eof(Deadline(std::chrono::seconds(10)))) << s->raw_body();
    const int64_t closed_ms = wall_now_ms();
    EXPECT_GE(closed_ms, ends_ms - 50) << "the stream ended before its token stopped being good";
    std::vector<SseEvent> got = s->data_events();
    ASSERT_FALSE(got.empty()) << s->raw_body();
    EXPECT_EQ(got.back().type, "token-expired") << s->raw_body();
    auto j = Json::parse(got.back().data);
    ASSERT_TRUE(j) << got.back().data;
    EXPECT_EQ((*j)["reason"].as_string(), "token-expired");
    EXPECT_GE((*j)["timestamp"].as_int(), ends_ms - 50);
    // The browser's reconnect with the same token: refused once, for good.
    EXPECT_EQ(refusal_of(port, path, bearer(token), 401, "invalid_token", "expired"), "");

    // A token with a longer life ends its stream the same way, at exp + leeway.
    TokenClaims fresh = claims_of("fresh");
    fresh.exp = unix_now_s() + 1;
    auto f = get(port, path, bearer(hs(fresh)));
    ASSERT_EQ(admitted(*f, "fresh"), "");
    ASSERT_TRUE(f->read_to_eof(Deadline(std::chrono::seconds(10)))) << f->raw_body();
    EXPECT_GE(wall_now_ms(), *fresh.exp * 1000 + 2000 - 50);
    EXPECT_EQ(f->data_events().back().type, "token-expired");
}

TEST(IdentityTokens, ForgedAndMalformedTokensAreRefusedNotAnonymous) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = hs256_config()})) << d.error();
    const uint16_t port = d.port();
    const std::string path = "/api/sse/stream?channels=alerts";
    const std::string payload = claims_of("mallory").json();
    const std::string good = mint_hs256(kSecret, payload);
    KeyPair rsa = KeyPair::rsa();
    ASSERT_TRUE(rsa.valid());

    struct Case {
        std::string name;
        std::string authorization;  // the whole header value
        std::string reason;
    };
    // A payload with a claim of the wrong type next to a valid sub and exp.
    auto typed = [](std::string_view member) {
        return "{\"sub\":\"m\",\"exp\":" + std::to_string(unix_now_s() + 3600) + "," +
               std::string(member) + "}";
    };
    TokenClaims huge = claims_of("m");
    for (int i = 0; huge.json().size() < 6500; ++i)
        huge.permissions.push_back("permission-number-" + std::to_string(i));
    const std::string alg_none = jwt_signing_input("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload);
    const std::vector<Case> cases = {
        {"another secret", "Bearer " + mint_hs256("another-secret-0123456789abcdef!!", payload),
         "bad_signature"},
        {"payload changed after signing",
         "Bearer " + with_payload(good, claims_of("mallory", {"admin"}).json()), "bad_signature"},
        {"signature removed", "Bearer " + good.substr(0, good.rfind('.') + 1), "bad_signature"},
        {"RS256 token to an HS256 daemon", "Bearer " + mint(rsa, payload), "unsupported_algorithm"},
        {"alg none, no signature", "Bearer " + alg_none + ".", "unsupported_algorithm"},
        {"alg none with an HMAC signature",
         "Bearer " + alg_none + "." + b64url(hmac_sha256(kSecret, alg_none)),
         "unsupported_algorithm"},
        {"alg NONE", "Bearer " + jwt_signing_input("{\"alg\":\"NONE\"}", payload) + ".",
         "unsupported_algorithm"},
        {"alg HS384 signed with SHA-256",
         "Bearer " + mint_hs256(kSecret, payload, jwt_header("HS384")), "unsupported_algorithm"},
        {"one segment", "Bearer abcdef", "malformed"},
        {"two segments", "Bearer " + good.substr(0, good.rfind('.')), "malformed"},
        {"four segments", "Bearer " + good + ".abc", "malformed"},
        {"not base64url", "Bearer !!!.$$$.***", "malformed"},
        {"header not JSON", "Bearer " + mint_hs256(kSecret, payload, std::string("not json")),
         "malformed"},
        {"payload not JSON", "Bearer " + mint_hs256(kSecret, "[1,2"), "malformed"},
        {"header without alg",
         "Bearer " + mint_hs256(kSecret, payload, std::string("{\"typ\":\"JWT\"}")), "malformed"},
        {"roles is a string", "Bearer " + mint_hs256(kSecret, typed("\"roles\":\"admin\"")),
         "malformed"},
        {"permissions is an object",
         "Bearer " + mint_hs256(kSecret, typed("\"permissions\":{\"dashboard.view\":true}")),
         "malformed"},
        {"subscriber is a string",
         "Bearer " + mint_hs256(kSecret, typed("\"subscriber\":\"true\"")), "malformed"},
        {"exp is a string",
         "Bearer " + mint_hs256(kSecret, "{\"sub\":\"m\",\"exp\":\"" +
                                             std::to_string(unix_now_s() + 3600) + "\"}"),
         "malformed"},
        {"longer than 8192 bytes, signature valid", "Bearer " + mint_hs256(kSecret, huge.json()),
         "malformed"},
        {"roles holds a number", "Bearer " + mint_hs256(kSecret, typed("\"roles\":[\"a\",1]")),
         "malformed"},
        {"sub is a boolean",
         "Bearer " + mint_hs256(kSecret, "{\"sub\":true,\"exp\":" +
                                             std::to_string(unix_now_s() + 3600) + "}"),
         "malformed"},
        {"sub is a fraction",
         "Bearer " + mint_hs256(kSecret, "{\"sub\":1.5,\"exp\":" +
                                             std::to_string(unix_now_s() + 3600) + "}"),
         "malformed"},
        {"Basic credentials", "Basic dXNlcjpwYXNzd29yZA==", "malformed"},
        {"Bearer without a token", "Bearer", "malformed"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        EXPECT_EQ(refusal_of(port, path, {{"Authorization", c.authorization}}, 401, "invalid_token",
                             c.reason),
                  "");
    }
    // The same forgeries in the query parameter and the cookie.
    EXPECT_EQ(refusal_of(port, path + "&token=" + alg_none + ".", {}, 401, "invalid_token",
                         "unsupported_algorithm"),
              "");
    EXPECT_EQ(refusal_of(port, path + "&token=%zz", {}, 401, "invalid_token", "malformed"), "")
        << "a malformed percent-escape";
    EXPECT_EQ(refusal_of(port, path, {{"Cookie", "ringcast_token=" + mint(rsa, payload)}}, 401,
                         "invalid_token", "unsupported_algorithm"),
              "");

    // And the genuine token still works.
    auto ok = get(port, path, bearer(good));
    EXPECT_EQ(admitted(*ok, "mallory"), "");
}

TEST(IdentityTokens, SubjectIsRequired) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = hs256_config()})) << d.error();
    const std::string path = "/api/sse/stream?channels=alerts";
    TokenClaims none;
    none.roles = {"admin"};
    EXPECT_EQ(refusal_of(d.port(), path, bearer(hs(none)), 401, "invalid_token", "missing_subject"),
              "");
    EXPECT_EQ(refusal_of(d.port(), path, bearer(hs(claims_of(""))), 401, "invalid_token",
                         "missing_subject"),
              "");
}

TEST(IdentityTokens, IssuerAndAudienceAreChecked) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1,
                         .config = hs256_config("issuer = \"https://issuer.test\"\n"
                                                "audience = \"ringcast-test\"\n")}))
        << d.error();
    const uint16_t port = d.port();
    const std::string path = "/api/sse/stream?channels=alerts";
    auto token = [](std::optional<std::string> iss, std::optional<std::string> aud,
                    std::vector<std::string> aud_list = {}) {
        TokenClaims c = claims_of("u");
        c.iss = std::move(iss);
        c.aud = std::move(aud);
        c.aud_list = std::move(aud_list);
        return hs(c);
    };
    auto a = get(port, path, bearer(token("https://issuer.test", "ringcast-test")));
    EXPECT_EQ(admitted(*a, "u"), "");
    auto b = get(port, path,
                 bearer(token("https://issuer.test", std::nullopt, {"other", "ringcast-test"})));
    EXPECT_EQ(admitted(*b, "u"), "") << "aud as an array that contains the audience";

    EXPECT_EQ(refusal_of(port, path, bearer(token("https://evil.test", "ringcast-test")), 401,
                         "invalid_token", "wrong_issuer"),
              "");
    EXPECT_EQ(refusal_of(port, path, bearer(token(std::nullopt, "ringcast-test")), 401,
                         "invalid_token", "wrong_issuer"),
              "");
    EXPECT_EQ(refusal_of(port, path, bearer(token("https://issuer.test", "other")), 401,
                         "invalid_token", "wrong_audience"),
              "");
    EXPECT_EQ(refusal_of(port, path,
                         bearer(token("https://issuer.test", std::nullopt, {"other", "ringcast"})),
                         401, "invalid_token", "wrong_audience"),
              "");
    EXPECT_EQ(refusal_of(port, path, bearer(token("https://issuer.test", std::nullopt)), 401,
                         "invalid_token", "wrong_audience"),
              "");
}

// --- public-key algorithms ----------------------------------------------------------------

TEST(IdentityTokens, Rs256DaemonAcceptsItsKeyAndRefusesAlgorithmConfusion) {
    KeyPair rsa = KeyPair::rsa();
    ASSERT_TRUE(rsa.valid());
    const std::string pem = rsa.public_pem();
    ASSERT_NE(pem.find("-----BEGIN PUBLIC KEY-----"), std::string::npos) << pem;
    DaemonProcess d;
    std::string key_file = d.dir().write("rsa-public.pem", pem);
    ASSERT_TRUE(d.start(
        {.shards = 2,
         .config = "[auth]\nalgorithm = \"RS256\"\npublic_key_file = \"" + key_file + "\"\n"}))
        << d.error();
    const uint16_t port = d.port();
    const std::string path = "/api/sse/stream?channels=alerts";
    const std::string payload = claims_of("rsa-user", {"admin"}).json();

    auto ok = get(port, path, bearer(mint(rsa, payload)));
    EXPECT_EQ(admitted(*ok, "rsa-user"), "");
    auto admin = get(port, "/api/admin/sse/stream", bearer(mint(rsa, payload)));
    EXPECT_EQ(admitted(*admin, "rsa-user", {"admin-actions"}), "");

    // Algorithm confusion: HS256 "signed" with the public key's PEM as the HMAC
    // secret, exactly as the file holds it and without its final newline.
    std::string pem_trimmed = pem;
    while (!pem_trimmed.empty() && pem_trimmed.back() == '\n')
        pem_trimmed.pop_back();
    for (const std::string& secret : {pem, pem_trimmed}) {
        SCOPED_TRACE("HS256 with the PEM as secret, " + std::to_string(secret.size()) + " bytes");
        EXPECT_EQ(refusal_of(port, path, bearer(mint_hs256(secret, payload)), 401, "invalid_token",
                             "unsupported_algorithm"),
                  "");
    }
    KeyPair other = KeyPair::rsa();
    KeyPair ec = KeyPair::ec_p256();
    ASSERT_TRUE(other.valid() && ec.valid());
    EXPECT_EQ(
        refusal_of(port, path, bearer(mint(other, payload)), 401, "invalid_token", "bad_signature"),
        "")
        << "another RSA key";
    EXPECT_EQ(refusal_of(port, path, bearer(mint(ec, payload)), 401, "invalid_token",
                         "unsupported_algorithm"),
              "")
        << "an ES256 token";
    // An RS256 header over an ES256 signature by the wrong kind of key.
    EXPECT_EQ(refusal_of(port, path, bearer(mint(ec, payload, jwt_header("RS256"))), 401,
                         "invalid_token", "bad_signature"),
              "");
    EXPECT_EQ(refusal_of(port, path, bearer(jwt_signing_input("{\"alg\":\"none\"}", payload) + "."),
                         401, "invalid_token", "unsupported_algorithm"),
              "");
}

TEST(IdentityTokens, Es256DaemonAcceptsJoseSignaturesOnly) {
    KeyPair ec = KeyPair::ec_p256();
    ASSERT_TRUE(ec.valid());
    DaemonProcess d;
    std::string key_file = d.dir().write("ec-public.pem", ec.public_pem());
    ASSERT_TRUE(d.start(
        {.shards = 2,
         .config = "[auth]\nalgorithm = \"ES256\"\npublic_key_file = \"" + key_file + "\"\n"}))
        << d.error();
    const uint16_t port = d.port();
    const std::string path = "/api/sse/stream?channels=alerts";

    // ECDSA signatures are random: several, so that r or s with leading zero
    // bytes (padded to 32) get a chance to appear.
    std::vector<std::unique_ptr<SseClient>> streams;
    for (int i = 0; i < 8; ++i) {
        std::string user = "ec-user-" + std::to_string(i);
        streams.push_back(get(port, path, bearer(mint(ec, claims_of(user).json()))));
        EXPECT_EQ(admitted(*streams.back(), user), "");
    }
    const std::string payload = claims_of("x").json();
    EXPECT_EQ(refusal_of(port, path, bearer(mint(ec, payload, std::nullopt, /*der=*/true)), 401,
                         "invalid_token", "bad_signature"),
              "")
        << "a DER signature is not a JWS ES256 signature";
    KeyPair other = KeyPair::ec_p256();
    KeyPair rsa = KeyPair::rsa();
    ASSERT_TRUE(other.valid() && rsa.valid());
    EXPECT_EQ(
        refusal_of(port, path, bearer(mint(other, payload)), 401, "invalid_token", "bad_signature"),
        "");
    EXPECT_EQ(refusal_of(port, path, bearer(mint(rsa, payload)), 401, "invalid_token",
                         "unsupported_algorithm"),
              "");
    EXPECT_EQ(refusal_of(port, path, bearer(mint_hs256(kSecret, payload)), 401, "invalid_token",
                         "unsupported_algorithm"),
              "");
}

// --- endpoint gates ---------------------------------------------------------------------

TEST(IdentityEndpoints, AdminAndDashboardGatesByRoleAndPermission) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = hs256_config()})) << d.error();
    const uint16_t port = d.port();
    const std::string admin_path = "/api/admin/sse/stream";
    const std::string dash_path = "/api/dashboard/sse";

    EXPECT_EQ(refusal_of(port, admin_path, {}, 401, "unauthorized", "missing_token"), "");
    TokenClaims expired = claims_of("a", {"admin"});
    expired.exp = unix_now_s() - 3600;
    EXPECT_EQ(refusal_of(port, admin_path, bearer(hs(expired)), 401, "invalid_token", "expired"),
              "");
    EXPECT_EQ(refusal_of(port, admin_path, bearer(hs(claims_of("plain"))), 403, "forbidden",
                         "missing_role"),
              "");
    EXPECT_EQ(refusal_of(port, admin_path,
                         bearer(hs(claims_of("viewer", {"viewer"}, {"dashboard.view"}))), 403,
                         "forbidden", "missing_role"),
              "");
    auto admin = get(port, admin_path, bearer(hs(claims_of("boss", {"admin"}))));
    EXPECT_EQ(admitted(*admin, "boss", {"admin-actions"}), "");
    auto moderator = get(port, admin_path + "?channels=admin-actions",
                         bearer(hs(claims_of("mod", {"moderator"}))));
    EXPECT_EQ(admitted(*moderator, "mod", {"admin-actions"}), "");
    EXPECT_EQ(
        refusal_of(port, admin_path + "?channels=alerts", bearer(hs(claims_of("boss", {"admin"}))),
                   403, "forbidden", "channel_not_allowed"),
        "");
    EXPECT_EQ(refusal_of(port, admin_path + "?channels=admin-actions,alerts",
                         bearer(hs(claims_of("boss", {"admin"}))), 403, "forbidden",
                         "channel_not_allowed"),
              "");

    EXPECT_EQ(refusal_of(port, dash_path, {}, 401, "unauthorized", "missing_token"), "");
    EXPECT_EQ(refusal_of(port, dash_path, bearer(hs(claims_of("plain"))), 403, "forbidden",
                         "missing_permission"),
              "");
    EXPECT_EQ(refusal_of(port, dash_path, bearer(hs(claims_of("boss", {"admin"}))), 403,
                         "forbidden", "missing_permission"),
              "")
        << "a role is not a permission";
    auto viewer = get(port, dash_path,
                      bearer(hs(claims_of("viewer", {}, {"reports.edit", "dashboard.view"}))));
    EXPECT_EQ(admitted(*viewer, "viewer", {"live-updates"}), "");

    // The gated streams are live: events on their channels reach them.
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    Json r = ask(u, publish_line("1", "admin-actions", "ban", "{\"user\":\"x\"}"));
    EXPECT_EQ(r["sent"].as_int(), 2) << "the admin and the moderator";
    Json r2 = ask(u, publish_line("2", "live-updates", "tick", "1"));
    EXPECT_EQ(r2["sent"].as_int(), 1) << "the viewer";
    for (SseClient* s : {admin.get(), moderator.get(), viewer.get()})
        EXPECT_TRUE(s->read_until([&] { return !s->data_events().empty(); }, Deadline(10s)));
}

TEST(IdentityEndpoints, ConfiguredEndpointsReplaceTheDefaults) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = hs256_config() +
                                   "[[endpoint]]\npath = \"/v1/vip\"\n"
                                   "channels = [\"vip\", \"lounge\"]\nrequire_auth = true\n"
                                   "allowed_roles = [\"vip\"]\n"
                                   "[[endpoint]]\npath = \"/v1/open\"\nchannels = [\"news\"]\n"}))
        << d.error();
    const uint16_t port = d.port();
    const Headers vip = bearer(hs(claims_of("v", {"vip"})));

    auto both = get(port, "/v1/vip", vip);
    EXPECT_EQ(admitted(*both, "v", {"vip", "lounge"}), "") << "no ?channels=: every allowed one";
    auto lounge = get(port, "/v1/vip?channels=lounge", vip);
    EXPECT_EQ(admitted(*lounge, "v", {"lounge"}), "");
    EXPECT_EQ(
        refusal_of(port, "/v1/vip?channels=alerts", vip, 403, "forbidden", "channel_not_allowed"),
        "");
    EXPECT_EQ(refusal_of(port, "/v1/vip", {}, 401, "unauthorized", "missing_token"), "");
    EXPECT_EQ(refusal_of(port, "/v1/vip", bearer(hs(claims_of("p", {"admin"}))), 403, "forbidden",
                         "missing_role"),
              "");
    auto open = get(port, "/v1/open");
    EXPECT_EQ(admitted(*open, std::nullopt, {"news"}), "");
    auto open_user = get(port, "/v1/open", vip);
    EXPECT_EQ(admitted(*open_user, "v", {"news"}), "");

    for (const char* gone :
         {"/api/sse/stream", "/api/sse", "/api/admin/sse/stream", "/api/dashboard/sse"}) {
        auto s =
            get(port, gone, bearer(hs(claims_of("a", {"admin", "moderator"}, {"dashboard.view"}))));
        EXPECT_EQ(s->status(), 404) << gone << " must be gone: " << s->head().describe();
    }
}

TEST(IdentityEndpoints, WithoutAuthConfiguredTokensAreRefusedAndGatesAnswer401) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    const uint16_t port = d.port();
    auto anon = get(port, "/api/sse/stream?channels=alerts");
    EXPECT_EQ(admitted(*anon, std::nullopt), "");
    EXPECT_EQ(refusal_of(port, "/api/sse/stream?channels=alerts", bearer(hs(claims_of("u"))), 401,
                         "invalid_token", "not_configured"),
              "");
    EXPECT_EQ(refusal_of(port, "/api/admin/sse/stream", {}, 401, "unauthorized", "missing_token"),
              "");
}

// --- configuration check ------------------------------------------------------------------

TEST(IdentityCli, CheckConfigRefusesAKeyThatCannotServeTheAlgorithm) {
    TempDir dir;
    KeyPair ec = KeyPair::ec_p256();
    KeyPair rsa = KeyPair::rsa();
    KeyPair small = KeyPair::rsa(1024);
    ASSERT_TRUE(ec.valid() && rsa.valid() && small.valid());
    const std::string ec_pem = dir.write("ec.pem", ec.public_pem());
    const std::string rsa_pem = dir.write("rsa.pem", rsa.public_pem());
    const std::string small_pem = dir.write("small.pem", small.public_pem());
    int files = 0;
    auto conf = [&](const char* alg, const std::string& key) {
        return dir.write("conf" + std::to_string(++files) + ".toml",
                         std::string("[auth]\nalgorithm = \"") + alg + "\"\npublic_key_file = \"" +
                             key + "\"\n");
    };

    CommandResult good = run_ringcastd({"--check-config", conf("RS256", rsa_pem)});
    ASSERT_TRUE(good.exit_code);
    EXPECT_EQ(*good.exit_code, 0) << good.out << good.err;
    CommandResult good_ec = run_ringcastd({"--check-config", conf("ES256", ec_pem)});
    ASSERT_TRUE(good_ec.exit_code);
    EXPECT_EQ(*good_ec.exit_code, 0) << good_ec.out << good_ec.err;

    struct Bad {
        const char* alg;
        std::string key;
        std::vector<std::string> mentions;
    };
    const std::vector<Bad> bad = {
        {"RS256", ec_pem, {"RS256", "RSA", "EC"}},
        {"ES256", rsa_pem, {"ES256", "EC", "RSA"}},
        {"RS256", small_pem, {"RS256", "2048"}},
    };
    for (const Bad& b : bad) {
        std::string file = conf(b.alg, b.key);
        SCOPED_TRACE(std::string(b.alg) + " with " + b.key);
        CommandResult r = run_ringcastd({"--check-config", file});
        ASSERT_TRUE(r.exit_code);
        EXPECT_EQ(*r.exit_code, 2) << r.out << r.err;
        for (const std::string& m : b.mentions)
            EXPECT_NE(r.err.find(m), std::string::npos) << "should mention " << m << ":\n" << r.err;
        // Which setting to fix: the key, by its configuration name or its file.
        EXPECT_TRUE(r.err.find("public_key_file") != std::string::npos ||
                    r.err.find(b.key) != std::string::npos)
            << "the message should name auth.public_key_file or the key file:\n"
            << r.err;
        EXPECT_EQ(r.err.find("BEGIN PUBLIC KEY"), std::string::npos) << "never quote the key";

        // The daemon refuses to start with it too.
        CommandResult start = run_ringcastd(
            {"--config", file, "--http", "127.0.0.1:0", "--data-dir", dir.path() + "/d"},
            Deadline(10s));
        ASSERT_TRUE(start.exit_code) << "ringcastd started with an unusable key";
        EXPECT_NE(*start.exit_code, 0) << start.err;
    }
}

}  // namespace
}  // namespace ringcast::itest

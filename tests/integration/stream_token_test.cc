// Stream tokens (identity for apps that have no JWT of their own): a backend asks
// ringcastd for a short-lived token (the socket's `token` op, POST /api/tokens
// with the API key) and the browser's stream then carries that user, its roles,
// permissions and subscriber flag — for targeting, the gated endpoints and the
// channel rules — on a daemon with no [auth] at all and beside an application's
// own HS256 tokens, read under the configured claim names, ending with the
// token. The API refuses such tokens; bad requests are refused with the field
// at fault over both protocols; POST /api/tokens needs admin credentials. The
// key file and turning them off are in stream_token_key_test.cc.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "json.h"
#include "jwt_mint.h"
#include "keeps_support.h"
#include "publish_support.h"
#include "sse_client.h"
#include "stream_token_support.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

// --- issuing, and the three places a browser presents the token ------------------------

TEST(StreamTokens, IssuedOverTheSocketAndHttpOnADaemonWithoutAuth) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();

    const int64_t t0 = wall_now_ms();
    Json s = socket_token(u, R"("userId":"sock-user","ttl":600)");
    const int64_t t1 = wall_now_ms();
    ASSERT_TRUE(s["ok"].as_bool()) << u.error();
    EXPECT_EQ(keys_of(s), (std::vector<std::string>{"req", "ok", "token", "expiresAt"}));
    EXPECT_EQ(s["req"].as_string(), "t");
    // exp is whole seconds: within a second below now + ttl.
    EXPECT_GE(s["expiresAt"].as_int(), t0 - 1000 + 600000);
    EXPECT_LE(s["expiresAt"].as_int(), t1 + 600000);
    EXPECT_EQ(s["expiresAt"].as_int() % 1000, 0);
    EXPECT_EQ(std::count(s["token"].as_string().begin(), s["token"].as_string().end(), '.'), 2);

    HttpResponse h = post_tokens(d.port(), R"({"userId":"http-user"})");
    const int64_t t2 = wall_now_ms();
    ASSERT_EQ(h.status, 200) << h.describe();
    EXPECT_EQ(h.header("cache-control"), "no-store");
    EXPECT_EQ(std::count_if(h.headers.begin(), h.headers.end(),
                            [](const auto& kv) { return kv.first == "cache-control"; }),
              1)
        << "one Cache-Control header";
    EXPECT_NE(h.header("content-type").value_or("").find("application/json"), std::string::npos);
    auto hj = h.json();
    ASSERT_TRUE(hj) << h.body;
    EXPECT_EQ(keys_of(*hj), (std::vector<std::string>{"token", "expiresAt"}));
    // auth.token_ttl: 1h by default.
    EXPECT_GE((*hj)["expiresAt"].as_int(), t1 - 1000 + 3600000);
    EXPECT_LE((*hj)["expiresAt"].as_int(), t2 + 3600000);
    // X-API-Key works as well as Bearer.
    EXPECT_EQ(
        post_tokens(d.port(), R"({"userId":1})", {{"X-API-Key", std::string(kTestApiKey)}}).status,
        200);

    for (const auto& [user, token] :
         {std::pair{std::string("sock-user"), s["token"].as_string()},
          std::pair{std::string("http-user"), (*hj)["token"].as_string()}}) {
        SCOPED_TRACE(user);
        auto cookie = get(d.port(), "/api/sse/stream?channels=alerts",
                          {{"Cookie", "theme=dark; ringcast_token=" + token}});
        EXPECT_EQ(admitted(*cookie, user, {"alerts"}), "");
        auto query = get(d.port(), "/api/sse/stream?channels=alerts&token=" + token);
        EXPECT_EQ(admitted(*query, user, {"alerts"}), "");
        auto header = get(d.port(), "/api/sse?channels=alerts", bearer(token));
        EXPECT_EQ(admitted(*header, user, {"alerts"}), "");
    }
    // A token altered on the way is refused, not taken as anonymous.
    std::string forged = s["token"].as_string();
    char& c = forged[forged.rfind('.') + 5];  // inside the signature
    c = c == 'A' ? 'B' : 'A';
    EXPECT_EQ(stream_refusal(d.port(), "/api/sse/stream?token=" + forged, {}, 401, "invalid_token",
                             "bad_signature"),
              "");
}

// --- what the token carries: targeting, gated endpoints, channel rules ------------------

// Streams of users whose identity comes from stream tokens, on one channel;
// publishes of each target kind over HTTP and the socket reach exactly the
// streams they name.
void check_targeting(DaemonProcess& d) {
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    struct Who {
        std::string name, fields;
    };
    const std::vector<Who> who = {
        {"editor", R"("userId":"ed","roles":["editor"])"},
        {"reader", R"("userId":"rd","permissions":["reports.read"])"},
        {"subscriber", R"("userId":"sb","subscriber":true)"},
        {"numeric", R"("userId":42)"},
    };
    std::vector<std::unique_ptr<SseClient>> streams;
    for (const Who& w : who) {
        streams.push_back(
            get(d.port(), "/api/sse/stream?channels=tgt&token=" + token_for(u, w.fields)));
        ASSERT_EQ(streams.back()->status(), 200) << w.name;
        ASSERT_TRUE(streams.back()->await_events(1, Deadline(kIoTimeout)));
    }
    streams.push_back(get(d.port(), "/api/sse/stream?channels=tgt"));  // anonymous
    ASSERT_TRUE(streams.back()->await_events(1, Deadline(kIoTimeout)));

    struct Case {
        std::string fields;
        std::set<size_t> to;  // indices into streams
    };
    const std::vector<Case> cases = {
        {R"("targetUsers":["ed"])", {0}},
        {R"("targetUsers":[42])", {3}},
        {R"("targetUsers":["42","sb"])", {2, 3}},
        {R"("targetRoles":["editor"])", {0}},
        {R"("targetPermissions":["reports.read"])", {1}},
        {R"("target":"subscribers")", {2}},
        {R"("target":"authenticated")", {0, 1, 2, 3}},
        {R"("target":"all","excludeUsers":["ed"])", {1, 2, 3, 4}},
    };
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    int n = 0;
    std::vector<std::vector<std::string>> want(streams.size());
    for (const Case& c : cases) {
        for (const char* path : {"http", "socket"}) {
            const std::string data = "\"" + std::to_string(n++) + "\"";
            const std::string msg =
                R"({"channel":"tgt","event":"t","data":)" + data + "," + c.fields + "}";
            int64_t sent = -1;
            if (std::string(path) == "http") {
                auto r = api.request("POST", "/api/publish", msg, kApiKey);
                ASSERT_TRUE(r) << api.error();
                ASSERT_EQ(r->status, 200) << msg << ": " << r->describe();
                sent = (*r->json())["sent"].as_int();
            } else {
                Json r = ask(u, publish_line("1", "tgt", "t", data, c.fields));
                ASSERT_TRUE(r["ok"].as_bool()) << msg << ": " << u.error();
                sent = r["sent"].as_int();
            }
            EXPECT_EQ(sent, int64_t(c.to.size())) << path << " " << c.fields;
            for (size_t i : c.to)
                want[i].push_back(data);
        }
    }
    Json fence = ask(u, publish_line("1", "tgt", "fence", "\"fence\""));
    ASSERT_EQ(fence["sent"].as_int(), int64_t(streams.size()));
    for (size_t i = 0; i < streams.size(); ++i) {
        SseClient& s = *streams[i];
        ASSERT_TRUE(s.read_until(
            [&] {
                for (const SseEvent& e : s.data_events())
                    if (e.type == "fence") return true;
                return false;
            },
            Deadline(kIoTimeout)))
            << i << ": " << s.raw_body();
        std::vector<std::string> got;
        for (const SseEvent& e : s.data_events())
            if (e.type == "t") got.push_back(e.data);
        EXPECT_EQ(got, want[i]) << "stream " << i;
    }
}

// The built-in gated endpoints and channel rules admit the roles and
// permissions a stream token carries, and refuse the others.
void check_gates(DaemonProcess& d) {
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    const uint16_t port = d.port();
    const std::string boss = token_for(u, R"("userId":"boss","roles":["admin"])");
    const std::string mod = token_for(u, R"("userId":"mod","roles":["moderator"])");
    const std::string viewer =
        token_for(u, R"("userId":"viewer","permissions":["dashboard.view"])");
    const std::string plain = token_for(u, R"("userId":"plain","roles":["editor"],)"
                                           R"("permissions":["reports.read"])");

    std::vector<std::unique_ptr<SseClient>> admins, lives;
    admins.push_back(get(port, "/api/admin/sse/stream", bearer(boss)));
    EXPECT_EQ(admitted(*admins.back(), "boss", {"admin-actions"}), "");
    admins.push_back(get(port, "/api/admin/sse/stream", {{"Cookie", "ringcast_token=" + mod}}));
    EXPECT_EQ(admitted(*admins.back(), "mod", {"admin-actions"}), "");
    admins.push_back(get(port, "/api/sse/stream?channels=admin-actions&token=" + mod));
    EXPECT_EQ(admitted(*admins.back(), "mod", {"admin-actions"}), "");
    lives.push_back(get(port, "/api/dashboard/sse?token=" + viewer));
    EXPECT_EQ(admitted(*lives.back(), "viewer", {"live-updates"}), "");
    lives.push_back(get(port, "/api/sse?channels=live-updates", bearer(viewer)));
    EXPECT_EQ(admitted(*lives.back(), "viewer", {"live-updates"}), "");

    EXPECT_EQ(
        stream_refusal(port, "/api/admin/sse/stream", {}, 401, "unauthorized", "missing_token"),
        "");
    EXPECT_EQ(stream_refusal(port, "/api/admin/sse/stream", bearer(plain), 403, "forbidden",
                             "missing_role"),
              "");
    EXPECT_EQ(stream_refusal(port, "/api/admin/sse/stream", bearer(viewer), 403, "forbidden",
                             "missing_role"),
              "");
    EXPECT_EQ(stream_refusal(port, "/api/dashboard/sse", bearer(plain), 403, "forbidden",
                             "missing_permission"),
              "");
    EXPECT_EQ(stream_refusal(port, "/api/dashboard/sse", bearer(boss), 403, "forbidden",
                             "missing_permission"),
              "")
        << "a role is not a permission";
    EXPECT_EQ(stream_refusal(port, "/api/sse/stream?channels=admin-actions", bearer(plain), 403,
                             "forbidden", "channel_forbidden"),
              "");
    EXPECT_EQ(stream_refusal(port, "/api/sse/stream?channels=live-updates", bearer(mod), 403,
                             "forbidden", "channel_forbidden"),
              "");

    Json a = ask(u, publish_line("1", "admin-actions", "ban", "\"x\""));
    EXPECT_EQ(a["sent"].as_int(), int64_t(admins.size()));
    Json l = ask(u, publish_line("2", "live-updates", "tick", "1"));
    EXPECT_EQ(l["sent"].as_int(), int64_t(lives.size()));
    for (auto* group : {&admins, &lives})
        for (auto& s : *group)
            EXPECT_TRUE(
                s->read_until([&] { return !s->data_events().empty(); }, Deadline(kIoTimeout)))
                << s->raw_body();
}

TEST(StreamTokens, CarryIdentityForTargetingWithoutAuthConfigured) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    check_targeting(d);
}

TEST(StreamTokens, OpenTheGatedEndpointsAndChannelsWithoutAuthConfigured) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    check_gates(d);
}

TEST(StreamTokens, WorkBesideTheApplicationsHS256Tokens) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = hs256_config()})) << d.error();
    check_targeting(d);
    if (HasFatalFailure()) return;
    check_gates(d);
    if (HasFatalFailure()) return;

    // Both kinds of token side by side: each stream is its user.
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    const std::string st = token_for(u, R"("userId":"same-name")");
    auto app = get(d.port(), "/api/sse/stream?channels=both", bearer(app_token("app-user")));
    EXPECT_EQ(admitted(*app, "app-user"), "");
    auto ours = get(d.port(), "/api/sse/stream?channels=both", bearer(st));
    EXPECT_EQ(admitted(*ours, "same-name"), "");
    auto app_same = get(d.port(), "/api/sse/stream?channels=both", bearer(app_token("same-name")));
    EXPECT_EQ(admitted(*app_same, "same-name"), "");
    Json r = ask(u, publish_line("1", "both", "e", "1", R"("targetUsers":["same-name"])"));
    EXPECT_EQ(r["sent"].as_int(), 2) << "one user, whichever token proved it";

    // The application's secret cannot sign a stream token: the kid picks
    // ringcastd's key alone.
    const std::string payload = R"({"iss":"ringcast","sub":"intruder","roles":["admin"],"exp":)" +
                                std::to_string(unix_now_s() + 600) + "}";
    const std::string forged = mint_hs256(
        kAppSecret, payload, std::string(R"({"alg":"HS256","typ":"JWT","kid":"ringcast-stream"})"));
    EXPECT_EQ(stream_refusal(d.port(), "/api/admin/sse/stream", bearer(forged), 401,
                             "invalid_token", "bad_signature"),
              "");
    // And a stream token is not an application token either: its issuer
    // claim and kid are what they are, so without the kid it fails as one.
    const std::string st_payload = st.substr(st.find('.') + 1, st.rfind('.') - st.find('.') - 1);
    const std::string no_kid =
        b64url(R"({"alg":"HS256","typ":"JWT"})") + "." + st_payload + st.substr(st.rfind('.'));
    EXPECT_EQ(stream_refusal(d.port(), "/api/sse/stream", bearer(no_kid), 401, "invalid_token",
                             "bad_signature"),
              "");
}

// --- the API refuses stream tokens -------------------------------------------------------

// Every route of the API, with the stream token of an admin.
void check_api_refuses(uint16_t port, const std::string& token) {
    struct Route {
        const char* method;
        const char* path;
        const char* body;
    };
    const Route routes[] = {
        {"POST", "/api/publish", R"({"channel":"c","event":"e","data":1})"},
        {"POST", "/api/publish", R"({"messages":[{"channel":"c","event":"e","data":1}]})"},
        {"POST", "/api/invalidate", R"({"channels":["c"]})"},
        {"GET", "/api/stats", ""},
        {"GET", "/api/ping", ""},
        {"GET", "/api/connections/c0-1", ""},
        {"GET", "/api/users/u", ""},
        {"POST", "/api/disconnect", R"({"userId":"u"})"},
        {"POST", "/api/tokens", R"({"userId":"someone-else","roles":["admin"]})"},
    };
    HttpClient c(port);
    ASSERT_TRUE(c.connect()) << c.error();
    for (const Route& r : routes) {
        SCOPED_TRACE(std::string(r.method) + " " + r.path);
        auto resp = c.request(r.method, r.path, r.body, bearer(token));
        ASSERT_TRUE(resp) << c.error();
        EXPECT_EQ(refusal(*resp, 403, "forbidden", "stream_token"), "");
        auto j = resp->json();
        EXPECT_NE((*j)["error"]["message"].as_string().find("stream token"), std::string::npos)
            << resp->body;
        // The same request with the API key passes the credentials check.
        auto ok = c.request(r.method, r.path, r.body, kApiKey);
        ASSERT_TRUE(ok) << c.error();
        EXPECT_NE(ok->status, 401);
        EXPECT_NE(ok->status, 403) << ok->describe();
    }
}

TEST(StreamTokens, TheApiRefusesThemEvenWithRoleAdmin) {
    for (const bool with_app_auth : {false, true}) {
        SCOPED_TRACE(with_app_auth ? "with HS256 configured" : "without [auth]");
        DaemonProcess d;
        ASSERT_TRUE(d.start({.shards = 2, .config = with_app_auth ? hs256_config() : ""}))
            << d.error();
        UnixClient u;
        ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
        const std::string token = token_for(
            u, R"("userId":"root","roles":["admin","moderator"],"permissions":["dashboard.view"])");
        check_api_refuses(d.port(), token);
        if (with_app_auth) {
            // An application token with the admin claim is a credential.
            HttpClient c(d.port());
            ASSERT_TRUE(c.connect()) << c.error();
            auto r = c.request("GET", "/api/stats", "", bearer(app_token("ops", {}, {}, true)));
            ASSERT_TRUE(r) << c.error();
            EXPECT_EQ(r->status, 200) << r->describe();
        }
    }
}

// --- requests that are refused, and who may ask ------------------------------------------

// A JSON array of `n` distinct names of 128 bytes.
std::string long_names(int n) {
    std::string s = "[";
    for (int i = 0; i < n; ++i)
        s += (i ? ",\"" : "\"") + std::string(125, 'n') + std::to_string(100 + i) + "\"";
    return s + "]";
}

TEST(StreamTokens, InvalidRequestsNameTheFieldOverBothProtocols) {
    DaemonProcess d;
    ASSERT_TRUE(
        d.start({.shards = 2, .config = "[auth]\ntoken_ttl = \"5m\"\ntoken_max_ttl = \"10m\"\n"}))
        << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();

    struct Bad {
        std::string fields;  // inside the request object
        std::string mentions;
    };
    const std::vector<Bad> bad = {
        {R"("roles":["admin"])", "\"userId\""},
        {R"("userId":"")", "\"userId\""},
        {R"("userId":true)", "\"userId\""},
        {R"("userId":")" + std::string(257, 'u') + "\"", "\"userId\""},
        {R"("userId":"u","ttl":"60")", "\"ttl\""},
        {R"("userId":"u","ttl":0)", "\"ttl\""},
        {R"("userId":"u","ttl":-5)", "\"ttl\""},
        {R"("userId":"u","ttl":1.5)", "\"ttl\""},
        {R"("userId":"u","ttl":601)", "token_max_ttl"},
        {R"("userId":"u","ttl":86400)", "token_max_ttl"},
        {R"("userId":"u","expires":60)", "\"expires\""},
        {R"("userId":"u","roles":"admin")", "\"roles\""},
        {R"("userId":"u","roles":[""])", "\"roles\""},
        {R"("userId":"u","permissions":[1])", "\"permissions\""},
        {R"("userId":"u","subscriber":"yes")", "\"subscriber\""},
        // Names a verifier could not take back: longer than 8192 bytes signed.
        {R"("userId":"u","roles":)" + long_names(60), "8192"},
    };
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    for (const Bad& b : bad) {
        SCOPED_TRACE(b.fields.substr(0, 80));
        auto line = u.request(R"({"op":"token","req":"b",)" + b.fields + "}");
        ASSERT_TRUE(line) << u.error();
        EXPECT_EQ(check_error_reply(*line, "\"b\"", "invalid_field"), "");
        auto sj = Json::parse(*line);
        const std::string socket_message = sj ? (*sj)["error"]["message"].as_string() : "";
        EXPECT_NE(socket_message.find(b.mentions), std::string::npos) << *line;

        auto r = api.request("POST", "/api/tokens", "{" + b.fields + "}", kApiKey);
        ASSERT_TRUE(r) << api.error();
        EXPECT_EQ(refusal(*r, 400, "bad_request", "invalid_field"), "");
        auto hj = r->json();
        EXPECT_EQ((*hj)["error"]["message"].as_string(), socket_message)
            << "both protocols say the same";
    }
    // Over HTTP a body that is not a JSON object is invalid_json.
    for (const char* body : {"", "not json", "[]", "\"userId\"", R"({"userId":"u")"}) {
        auto r = api.request("POST", "/api/tokens", body, kApiKey);
        ASSERT_TRUE(r) << api.error();
        EXPECT_EQ(refusal(*r, 400, "bad_request", "invalid_json"), "") << body;
    }
    // The bounds: ttl up to token_max_ttl, token_ttl when none is given.
    const int64_t t0 = wall_now_ms();
    Json max = socket_token(u, R"("userId":"u","ttl":600)");
    ASSERT_TRUE(max["ok"].as_bool());
    EXPECT_GE(max["expiresAt"].as_int(), t0 - 1000 + 600000);
    Json dflt = socket_token(u, R"("userId":"u")");
    const int64_t t1 = wall_now_ms();
    EXPECT_GE(dflt["expiresAt"].as_int(), t0 - 1000 + 300000);
    EXPECT_LE(dflt["expiresAt"].as_int(), t1 + 300000);
    // Without "req" the op still signs nothing unasked: no reply at all.
    ASSERT_TRUE(u.send(R"({"op":"token","userId":"quiet"})"
                       "\n"));
    EXPECT_EQ(ask(u, R"({"op":"ping","req":"after"})")["req"].as_string(), "after");
}

TEST(StreamTokens, IssuingOverHttpNeedsAdminCredentials) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = hs256_config()})) << d.error();
    const std::string body = R"({"userId":"u","roles":["admin"]})";
    EXPECT_EQ(refusal(post_tokens(d.port(), body, {}), 401, "unauthorized", "missing_credentials"),
              "");
    EXPECT_EQ(check_json_error(post_tokens(d.port(), body, {{"X-API-Key", "wrong"}}), 401,
                               "invalid_api_key"),
              "");
    EXPECT_EQ(
        check_json_error(post_tokens(d.port(), body, bearer("not-a-key")), 401, "invalid_api_key"),
        "");
    EXPECT_EQ(refusal(post_tokens(d.port(), body, bearer(app_token("pub", {}, true))), 403,
                      "forbidden", "missing_admin_claim"),
              "")
        << "a publish-only token may not mint identities";
    EXPECT_EQ(refusal(post_tokens(d.port(), body, bearer(app_token("nobody"))), 403, "forbidden",
                      "missing_admin_claim"),
              "");
    TokenClaims expired;
    expired.sub = "ops";
    expired.exp = unix_now_s() - 3600;
    EXPECT_EQ(refusal(post_tokens(d.port(), body,
                                  bearer(mint_hs256(
                                      kAppSecret, "{\"admin\":true," + expired.json().substr(1)))),
                      401, "invalid_token", "expired"),
              "");
    HttpResponse by_role = post_tokens(d.port(), body, bearer(app_token("ops", {"admin"})));
    EXPECT_EQ(by_role.status, 200) << by_role.describe();
    HttpResponse by_claim = post_tokens(d.port(), body, bearer(app_token("ops", {}, {}, true)));
    EXPECT_EQ(by_claim.status, 200) << by_claim.describe();
    HttpResponse by_key = post_tokens(d.port(), body);
    ASSERT_EQ(by_key.status, 200) << by_key.describe();
    // What it issued opens the admin stream.
    auto s = get(d.port(), "/api/admin/sse/stream", bearer((*by_key.json())["token"].as_string()));
    EXPECT_EQ(admitted(*s, "u", {"admin-actions"}), "");

    // An API left open (http_require_auth = false) still asks who mints an identity.
    DaemonProcess open;
    ASSERT_TRUE(open.start({.config = hs256_config() + "[publish]\nhttp_require_auth = false\n"}))
        << open.error();
    EXPECT_EQ(
        refusal(post_tokens(open.port(), body, {}), 401, "unauthorized", "missing_credentials"),
        "");
    EXPECT_EQ(post_tokens(open.port(), body).status, 200) << "with the key it still works";
}

// --- the configured claim names and the token's end -------------------------------------

TEST(StreamTokens, FollowTheConfiguredClaimNames) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = "[auth]\nuser_claim = \"uid\"\nroles_claim = \"groups\"\n"
                                   "permissions_claim = \"scopes\"\nsubscriber_claim = \"paid\"\n"
                                   "cookie = \"rc_session\"\nquery = \"\"\n"}))
        << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    const std::string token =
        token_for(u, R"("userId":"named","roles":["moderator"],"permissions":["dashboard.view"],)"
                     R"("subscriber":true)");
    auto admin = get(d.port(), "/api/admin/sse/stream", bearer(token));
    EXPECT_EQ(admitted(*admin, "named", {"admin-actions"}), "");
    auto dash = get(d.port(), "/api/dashboard/sse", bearer(token));
    EXPECT_EQ(admitted(*dash, "named", {"live-updates"}), "");
    auto general = get(d.port(), "/api/sse/stream?channels=paid", bearer(token));
    EXPECT_EQ(admitted(*general, "named"), "");
    Json r = ask(u, publish_line("1", "paid", "e", "1", R"("target":"subscribers")"));
    EXPECT_EQ(r["sent"].as_int(), 1) << "the subscriber flag under its configured name";
    // The configured places to look: the cookie rc_session, no query parameter.
    auto cookie = get(d.port(), "/api/sse/stream", {{"Cookie", "rc_session=" + token}});
    EXPECT_EQ(admitted(*cookie, "named"), "");
    auto default_cookie = get(d.port(), "/api/sse/stream", {{"Cookie", "ringcast_token=" + token}});
    EXPECT_EQ(admitted(*default_cookie, std::nullopt), "")
        << "a cookie of another name is not read";
    auto query = get(d.port(), "/api/sse/stream?token=" + token);
    EXPECT_EQ(admitted(*query, std::nullopt), "") << "query = \"\" reads no parameter";
}

TEST(StreamTokens, AStreamEndsWithItsTokenAndSaysSo) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = "[auth]\nleeway = \"1s\"\n"})) << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    Json t = socket_token(u, R"("userId":"brief","ttl":1)");
    ASSERT_TRUE(t["ok"].as_bool()) << u.error();
    const int64_t ends_ms = t["expiresAt"].as_int() + 1000;
    auto s = get(d.port(), "/api/sse/stream?channels=alerts", bearer(t["token"].as_string()));
    ASSERT_EQ(admitted(*s, "brief"), "");
    ASSERT_TRUE(s->read_to_eof(Deadline(10s))) << s->raw_body();
    EXPECT_GE(wall_now_ms(), ends_ms - 50) << "the stream ended before its token did";
    std::vector<SseEvent> got = s->data_events();
    ASSERT_FALSE(got.empty()) << s->raw_body();
    EXPECT_EQ(got.back().type, "token-expired") << s->raw_body();
    EXPECT_EQ(stream_refusal(d.port(), "/api/sse/stream", bearer(t["token"].as_string()), 401,
                             "invalid_token", "expired"),
              "");
}

}  // namespace
}  // namespace ringcast::itest

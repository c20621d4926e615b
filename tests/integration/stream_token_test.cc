// Stream tokens (issue 11, "Identity for apps that have no JWT"): a backend asks
// ringcastd for a short-lived token (the socket's `token` op, POST /api/tokens
// with the API key) and the browser's stream then carries that user, its roles,
// permissions and subscriber flag — for targeting, the gated endpoints and the
// channel rules — on a daemon with no [auth] at all and beside an application's
// own HS256 tokens. The API refuses such tokens; bad requests are refused with
// the field at fault; the key file is made once (mode 0600), kept across
// restarts, and an unusable one stops the start with a message naming it.
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
#include "unix_client.h"

namespace ringcast::itest {
namespace {

constexpr char kAppSecret[] = "stream-token-test-app-secret-0123456789!";

const Headers kApiKey = {{"Authorization", "Bearer " + std::string(kTestApiKey)}};

std::string hs256_config(const std::string& extra = {}) {
    return std::string("[auth]\nalgorithm = \"HS256\"\nsecret = \"") + kAppSecret + "\"\n" + extra;
}

Headers bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

// The application's own token (HS256 with kAppSecret).
std::string app_token(const std::string& user, std::vector<std::string> roles = {},
                      std::optional<bool> publish = std::nullopt, bool admin = false) {
    TokenClaims c;
    c.sub = user;
    c.roles = std::move(roles);
    c.publish = publish;
    std::string payload = c.json();
    if (admin) payload.insert(1, "\"admin\":true,");
    return mint_hs256(kAppSecret, payload);
}

// {"op":"token","req":"t",<fields>} on the socket; the reply.
Json socket_token(UnixClient& u, const std::string& fields) {
    return ask(u, R"({"op":"token","req":"t",)" + fields + "}");
}

// A token for `fields` from the socket; "" (and a failure) if none came.
std::string token_for(UnixClient& u, const std::string& fields) {
    Json r = socket_token(u, fields);
    EXPECT_TRUE(r["ok"].as_bool()) << fields << ": " << u.error();
    return r["token"].as_string();
}

// POST /api/tokens with `body` and `headers` (the API key by default).
HttpResponse post_tokens(uint16_t port, const std::string& body, const Headers& headers = kApiKey) {
    HttpClient c(port);
    EXPECT_TRUE(c.connect()) << c.error();
    Headers h = headers;
    h.emplace_back("Content-Type", "application/json");
    auto r = c.request("POST", "/api/tokens", body, h);
    EXPECT_TRUE(r) << c.error();
    return r ? *r : HttpResponse{};
}

std::vector<std::string> keys_of(const Json& j) {
    std::vector<std::string> out;
    for (const auto& [k, v] : j.members())
        out.push_back(k);
    return out;
}

std::unique_ptr<SseClient> get(uint16_t port, const std::string& target, const Headers& h = {}) {
    auto s = std::make_unique<SseClient>();
    if (!s->open(port, target, Deadline(kIoTimeout), h))
        ADD_FAILURE() << "GET " << target << ": " << s->error();
    return s;
}

// Empty when `s` was admitted as `user` (nullopt: anonymous) and its `connected`
// event names `channels` (when given).
std::string admitted(SseClient& s, const std::optional<std::string>& user,
                     const std::vector<std::string>& channels = {}) {
    if (s.status() != 200) return "refused: " + s.head().describe();
    if (!s.await_events(1, Deadline(kIoTimeout))) return "no connected event";
    auto j = Json::parse(s.events()[0].event.data);
    if (!j) return "connected data is not JSON";
    const Json& uid = (*j)["userId"];
    if (!user && !uid.is_null()) return "userId should be null: " + s.events()[0].event.data;
    if (user && uid.as_string() != *user)
        return "userId should be \"" + *user + "\": " + s.events()[0].event.data;
    if (!channels.empty()) {
        std::vector<std::string> got;
        for (const Json& c : (*j)["channels"].items())
            got.push_back(c.as_string());
        if (got != channels) return "channels: " + s.events()[0].event.data;
    }
    return {};
}

// Empty when `r` is the JSON refusal (status, code, reason).
std::string refused(const HttpResponse& r, int status, std::string_view code,
                    std::string_view reason) {
    std::string why = check_json_error(r, status, code);
    if (!why.empty()) return why;
    auto j = r.json();
    if ((*j)["error"]["reason"].as_string() != reason)
        return "reason \"" + (*j)["error"]["reason"].as_string() + "\", not \"" +
               std::string(reason) + "\": " + r.describe();
    return {};
}

std::string stream_refusal(uint16_t port, const std::string& target, const Headers& h, int status,
                           std::string_view code, std::string_view reason) {
    auto s = get(port, target, h);
    if (s->status() == 0) return "no answer: " + s->error();
    return refused(s->head(), status, code, reason);
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string key_path(const DaemonProcess& d) {
    return d.data_dir() + "/stream-token.key";
}

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
        EXPECT_EQ(refused(*resp, 403, "forbidden", "stream_token"), "");
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
        EXPECT_EQ(refused(*r, 400, "bad_request", "invalid_field"), "");
        auto hj = r->json();
        EXPECT_EQ((*hj)["error"]["message"].as_string(), socket_message)
            << "both protocols say the same";
    }
    // Over HTTP a body that is not a JSON object is invalid_json.
    for (const char* body : {"", "not json", "[]", "\"userId\"", R"({"userId":"u")"}) {
        auto r = api.request("POST", "/api/tokens", body, kApiKey);
        ASSERT_TRUE(r) << api.error();
        EXPECT_EQ(refused(*r, 400, "bad_request", "invalid_json"), "") << body;
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
    EXPECT_EQ(refused(post_tokens(d.port(), body, {}), 401, "unauthorized", "missing_credentials"),
              "");
    EXPECT_EQ(check_json_error(post_tokens(d.port(), body, {{"X-API-Key", "wrong"}}), 401,
                               "invalid_api_key"),
              "");
    EXPECT_EQ(
        check_json_error(post_tokens(d.port(), body, bearer("not-a-key")), 401, "invalid_api_key"),
        "");
    EXPECT_EQ(refused(post_tokens(d.port(), body, bearer(app_token("pub", {}, true))), 403,
                      "forbidden", "missing_admin_claim"),
              "")
        << "a publish-only token may not mint identities";
    EXPECT_EQ(refused(post_tokens(d.port(), body, bearer(app_token("nobody"))), 403, "forbidden",
                      "missing_admin_claim"),
              "");
    TokenClaims expired;
    expired.sub = "ops";
    expired.exp = unix_now_s() - 3600;
    EXPECT_EQ(refused(post_tokens(d.port(), body,
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

// --- turned off ----------------------------------------------------------------------------

TEST(StreamTokens, AnEmptyKeyFileTurnsThemOff) {
    // A token from a daemon that has them, to present to one that does not.
    DaemonProcess on;
    ASSERT_TRUE(on.start({.shards = 1})) << on.error();
    UnixClient uo;
    ASSERT_TRUE(uo.connect(socket_path(on))) << uo.error();
    const std::string foreign = token_for(uo, R"("userId":"u","roles":["admin"])");

    for (const bool with_app_auth : {false, true}) {
        SCOPED_TRACE(with_app_auth ? "with HS256 configured" : "without [auth]");
        DaemonProcess d;
        const std::string off = "token_key_file = \"\"\n";
        ASSERT_TRUE(
            d.start({.shards = 2, .config = with_app_auth ? hs256_config(off) : "[auth]\n" + off}))
            << d.error();
        EXPECT_FALSE(std::filesystem::exists(key_path(d))) << "no key file is made";
        UnixClient u;
        ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
        auto line = u.request(R"({"op":"token","req":3,"userId":"u"})");
        ASSERT_TRUE(line) << u.error();
        EXPECT_EQ(check_error_reply(*line, "3", "not_configured"), "");
        EXPECT_NE(line->find("token_key_file"), std::string::npos) << *line;
        HttpResponse h = post_tokens(d.port(), R"({"userId":"u"})");
        EXPECT_EQ(check_json_error(h, 501, "not_configured"), "");
        EXPECT_NE(h.body.find("token_key_file"), std::string::npos) << h.body;
        // Credentials are checked first.
        EXPECT_EQ(post_tokens(d.port(), R"({"userId":"u"})", {}).status, 401);

        // A stream token is nothing here.
        EXPECT_EQ(stream_refusal(d.port(), "/api/sse/stream", bearer(foreign), 401, "invalid_token",
                                 with_app_auth ? "bad_signature" : "not_configured"),
                  "");
        EXPECT_EQ(
            stream_refusal(d.port(), "/api/admin/sse/stream", bearer(foreign), 401, "invalid_token",
                           with_app_auth ? "bad_signature" : "not_configured"),
            "");
        if (with_app_auth) {
            auto app = get(d.port(), "/api/sse/stream", bearer(app_token("app")));
            EXPECT_EQ(admitted(*app, "app"), "");
        } else {
            auto anon = get(d.port(), "/api/sse/stream");
            EXPECT_EQ(admitted(*anon, std::nullopt), "");
            EXPECT_EQ(stream_refusal(d.port(), "/api/admin/sse/stream", {}, 401, "unauthorized",
                                     "missing_token"),
                      "");
        }
    }
}

// --- the key file ----------------------------------------------------------------------------

TEST(StreamTokenKey, MadeAtTheFirstStartWithMode0600AndKeptAcrossRestarts) {
    TempDir data;
    const std::string dir = data.path() + "/data";
    const std::string path = dir + "/stream-token.key";
    std::string token, key;
    {
        DaemonProcess d;
        ASSERT_TRUE(d.start({.shards = 2, .data_dir = dir})) << d.error();
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0) << path << " was not made";
        EXPECT_EQ(st.st_mode & 07777, 0600u);
        EXPECT_TRUE(S_ISREG(st.st_mode));
        key = read_file(path);
        EXPECT_GE(key.size(), 32u);
        EXPECT_EQ(d.log().find(key.substr(0, 16)), std::string::npos) << "the log shows the key";
        UnixClient u;
        ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
        token = token_for(u, R"("userId":"survivor","roles":["moderator"])");
        auto s = get(d.port(), "/api/admin/sse/stream", bearer(token));
        EXPECT_EQ(admitted(*s, "survivor"), "");
        ASSERT_EQ(d.stop(), 0);
    }
    {
        DaemonProcess d;
        ASSERT_TRUE(d.start({.shards = 2, .data_dir = dir})) << d.error();
        EXPECT_EQ(read_file(path), key) << "a restart keeps the key";
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0600u);
        auto s = get(d.port(), "/api/admin/sse/stream", bearer(token));
        EXPECT_EQ(admitted(*s, "survivor", {"admin-actions"}), "")
            << "a token issued before the restart opens a stream after it";
        ASSERT_EQ(d.stop(), 0);
    }
    // Deleting the key invalidates every token issued with it.
    ASSERT_EQ(::unlink(path.c_str()), 0);
    {
        DaemonProcess d;
        ASSERT_TRUE(d.start({.shards = 2, .data_dir = dir})) << d.error();
        const std::string fresh = read_file(path);
        EXPECT_GE(fresh.size(), 32u);
        EXPECT_NE(fresh, key) << "a new random key";
        EXPECT_EQ(stream_refusal(d.port(), "/api/admin/sse/stream", bearer(token), 401,
                                 "invalid_token", "bad_signature"),
                  "");
        EXPECT_EQ(stream_refusal(d.port(), "/api/sse/stream", bearer(token), 401, "invalid_token",
                                 "bad_signature"),
                  "");
        UnixClient u;
        ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
        auto s = get(d.port(), "/api/sse/stream", bearer(token_for(u, R"("userId":"survivor")")));
        EXPECT_EQ(admitted(*s, "survivor"), "") << "new tokens work";
    }
}

TEST(StreamTokenKey, AKeyFileOfYourOwnIsUsedWhereverItIs) {
    TempDir dir;
    const std::string own = dir.write("my.key", std::string(40, 'k') + "\n");
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = "[auth]\ntoken_key_file = \"" + own + "\"\n"}))
        << d.error();
    EXPECT_FALSE(std::filesystem::exists(key_path(d))) << "no key is made in the data directory";
    EXPECT_EQ(read_file(own), std::string(40, 'k') + "\n") << "the file is left as it was";
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    const std::string token = token_for(u, R"("userId":"mine")");
    // It is signed with that key (HS256 over the file's text, less its line end).
    const std::string input = token.substr(0, token.rfind('.'));
    EXPECT_EQ(token.substr(token.rfind('.') + 1), b64url(hmac_sha256(std::string(40, 'k'), input)));
    auto s = get(d.port(), "/api/sse/stream", bearer(token));
    EXPECT_EQ(admitted(*s, "mine"), "");
}

TEST(StreamTokenKey, AnUnusableKeyFileStopsTheStartNamingIt) {
    TempDir dir;
    struct Case {
        std::string name;
        std::string key_file;  // auth.token_key_file
        std::vector<std::string> mentions;
    };
    const std::string as_dir = dir.path() + "/a-directory.key";
    ASSERT_EQ(::mkdir(as_dir.c_str(), 0700), 0);
    const std::string empty = dir.write("empty.key", "");
    const std::string short_key = dir.write("short.key", "tooshort-SECRET\n");
    const std::vector<Case> cases = {
        {"a directory", as_dir, {"auth.token_key_file", as_dir}},
        {"an empty file", empty, {"auth.token_key_file", empty}},
        {"a short key", short_key, {"auth.token_key_file", short_key, "32"}},
        {"in a missing directory",
         dir.path() + "/missing/dir/k.key",
         {"auth.token_key_file", dir.path() + "/missing/dir/k.key"}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const std::string conf =
            dir.write("c.toml", "[auth]\ntoken_key_file = \"" + c.key_file + "\"\n");
        CommandResult start = run_ringcastd(
            {"--config", conf, "--http", "127.0.0.1:0", "--data-dir", dir.path() + "/data"},
            Deadline(10s));
        ASSERT_TRUE(start.exit_code) << "ringcastd started with " << c.name;
        EXPECT_EQ(*start.exit_code, 2) << start.out << start.err;
        const std::string said = start.out + start.err;
        for (const std::string& m : c.mentions)
            EXPECT_NE(said.find(m), std::string::npos) << "should mention " << m << ":\n" << said;
        EXPECT_EQ(said.find("SECRET"), std::string::npos) << "never quote the key";

        CommandResult check = run_ringcastd({"--check-config", conf});
        ASSERT_TRUE(check.exit_code);
        EXPECT_EQ(*check.exit_code, 2) << check.out << check.err;
        for (const std::string& m : c.mentions)
            EXPECT_NE(check.err.find(m), std::string::npos)
                << "--check-config should mention " << m << ":\n"
                << check.err;
    }
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/missing"));
}

TEST(StreamTokenKey, CheckConfigDoesNotMakeTheKeyFile) {
    TempDir dir;
    const std::string data = dir.path() + "/data";
    ASSERT_EQ(::mkdir(data.c_str(), 0700), 0);
    const std::string conf = dir.write("c.toml", "[server]\ndata_dir = \"" + data + "\"\n");
    CommandResult r = run_ringcastd({"--check-config", conf});
    ASSERT_TRUE(r.exit_code);
    EXPECT_EQ(*r.exit_code, 0) << r.out << r.err;
    EXPECT_FALSE(std::filesystem::exists(data + "/stream-token.key"))
        << "--check-config made the key file";
    EXPECT_TRUE(std::filesystem::is_empty(data));

    // Not even when the data directory does not exist yet.
    const std::string later = dir.path() + "/not-yet";
    const std::string conf2 = dir.write("c2.toml", "[server]\ndata_dir = \"" + later + "\"\n");
    CommandResult r2 = run_ringcastd({"--check-config", conf2});
    ASSERT_TRUE(r2.exit_code);
    EXPECT_EQ(*r2.exit_code, 0) << r2.out << r2.err;
    EXPECT_FALSE(std::filesystem::exists(later));

    // The daemon then makes it; a check afterwards reads it and passes.
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .data_dir = data})) << d.error();
    EXPECT_TRUE(std::filesystem::exists(data + "/stream-token.key"));
    ASSERT_EQ(d.stop(), 0);
    CommandResult r3 = run_ringcastd({"--check-config", conf});
    ASSERT_TRUE(r3.exit_code);
    EXPECT_EQ(*r3.exit_code, 0) << r3.out << r3.err;
}

}  // namespace
}  // namespace ringcast::itest

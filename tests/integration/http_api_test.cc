// The HTTP API's routes that mirror the socket's ops (an HTTP transport with the
// same API, for backends on another host): GET /api/ping, GET /api/connections/{id}, GET
// /api/users/{userId} and POST /api/disconnect. Each answer is compared member
// by member with the socket's reply to the same request (the same members and
// values, less the socket's req and ok); streams really end on a disconnect; a
// bad body is a 400 whose reason is the socket's error code; wrong methods and
// unknown paths are 405 and 404; and each route asks for its credentials.
// Batches on POST /api/publish are in http_batch_test.cc.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_api_support.h"
#include "http_client.h"
#include "json.h"
#include "jwt_mint.h"
#include "keeps_support.h"
#include "publish_support.h"
#include "sse_client.h"
#include "tcp.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

// --- ping ----------------------------------------------------------------------------------

TEST(HttpApi, PingAnswersAsTheSocketDoes) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    HttpClient api(d.port());
    const int64_t t0 = wall_now_ms();
    HttpResponse r = call(api, "GET", "/api/ping");
    Json sock = ask(u, R"({"op":"ping","req":"p"})");
    const int64_t t1 = wall_now_ms();
    ASSERT_EQ(r.status, 200) << r.describe();
    EXPECT_NE(r.header("content-type").value_or("").find("application/json"), std::string::npos);
    Json j = body_of(r);
    EXPECT_EQ(same_as_socket(j, sock), "") << r.body << " vs " << sock["version"].as_string();
    EXPECT_FALSE(j["version"].as_string().empty());
    EXPECT_GE(j["time"].as_int(), t0 - 1000);
    EXPECT_LE(j["time"].as_int(), t1 + 1000);
    // A trailing slash names the same resource; X-API-Key is as good as Bearer.
    EXPECT_EQ(call(api, "GET", "/api/ping/").status, 200);
    EXPECT_EQ(call(api, "GET", "/api/ping", "", {{"X-API-Key", std::string(kTestApiKey)}}).status,
              200);
}

// --- connections/{id} ----------------------------------------------------------------------

TEST(HttpApi, ConnectionsByIdAnswerAsTheSocket) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    HttpClient api(d.port());
    const std::string token = stream_token(u, R"("userId":"conn-user")");
    // Streams on both shards, one with a user.
    auto anon = open_on_both_shards(d.port(), "/api/sse/stream?channels=k1,k2.x");
    Stream named = open_as(d.port(), "/api/sse/stream?channels=k3", token);
    std::vector<std::string> ids = {named.id};
    for (auto& s : anon) {
        auto j = Json::parse(s->events()[0].event.data);
        ids.push_back((*j)["connectionId"].as_string());
    }
    for (const std::string& id : ids) {
        SCOPED_TRACE(id);
        HttpResponse r = call(api, "GET", "/api/connections/" + id);
        Json sock = ask(u, R"({"op":"connection","req":"q","id":")" + id + "\"}");
        ASSERT_EQ(r.status, 200) << r.describe();
        Json j = body_of(r);
        EXPECT_EQ(same_as_socket(j, sock), "")
            << r.body << "\nsocket: " << sock["connection"].size();
        EXPECT_EQ(j["connection"]["connectionId"].as_string(), id);
        // Percent-encoded and with a trailing slash: the same connection.
        HttpResponse enc = call(api, "GET", "/api/connections/" + percent_encode_all(id) + "/");
        ASSERT_EQ(enc.status, 200) << enc.describe();
        EXPECT_EQ(body_of(enc)["connection"]["connectionId"].as_string(), id);
    }
    Json named_conn = body_of(call(api, "GET", "/api/connections/" + named.id));
    EXPECT_EQ(named_conn["connection"]["userId"].as_string(), "conn-user");
    EXPECT_EQ(named_conn["connection"]["channels"].size(), 1u);

    // Ids that name no connection: 404, with the socket's not_found message.
    for (const char* id : {"c0-999999", "c1-999999", "c9-1", "nonsense", "c1-", "c-1", "c0-1x",
                           "c1-18446744073709551616"}) {
        SCOPED_TRACE(id);
        HttpResponse r = call(api, "GET", std::string("/api/connections/") + id);
        EXPECT_EQ(check_json_error(r, 404, "not_found"), "");
        const std::string msg = socket_error(
            u, std::string(R"({"op":"connection","req":"e","id":")") + id + "\"}", "not_found");
        EXPECT_EQ(body_of(r)["error"]["message"].as_string(), msg);
    }
    // A malformed escape names no connection either.
    EXPECT_EQ(check_json_error(call(api, "GET", "/api/connections/c0%2"), 404, "not_found"), "");
    EXPECT_EQ(check_json_error(call(api, "GET", "/api/connections/%zz"), 404, "not_found"), "");
    // The daemon still answers on the same connection.
    EXPECT_EQ(call(api, "GET", "/api/connections/" + named.id).status, 200);
}

// --- users/{userId} ------------------------------------------------------------------------

// Empty when the two user answers agree: the same members, the same connection
// objects (in any order: each shard answers for its own).
std::string same_user(const Json& http, const Json& sock) {
    if (!sock["ok"].as_bool()) return "the socket's reply is not ok";
    std::vector<std::string> hk, sk;
    for (const auto& [k, v] : http.members())
        hk.push_back(k);
    for (const auto& [k, v] : sock.members())
        if (k != "req" && k != "ok") sk.push_back(k);
    if (hk != sk) return "members differ";
    if (!json_equal(http["userId"], sock["userId"])) return "userId differs";
    if (!json_equal(http["connected"], sock["connected"])) return "connected differs";
    const Json& hc = http["connections"];
    const Json& sc = sock["connections"];
    if (!hc.is_array() || hc.size() != sc.size()) return "connections differ in number";
    for (const Json& c : hc.items()) {
        const Json* match = nullptr;
        for (const Json& o : sc.items())
            if (o["connectionId"].as_string() == c["connectionId"].as_string()) match = &o;
        if (!match) return "the socket lacks " + c["connectionId"].as_string();
        std::string d = differ(c, *match, c["connectionId"].as_string());
        if (!d.empty()) return d;
    }
    return {};
}

TEST(HttpApi, UsersByIdAnswerAsTheSocket) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    HttpClient api(d.port());

    struct User {
        std::string id;           // as the token names it
        std::string token_json;   // "userId" in the token request
        std::string path;         // in GET /api/users/{userId}
        std::string socket_json;  // "userId" in the socket's request
        size_t streams;
    };
    const std::vector<User> users = {
        {"plain", "\"plain\"", "plain", "\"plain\"", 3},
        {"ann smith/1", "\"ann smith/1\"", "ann%20smith%2F1", "\"ann smith/1\"", 2},
        {"42", "42", "42", "42", 1},
        {"42", "42", "%34%32", "\"42\"", 1},
        {"john+news@example.com", "\"john+news@example.com\"", "john+news@example.com",
         "\"john+news@example.com\"", 1},
        {"john+news@example.com", "\"john+news@example.com\"", "john%2Bnews%40example.com",
         "\"john+news@example.com\"", 1},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\"", "caf%C3%A9", "\"caf\xc3\xa9\"", 1},
    };
    std::vector<Stream> held;
    std::set<std::string> opened;
    for (const User& user : users) {
        if (!opened.insert(user.id).second) continue;
        const std::string token = stream_token(u, "\"userId\":" + user.token_json);
        for (size_t i = 0; i < user.streams; ++i)
            held.push_back(
                open_as(d.port(), "/api/sse/stream?channels=u" + std::to_string(i), token));
    }
    held.push_back(open_as(d.port(), "/api/sse/stream?channels=u0"));  // anonymous

    for (const User& user : users) {
        SCOPED_TRACE(user.path);
        HttpResponse r = call(api, "GET", "/api/users/" + user.path);
        ASSERT_EQ(r.status, 200) << r.describe();
        Json j = body_of(r);
        Json sock = ask(u, R"({"op":"user","req":"q","userId":)" + user.socket_json + "}");
        EXPECT_EQ(same_user(j, sock), "") << r.body;
        EXPECT_EQ(j["userId"].as_string(), user.id);
        EXPECT_TRUE(j["connected"].as_bool());
        EXPECT_EQ(j["connections"].size(), user.streams);
        for (const Json& c : j["connections"].items())
            EXPECT_EQ(c["userId"].as_string(), user.id);
    }
    // Nobody of that name: not connected, as the socket says.
    for (const char* path : {"nobody", "plain2", "43", "ann%20smith"}) {
        HttpResponse r = call(api, "GET", std::string("/api/users/") + path);
        ASSERT_EQ(r.status, 200) << r.describe();
        Json j = body_of(r);
        EXPECT_FALSE(j["connected"].as_bool()) << path;
        EXPECT_EQ(j["connections"].size(), 0u);
        EXPECT_TRUE(j["connections"].is_array());
    }
    Json nobody = body_of(call(api, "GET", "/api/users/nobody"));
    EXPECT_EQ(same_user(nobody, ask(u, R"({"op":"user","req":1,"userId":"nobody"})")), "");

    // Ids the daemon cannot take: 400 invalid_field.
    for (const std::string& path : {std::string(257, 'x'), std::string("%zz"), std::string("a%2"),
                                    std::string(255, 'x') + "%C3%A9"}) {
        EXPECT_EQ(bad_request(call(api, "GET", "/api/users/" + path), "invalid_field"), "")
            << path.substr(0, 20);
    }
    EXPECT_EQ(call(api, "GET", "/api/users/" + std::string(256, 'x')).status, 200)
        << "256 bytes are allowed, as on the socket";
    // Still the same connection, still answering.
    EXPECT_EQ(call(api, "GET", "/api/users/plain").status, 200);
}

// --- disconnect -----------------------------------------------------------------------------

TEST(HttpApi, DisconnectEndsTheStreamsAsTheSocketWould) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    HttpClient api(d.port());
    const std::string victim = stream_token(u, R"("userId":"victim")");
    const std::string bystander = stream_token(u, R"("userId":"bystander")");
    std::vector<Stream> victims;
    for (int i = 0; i < 4; ++i)
        victims.push_back(open_as(d.port(), "/api/sse/stream?channels=dc", victim));
    Stream other = open_as(d.port(), "/api/sse/stream?channels=dc", bystander);
    Stream anon = open_as(d.port(), "/api/sse/stream?channels=dc");
    Stream anon2 = open_as(d.port(), "/api/sse/stream?channels=dc");

    // By connection: the anonymous stream ends.
    HttpResponse one =
        call(api, "POST", "/api/disconnect", R"({"connectionId":")" + anon.id + "\"}");
    ASSERT_EQ(one.status, 200) << one.describe();
    EXPECT_EQ(one.body, R"({"disconnected":1})");
    EXPECT_TRUE(anon.sse->read_to_eof(Deadline(kIoTimeout))) << "the stream is still open";
    // Again: nothing left to close; the socket says the same.
    Json again =
        body_of(call(api, "POST", "/api/disconnect", R"({"connectionId":")" + anon.id + "\"}"));
    EXPECT_EQ(same_as_socket(again, ask(u, R"({"op":"disconnect","req":1,"connectionId":")" +
                                               anon.id + "\"}")),
              "");
    EXPECT_EQ(again["disconnected"].as_int(), 0);
    for (const char* id : {"c0-999999", "c9-1", "garbage"}) {
        Json j = body_of(
            call(api, "POST", "/api/disconnect", std::string(R"({"connectionId":")") + id + "\"}"));
        EXPECT_EQ(
            same_as_socket(j, ask(u, std::string(R"({"op":"disconnect","req":1,"connectionId":")") +
                                         id + "\"}")),
            "")
            << id;
        EXPECT_EQ(j["disconnected"].as_int(), 0) << id;
    }

    // By user: every stream of the user ends, on whichever shard.
    HttpResponse all = call(api, "POST", "/api/disconnect", R"({"userId":"victim"})");
    ASSERT_EQ(all.status, 200) << all.describe();
    EXPECT_EQ(body_of(all)["disconnected"].as_int(), 4);
    for (Stream& s : victims)
        EXPECT_TRUE(s.sse->read_to_eof(Deadline(kIoTimeout))) << s.id << " is still open";
    Json none = body_of(call(api, "POST", "/api/disconnect", R"({"userId":"victim"})"));
    EXPECT_EQ(same_as_socket(none, ask(u, R"({"op":"disconnect","req":1,"userId":"victim"})")), "");
    EXPECT_EQ(none["disconnected"].as_int(), 0);
    // By socket, the last one, to compare a count above zero.
    Json by_socket = ask(u, R"({"op":"disconnect","req":1,"connectionId":")" + anon2.id + "\"}");
    EXPECT_EQ(by_socket["disconnected"].as_int(), 1);
    EXPECT_TRUE(anon2.sse->read_to_eof(Deadline(kIoTimeout)));

    // Neither, both, or bad values: 400 invalid_field with the socket's message.
    for (const std::string& body :
         {std::string(R"({})"), std::string(R"({"connectionId":"c0-1","userId":"u"})"),
          std::string(R"({"userId":""})"), std::string(R"({"userId":true})"),
          std::string(R"({"id":"c0-1"})"), std::string(R"({"connectionId":5})"),
          // A bad connection id is refused, not skipped for the user beside it.
          std::string(R"({"connectionId":5,"userId":"bystander"})")}) {
        SCOPED_TRACE(body);
        HttpResponse r = call(api, "POST", "/api/disconnect", body);
        EXPECT_EQ(bad_request(r, "invalid_field"), "");
        std::string line = body;
        line.insert(1, R"("op":"disconnect","req":"e")" + std::string(body.size() > 2 ? "," : ""));
        EXPECT_EQ(body_of(r)["error"]["message"].as_string(),
                  socket_error(u, line, "invalid_field"));
    }
    for (const char* body : {"", "junk", "[1]", "{\"userId\":"})
        EXPECT_EQ(bad_request(call(api, "POST", "/api/disconnect", body), "invalid_json"), "")
            << body;

    // The bystander was never touched and still gets events.
    Json r = ask(u, publish_line("1", "dc", "after", "1"));
    EXPECT_EQ(r["sent"].as_int(), 1);
    EXPECT_TRUE(other.sse->read_until([&] { return !other.sse->data_events().empty(); },
                                      Deadline(kIoTimeout)));
    EXPECT_FALSE(other.sse->ended());
}

// --- bad bodies, methods, paths -----------------------------------------------------------------

TEST(HttpApi, ABadBodyIsA400WhoseReasonIsTheSocketsCode) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    HttpClient api(d.port());
    for (const char* route :
         {"/api/publish", "/api/invalidate", "/api/disconnect", "/api/tokens"}) {
        for (const char* body : {"", "nope", "[1,2]", "\"text\"", "42",
                                 "{\"channel\":", "{\"a\":1}}", "{\"a\":\"\\ud800\"}"}) {
            EXPECT_EQ(bad_request(call(api, "POST", route, body), "invalid_json"), "")
                << route << " " << body;
        }
    }
    // Bad fields: 400 invalid_field, with the socket's message.
    struct Case {
        const char* route;
        const char* op;
        std::string body;
    };
    const std::vector<Case> cases = {
        {"/api/publish", "publish", R"({})"},
        {"/api/publish", "publish", R"({"channel":"c"})"},
        {"/api/publish", "publish", R"({"channel":"c","event":"e"})"},
        {"/api/publish", "publish", R"({"channel":"c","event":"e","data":1,"bogus":1})"},
        {"/api/publish", "publish", R"({"channel":"","event":"e","data":1})"},
        {"/api/publish", "publish", R"({"channel":"c","event":"e","data":1,"target":"x"})"},
        {"/api/invalidate", "invalidate", R"({})"},
        {"/api/invalidate", "invalidate", R"({"channels":"c"})"},
        {"/api/invalidate", "invalidate", R"({"channels":[],"users":[]})"},
        {"/api/invalidate", "invalidate", R"({"users":[true]})"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(std::string(c.route) + " " + c.body);
        HttpResponse r = call(api, "POST", c.route, c.body);
        EXPECT_EQ(bad_request(r, "invalid_field"), "");
        std::string line = c.body;
        line.insert(
            1, std::string(R"("op":")") + c.op + R"(","req":"e")" + (c.body.size() > 2 ? "," : ""));
        EXPECT_EQ(body_of(r)["error"]["message"].as_string(),
                  socket_error(u, line, "invalid_field"));
    }
    // Good ones still work on the same connection.
    EXPECT_EQ(call(api, "POST", "/api/publish", message("c", 1)).status, 200);
    EXPECT_EQ(call(api, "POST", "/api/invalidate", R"({"channels":["c"]})").status, 200);
}

TEST(HttpApi, WrongMethodsAre405AndUnknownPaths404) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    HttpClient api(d.port());
    struct Case {
        const char* method;
        const char* path;
        const char* allow;
    };
    for (const Case& c : std::vector<Case>{{"GET", "/api/publish", "POST"},
                                           {"GET", "/api/tokens", "POST"},
                                           {"PUT", "/api/tokens", "POST"},
                                           {"GET", "/api/disconnect", "POST"},
                                           {"DELETE", "/api/disconnect", "POST"},
                                           {"POST", "/api/ping", "GET"},
                                           {"POST", "/api/stats", "GET"},
                                           {"DELETE", "/api/connections/c0-1", "GET"},
                                           {"POST", "/api/connections/c0-1", "GET"},
                                           {"PUT", "/api/users/u", "GET"},
                                           {"POST", "/api/users/u/", "GET"},
                                           {"POST", "/api/connections", "GET"}}) {
        SCOPED_TRACE(std::string(c.method) + " " + c.path);
        HttpResponse r = call(api, c.method, c.path, "{}");
        EXPECT_EQ(check_json_error(r, 405, "method_not_allowed"), "");
        EXPECT_EQ(r.header("allow"), c.allow);
    }
    for (const char* path : {"/api/nothing", "/api/users", "/api/users/", "/api/users/a/b",
                             "/api/connections/c0-1/extra", "/api/pings", "/api/ping/x",
                             "/api/token", "/api/tokens/x", "/api/users//", "/apiping"}) {
        SCOPED_TRACE(path);
        EXPECT_EQ(check_json_error(call(api, "GET", path), 404, "not_found"), "");
    }
}

// --- credentials ---------------------------------------------------------------------------------

constexpr char kAppSecret[] = "http-api-test-app-secret-0123456789abcdef";

std::string app_token(const std::string& claims_json) {
    return mint_hs256(kAppSecret, claims_json);
}

TEST(HttpApi, EachRouteAsksForItsCredentials) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = std::string("[auth]\nalgorithm = \"HS256\"\nsecret = \"") +
                                   kAppSecret + "\"\n"}))
        << d.error();
    HttpClient api(d.port());
    struct Route {
        const char* method;
        const char* path;
        std::string body;
        bool admin;  // false: publish rights are enough
    };
    const std::vector<Route> routes = {
        {"GET", "/api/ping", "", false},
        {"POST", "/api/publish", message("c", 1), false},
        {"POST", "/api/publish", batch_of({message("c", 1)}), false},
        {"POST", "/api/invalidate", R"({"channels":["c"]})", false},
        {"GET", "/api/stats", "", true},
        {"GET", "/api/connections/c0-1", "", true},
        {"GET", "/api/connections", "", true},
        {"GET", "/api/users/u", "", true},
        {"POST", "/api/disconnect", R"({"userId":"u"})", true},
        {"POST", "/api/tokens", R"({"userId":"u"})", true},
    };
    const int64_t exp = unix_now_s() + 600;
    const std::string publisher =
        app_token(R"({"sub":"pub","publish":true,"exp":)" + std::to_string(exp) + "}");
    const std::string nobody = app_token(R"({"sub":"nobody","exp":)" + std::to_string(exp) + "}");
    const std::string admin =
        app_token(R"({"sub":"root","admin":true,"exp":)" + std::to_string(exp) + "}");
    const std::string admin_role =
        app_token(R"({"sub":"root","roles":["admin"],"exp":)" + std::to_string(exp) + "}");
    for (const Route& r : routes) {
        SCOPED_TRACE(std::string(r.method) + " " + r.path);
        EXPECT_EQ(refusal(call_bare(api, r.method, r.path, r.body), 401, "unauthorized",
                          "missing_credentials"),
                  "");
        EXPECT_EQ(check_json_error(call(api, r.method, r.path, r.body, {{"X-API-Key", "wrong"}}),
                                   401, "invalid_api_key"),
                  "");
        EXPECT_EQ(refusal(call(api, r.method, r.path, r.body,
                               {{"Authorization", "Bearer " + publisher + "x"}}),
                          401, "invalid_token", "bad_signature"),
                  "");
        HttpResponse p =
            call(api, r.method, r.path, r.body, {{"Authorization", "Bearer " + publisher}});
        if (r.admin) {
            EXPECT_EQ(refusal(p, 403, "forbidden", "missing_admin_claim"), "")
                << "a publish-only token where admin is needed";
        } else {
            EXPECT_LT(p.status, 400) << p.describe();
        }
        HttpResponse n =
            call(api, r.method, r.path, r.body, {{"Authorization", "Bearer " + nobody}});
        EXPECT_EQ(
            refusal(n, 403, "forbidden", r.admin ? "missing_admin_claim" : "missing_publish_claim"),
            "");
        for (const std::string& good : {admin, admin_role, std::string(kTestApiKey)}) {
            HttpResponse g =
                call(api, r.method, r.path, r.body, {{"Authorization", "Bearer " + good}});
            EXPECT_TRUE(g.status < 400 || g.status == 404) << g.describe();
        }
    }
}

}  // namespace
}  // namespace ringcast::itest

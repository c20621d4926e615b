// The HTTP API's routes that mirror the socket's ops (issue 11, "an HTTP
// transport with the same API"): GET /api/ping, GET /api/connections/{id}, GET
// /api/users/{userId}, POST /api/disconnect and batches on POST /api/publish.
// Each answer is compared member by member with the socket's reply to the same
// request (the same members and values, less the socket's req and ok); streams
// really end on a disconnect; a batch is published in order through the rate
// limits, whole even when its client leaves; a bad body is a 400 whose reason
// is the socket's error code; and each route asks for its credentials.
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

const Headers kApiKey = {{"Authorization", "Bearer " + std::string(kTestApiKey)}};

// Members whose values are times taken at the moment of asking (ms): the two
// protocols may read the clock a moment apart.
const std::set<std::string> kClockMembers = {"time", "connectedAt", "lastActivity"};
constexpr double kClockSlackMs = 2000;

// Empty when `a` and `b` are equal, members of objects in the same order,
// except members named in kClockMembers, which need only be numbers close to
// each other. Otherwise where they differ.
std::string differ(const Json& a, const Json& b, const std::string& where = "") {
    if (a.type() != b.type()) return where + ": types differ";
    if (a.is_object()) {
        if (a.size() != b.size())
            return where + ": " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) +
                   " members";
        for (size_t i = 0; i < a.members().size(); ++i) {
            const auto& [ka, va] = a.members()[i];
            const auto& [kb, vb] = b.members()[i];
            if (ka != kb) return where + ": member " + ka + " vs " + kb;
            if (kClockMembers.count(ka)) {
                if (!va.is_number() || !vb.is_number() ||
                    std::abs(va.as_double() - vb.as_double()) > kClockSlackMs)
                    return where + "." + ka + ": times too far apart";
                continue;
            }
            std::string d = differ(va, vb, where + "." + ka);
            if (!d.empty()) return d;
        }
        return {};
    }
    if (a.is_array()) {
        if (a.size() != b.size()) return where + ": arrays of different sizes";
        for (size_t i = 0; i < a.size(); ++i) {
            std::string d = differ(a[i], b[i], where + "[" + std::to_string(i) + "]");
            if (!d.empty()) return d;
        }
        return {};
    }
    return json_equal(a, b) ? std::string() : where + ": values differ";
}

// Empty when the HTTP answer `http` (an object) has exactly the members of the
// socket's ok reply `sock` less "req" and "ok", in the same order and with the
// same values (see differ()).
std::string same_as_socket(const Json& http, const Json& sock) {
    if (!sock["ok"].as_bool()) return "the socket's reply is not ok";
    size_t j = 0;  // the next member of `http`
    for (const auto& [k, v] : sock.members()) {
        if (k == "req" || k == "ok") continue;
        if (j >= http.members().size()) return "HTTP lacks member " + k;
        const auto& [hk, hv] = http.members()[j++];
        if (hk != k) return "member " + hk + " where the socket has " + k;
        if (kClockMembers.count(k)) {
            if (std::abs(hv.as_double() - v.as_double()) > kClockSlackMs)
                return k + ": times too far apart";
            continue;
        }
        std::string d = differ(hv, v, k);
        if (!d.empty()) return d;
    }
    if (j != http.members().size()) return "HTTP has more members than the socket";
    return {};
}

// A stream token for `fields` from the socket.
std::string stream_token(UnixClient& u, const std::string& fields) {
    Json r = ask(u, R"({"op":"token","req":"t",)" + fields + "}");
    EXPECT_TRUE(r["ok"].as_bool()) << fields << ": " << u.error();
    return r["token"].as_string();
}

// One stream with its `connected` event read; its connection id.
struct Stream {
    std::unique_ptr<SseClient> sse;
    std::string id;
};

Stream open_as(uint16_t port, const std::string& target, const std::string& token = {}) {
    Stream s;
    s.sse = open_stream(port, target,
                        token.empty() ? Headers{} : Headers{{"Authorization", "Bearer " + token}});
    if (!s.sse->events().empty()) {
        auto j = Json::parse(s.sse->events()[0].event.data);
        if (j) s.id = (*j)["connectionId"].as_string();
    }
    return s;
}

// A request with the API key; the answer (a failed expectation if none came).
HttpResponse call(HttpClient& c, std::string_view method, const std::string& target,
                  const std::string& body = {}, const Headers& headers = kApiKey) {
    if (!c.connected()) {
        EXPECT_TRUE(c.connect()) << c.error();
    }
    auto r = c.request(method, target, body, headers);
    EXPECT_TRUE(r) << method << " " << target << ": " << c.error();
    return r ? *r : HttpResponse{};
}

// The request with no credentials at all (build_request adds the test key to
// some routes when none is given).
HttpResponse call_bare(HttpClient& c, std::string_view method, const std::string& target,
                       const std::string& body) {
    if (!c.connected()) {
        EXPECT_TRUE(c.connect()) << c.error();
    }
    std::string raw = build_request(method, target, body);
    const std::string added = "X-API-Key: " + std::string(kTestApiKey) + "\r\n";
    if (size_t at = raw.find(added); at != std::string::npos) raw.erase(at, added.size());
    EXPECT_TRUE(c.send(raw)) << c.error();
    auto r = c.read_response();
    EXPECT_TRUE(r) << method << " " << target << ": " << c.error();
    return r ? *r : HttpResponse{};
}

Json body_of(const HttpResponse& r) {
    auto j = r.json();
    EXPECT_TRUE(j) << "not JSON: " << r.describe();
    return j ? *j : Json();
}

// Empty when `r` is a 400 bad_request whose reason is `reason`.
std::string bad_request(const HttpResponse& r, std::string_view reason) {
    std::string why = check_json_error(r, 400, "bad_request");
    if (!why.empty()) return why;
    auto j = r.json();
    if ((*j)["error"]["reason"].as_string() != reason)
        return "reason \"" + (*j)["error"]["reason"].as_string() + "\", not \"" +
               std::string(reason) + "\": " + r.describe();
    return {};
}

// Empty when `r` is the refusal (status, code, reason).
std::string refusal(const HttpResponse& r, int status, std::string_view code,
                    std::string_view reason) {
    std::string why = check_json_error(r, status, code);
    if (!why.empty()) return why;
    auto j = r.json();
    if ((*j)["error"]["reason"].as_string() != reason)
        return "reason \"" + (*j)["error"]["reason"].as_string() + "\", not \"" +
               std::string(reason) + "\": " + r.describe();
    return {};
}

// The socket's error message for `line`, which must be answered with `code`.
std::string socket_error(UnixClient& u, const std::string& line, std::string_view code) {
    auto r = u.request(line);
    EXPECT_TRUE(r) << u.error();
    if (!r) return {};
    EXPECT_EQ(check_error_reply(*r, "\"e\"", code), "") << line;
    auto j = Json::parse(*r);
    return j ? (*j)["error"]["message"].as_string() : std::string();
}

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
          std::string(R"({"id":"c0-1"})"), std::string(R"({"connectionId":5})")}) {
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

// --- batches -----------------------------------------------------------------------------------

std::string message(const std::string& channel, int n, const std::string& extra = {}) {
    return R"({"channel":")" + channel + R"(","event":"b","data":)" + std::to_string(n) +
           (extra.empty() ? "" : "," + extra) + "}";
}

std::string batch_of(const std::vector<std::string>& messages) {
    std::string s = R"({"messages":[)";
    for (size_t i = 0; i < messages.size(); ++i)
        s += (i ? "," : "") + messages[i];
    return s + "]}";
}

// The socket's batch request for the same messages.
std::string socket_batch(const std::vector<std::string>& messages) {
    std::string b = batch_of(messages);
    return R"({"op":"publish","req":"batch",)" + b.substr(1);
}

// Empty when each result of the two batch answers has the same members with the
// same values, ids excepted (both daemon ids, the HTTP one before the socket's).
std::string same_results(const Json& http, const Json& sock) {
    if (http["results"].size() != sock["results"].size()) return "numbers of results differ";
    for (size_t i = 0; i < http["results"].size(); ++i) {
        const Json& h = http["results"][i];
        const Json& s = sock["results"][i];
        const std::string at = "results[" + std::to_string(i) + "]";
        if (h.members().size() != s.members().size()) return at + ": numbers of members differ";
        for (size_t k = 0; k < h.members().size(); ++k) {
            const auto& [hk, hv] = h.members()[k];
            const auto& [sk, sv] = s.members()[k];
            if (hk != sk) return at + ": member " + hk + " vs " + sk;
            if (hk == "id") {
                if (!is_daemon_id(hv.as_string()) || !is_daemon_id(sv.as_string()))
                    return at + ": ids are not daemon ids";
                continue;
            }
            if (hk == "error") {
                if (hv["code"].as_string() != sv["code"].as_string()) return at + ": codes differ";
                if (hv.has("retryAfterMs") != sv.has("retryAfterMs"))
                    return at + ": retryAfterMs in one only";
                continue;
            }
            std::string d = differ(hv, sv, at + "." + hk);
            if (!d.empty()) return d;
        }
    }
    return {};
}

TEST(HttpApi, ABatchIsPublishedInOrderWithOneResultPerMessage) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    HttpClient api(d.port());
    auto streams = open_on_both_shards(d.port(), "/api/sse/stream?channels=bt");
    ASSERT_EQ(streams.size(), 2u);

    // Good, bad, good, not an object, good with a target nobody matches.
    const std::vector<std::string> msgs = {
        message("bt", 0),
        R"({"channel":"bt","event":"b"})",
        message("bt", 2),
        "[1]",
        message("bt", 4, R"("targetUsers":["nobody"])"),
        message("bt", 5),
    };
    HttpResponse r = call(api, "POST", "/api/publish", batch_of(msgs));
    ASSERT_EQ(r.status, 200) << r.describe();
    Json j = body_of(r);
    std::vector<std::string> keys;
    for (const auto& [k, v] : j.members())
        keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<std::string>{"sent", "failed", "results"}));
    ASSERT_EQ(j["results"].size(), msgs.size());
    for (size_t i : {0u, 2u, 4u, 5u})
        EXPECT_TRUE(j["results"][i]["ok"].as_bool()) << i << ": " << r.body;
    for (size_t i : {1u, 3u}) {
        EXPECT_FALSE(j["results"][i]["ok"].as_bool()) << i;
        EXPECT_EQ(j["results"][i]["error"]["code"].as_string(), "invalid_field") << i;
        EXPECT_FALSE(j["results"][i]["error"]["message"].as_string().empty()) << i;
    }
    EXPECT_EQ(j["results"][0]["sent"].as_int(), 2);
    EXPECT_EQ(j["results"][4]["sent"].as_int(), 0);
    EXPECT_EQ(j["sent"].as_int(), 6) << "2 + 2 + 0 + 2";
    EXPECT_EQ(j["failed"].as_int(), 0);
    // Ids follow the batch's order.
    uint64_t last = 0;
    for (size_t i : {0u, 2u, 4u, 5u}) {
        uint64_t seq = id_sequence(j["results"][i]["id"].as_string());
        EXPECT_GT(seq, last) << i;
        last = seq;
    }
    // The socket answers the same batch alike.
    Json sock = ask(u, socket_batch(msgs));
    ASSERT_TRUE(sock["ok"].as_bool()) << u.error();
    EXPECT_EQ(same_results(j, sock), "");
    EXPECT_EQ(sock["sent"].as_int(), j["sent"].as_int());
    EXPECT_EQ(sock["failed"].as_int(), j["failed"].as_int());
    for (size_t i : {1u, 3u})
        EXPECT_EQ(j["results"][i]["error"]["message"].as_string(),
                  sock["results"][i]["error"]["message"].as_string())
            << i;
    EXPECT_GT(id_sequence(sock["results"][0]["id"].as_string()), last);

    // Each stream got the published messages once each, in order.
    for (auto& s : streams) {
        ASSERT_TRUE(
            s->read_until([&] { return s->data_events().size() >= 6; }, Deadline(kIoTimeout)))
            << s->raw_body();
        EXPECT_EQ(data_of(*s), (std::vector<std::string>{"0", "2", "5", "0", "2", "5"}));
        const size_t published[] = {0, 2, 5};
        for (size_t i = 0; i < 3; ++i)
            EXPECT_EQ(s->data_events()[i].last_event_id,
                      j["results"][published[i]]["id"].as_string());
    }

    // A long batch: ids strictly increasing, in the order given.
    std::vector<std::string> many;
    for (int i = 0; i < 200; ++i)
        many.push_back(message("bt-long", i));
    Json lj = body_of(call(api, "POST", "/api/publish", batch_of(many)));
    ASSERT_EQ(lj["results"].size(), 200u);
    last = 0;
    for (size_t i = 0; i < 200; ++i) {
        uint64_t seq = id_sequence(lj["results"][i]["id"].as_string());
        ASSERT_GT(seq, last) << i;
        last = seq;
    }

    // Not a batch: 400 invalid_field, nothing published.
    for (const std::string& body :
         {std::string(R"({"messages":[]})"), std::string(R"({"messages":{}})"),
          std::string(R"({"messages":5})"), std::string(R"({"messages":null})"),
          R"({"messages":[)" + message("bt", 9) + R"(],"channel":"bt"})",
          R"({"req":1,"messages":[)" + message("bt", 9) + "]}"}) {
        EXPECT_EQ(bad_request(call(api, "POST", "/api/publish", body), "invalid_field"), "")
            << body;
    }
    read_past_marker(api, *streams[0], "bt");
    EXPECT_EQ(before_marker(*streams[0]).size(), 6u) << "a refused batch published something";
}

TEST(HttpApi, EachMessageOfABatchPassesThePublisherRateLimit) {
    DaemonProcess d;
    ASSERT_TRUE(
        d.start({.shards = 2, .config = "[publish]\nrate_limit = { max = 3, window = \"1m\" }\n"}))
        << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    HttpClient api(d.port());
    Stream s = open_as(d.port(), "/api/sse/stream?channels=rl");

    // A bad message is not counted; the fifth good one is over the limit.
    const std::vector<std::string> msgs = {message("rl", 0), R"({"channel":"rl"})",
                                           message("rl", 2), message("rl", 3),
                                           message("rl", 4), message("rl", 5)};
    HttpResponse r = call(api, "POST", "/api/publish", batch_of(msgs));
    ASSERT_EQ(r.status, 200) << r.describe();
    Json j = body_of(r);
    ASSERT_EQ(j["results"].size(), msgs.size()) << r.body;
    const std::vector<std::string> want = {"", "invalid_field", "",
                                           "", "rate_limited",  "rate_limited"};
    for (size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE(i);
        const Json& res = j["results"][i];
        if (want[i].empty()) {
            EXPECT_TRUE(res["ok"].as_bool()) << r.body;
            continue;
        }
        EXPECT_FALSE(res["ok"].as_bool());
        EXPECT_EQ(res["error"]["code"].as_string(), want[i]);
        if (want[i] == "rate_limited") {
            EXPECT_GT(res["error"]["retryAfterMs"].as_int(), 0);
            EXPECT_LE(res["error"]["retryAfterMs"].as_int(), 60000);
            EXPECT_NE(res["error"]["message"].as_string().find("publish.rate_limit"),
                      std::string::npos);
        }
    }
    EXPECT_EQ(j["sent"].as_int(), 3);
    // The socket counts per connection: the same batch there fares alike.
    Json sock = ask(u, socket_batch(msgs));
    ASSERT_TRUE(sock["ok"].as_bool()) << u.error();
    EXPECT_EQ(same_results(j, sock), "");

    // Over the limit, every message of a batch is refused, and a single
    // publish gets 429.
    Json again =
        body_of(call(api, "POST", "/api/publish", batch_of({message("rl", 6), message("rl", 7)})));
    EXPECT_EQ(again["sent"].as_int(), 0);
    for (const Json& res : again["results"].items())
        EXPECT_EQ(res["error"]["code"].as_string(), "rate_limited");
    HttpResponse single = call(api, "POST", "/api/publish", message("rl", 8));
    EXPECT_EQ(refusal(single, 429, "rate_limited", "publisher_rate"), "");

    // The stream got the six that went (three by HTTP, three by the socket).
    ASSERT_TRUE(
        s.sse->read_until([&] { return s.sse->data_events().size() >= 6; }, Deadline(kIoTimeout)));
    EXPECT_EQ(data_of(*s.sse), (std::vector<std::string>{"0", "2", "3", "0", "2", "3"}));
}

TEST(HttpApi, EachMessageOfABatchPassesTheUserRateLimit) {
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 2, .config = "[publish]\nuser_rate_limit = { max = 2, window = \"1m\" }\n"}))
        << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    HttpClient api(d.port());
    // Users a1, a2 for HTTP; b1, b2 for the socket (the counts are per user).
    std::map<std::string, Stream> streams;
    for (const char* user : {"a1", "a2", "b1", "b2"})
        streams[user] = open_as(d.port(), "/api/sse/stream?channels=ur",
                                stream_token(u, std::string(R"("userId":")") + user + "\""));
    auto batch = [](const std::string& one, const std::string& two) {
        return std::vector<std::string>{
            message("ur", 0, R"("targetUsers":[")" + one + "\"]"),
            message("ur", 1, R"("targetUsers":[")" + one + "\"]"),
            message("ur", 2, R"("targetUsers":[")" + one + "\"]"),
            message("ur", 3, R"("targetUsers":[")" + one + R"(",")" + two + "\"]"),
            message("ur", 4),  // to all: no user's count
        };
    };
    HttpResponse r = call(api, "POST", "/api/publish", batch_of(batch("a1", "a2")));
    ASSERT_EQ(r.status, 200) << r.describe();
    Json j = body_of(r);
    ASSERT_EQ(j["results"].size(), 5u) << r.body;
    EXPECT_TRUE(j["results"][0]["ok"].as_bool());
    EXPECT_TRUE(j["results"][1]["ok"].as_bool());
    EXPECT_EQ(j["results"][2]["error"]["code"].as_string(), "rate_limited") << r.body;
    EXPECT_GT(j["results"][2]["error"]["retryAfterMs"].as_int(), 0);
    EXPECT_NE(j["results"][2]["error"]["message"].as_string().find("a1"), std::string::npos);
    EXPECT_TRUE(j["results"][3]["ok"].as_bool()) << "a2 is under its limit";
    EXPECT_EQ(j["results"][3]["sent"].as_int(), 1);
    ASSERT_EQ(j["results"][3]["limited"].size(), 1u) << r.body;
    EXPECT_EQ(j["results"][3]["limited"][0].as_string(), "a1");
    EXPECT_TRUE(j["results"][4]["ok"].as_bool());
    EXPECT_EQ(j["results"][4]["sent"].as_int(), 4);
    EXPECT_EQ(j["sent"].as_int(), 1 + 1 + 1 + 4);

    Json sock = ask(u, socket_batch(batch("b1", "b2")));
    ASSERT_TRUE(sock["ok"].as_bool()) << u.error();
    ASSERT_EQ(sock["results"].size(), 5u);
    EXPECT_EQ(sock["results"][2]["error"]["code"].as_string(), "rate_limited");
    EXPECT_EQ(sock["results"][3]["limited"][0].as_string(), "b1");
    EXPECT_EQ(sock["sent"].as_int(), j["sent"].as_int());
    // Same members everywhere (ids, messages and the limited names aside).
    for (size_t i = 0; i < 5; ++i) {
        std::vector<std::string> hk, sk;
        for (const auto& [k, v] : j["results"][i].members())
            hk.push_back(k);
        for (const auto& [k, v] : sock["results"][i].members())
            sk.push_back(k);
        EXPECT_EQ(hk, sk) << i;
    }

    // Each user got what was meant for it: a1 0, 1 and 4; a2 3 and 4.
    Json fence = ask(u, publish_line("\"f\"", "ur", "fence", "\"fence\""));
    ASSERT_EQ(fence["sent"].as_int(), 4);
    const std::map<std::string, std::vector<std::string>> want = {{"a1", {"0", "1", "4", "4"}},
                                                                  {"a2", {"3", "4", "4"}},
                                                                  {"b1", {"4", "0", "1", "4"}},
                                                                  {"b2", {"4", "3", "4"}}};
    for (auto& [user, s] : streams) {
        ASSERT_TRUE(s.sse->read_until(
            [&] {
                for (const SseEvent& e : s.sse->data_events())
                    if (e.type == "fence") return true;
                return false;
            },
            Deadline(kIoTimeout)));
        std::vector<std::string> got;
        for (const SseEvent& e : s.sse->data_events())
            if (e.type == "b") got.push_back(e.data);
        EXPECT_EQ(got, want.at(user)) << user;
    }
}

TEST(HttpApi, ABatchIsPublishedWholeWhenTheClientLeaves) {
    // The publisher limit on, so that each message asks the limiter (and the
    // batch takes a while); far above what the test publishes.
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 2, .config = "[publish]\nrate_limit = { max = 100000, window = \"1m\" }\n"}))
        << d.error();
    Stream s = open_as(d.port(), "/api/sse/stream?channels=gone");
    constexpr int kMessages = 400;
    auto batch = [&](int base) {
        std::vector<std::string> m;
        for (int i = 0; i < kMessages; ++i)
            m.push_back(message("gone", base + i));
        return build_request("POST", "/api/publish", batch_of(m),
                             {{"Authorization", "Bearer " + std::string(kTestApiKey)},
                              {"Content-Type", "application/json"}});
    };
    // Reset once the batch is under way (its first message arrived): no
    // answer can be delivered, and the rest must still go out.
    {
        TcpConnection c;
        ASSERT_TRUE(c.connect(d.port(), Deadline(kIoTimeout)));
        ASSERT_TRUE(c.send_all(batch(0), Deadline(kIoTimeout)));
        ASSERT_TRUE(
            s.sse->read_until([&] { return !s.sse->data_events().empty(); }, Deadline(kIoTimeout)));
        c.close_abortive();
    }
    // Half-closed after sending: the answer comes, then the end.
    {
        HttpClient c(d.port());
        ASSERT_TRUE(c.connect()) << c.error();
        ASSERT_TRUE(c.send(batch(kMessages)));
        c.conn().shutdown_write();
        auto r = c.read_response();
        ASSERT_TRUE(r) << c.error();
        EXPECT_EQ(r->status, 200);
        auto j = r->json();
        ASSERT_TRUE(j);
        EXPECT_EQ((*j)["results"].size(), size_t(kMessages));
        EXPECT_EQ((*j)["sent"].as_int(), kMessages);
        EXPECT_TRUE(c.await_close(Deadline(kIoTimeout)));
    }
    ASSERT_TRUE(s.sse->read_until([&] { return s.sse->data_events().size() >= 2 * kMessages; },
                                  Deadline(20s)))
        << s.sse->data_events().size() << " of " << 2 * kMessages;
    std::vector<std::string> got = data_of(*s.sse);
    ASSERT_EQ(got.size(), size_t(2 * kMessages));
    // Each batch whole and in its order (the two may interleave: the first may
    // still be under way when the second arrives).
    std::vector<int> first, second;
    for (const std::string& g : got)
        (std::stoi(g) < kMessages ? first : second).push_back(std::stoi(g));
    ASSERT_EQ(first.size(), size_t(kMessages));
    ASSERT_EQ(second.size(), size_t(kMessages));
    for (int i = 0; i < kMessages; ++i) {
        ASSERT_EQ(first[size_t(i)], i);
        ASSERT_EQ(second[size_t(i)], kMessages + i);
    }
    // The daemon is fine.
    HttpClient api(d.port());
    EXPECT_EQ(call(api, "GET", "/api/ping").status, 200);
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
                                           {"POST", "/api/users/u/", "GET"}}) {
        SCOPED_TRACE(std::string(c.method) + " " + c.path);
        HttpResponse r = call(api, c.method, c.path, "{}");
        EXPECT_EQ(check_json_error(r, 405, "method_not_allowed"), "");
        EXPECT_EQ(r.header("allow"), c.allow);
    }
    for (const char* path :
         {"/api/nothing", "/api/users", "/api/users/", "/api/users/a/b", "/api/connections",
          "/api/connections/", "/api/connections/c0-1/extra", "/api/pings", "/api/ping/x",
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

// Publish rate limits: publish.rate_limit per publisher (the
// API key or token subject over HTTP, the connection over the Unix socket) and
// publish.user_rate_limit per target user — the seeds' "5 per user per minute".
// Over HTTP a refusal is 429 with Retry-After; over the socket an error
// rate_limited with retryAfterMs. Users over their limit are left out of the
// event and listed in `limited`; every refusal is counted in stats.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "jwt_mint.h"
#include "publish_support.h"
#include "sse_fleet.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

using namespace std::chrono_literals;

constexpr char kSecret[] = "publish-limits-secret-0123456789abcdefXYZ";

const Headers& key_headers() {
    static const Headers h{{"X-API-Key", std::string(kTestApiKey)}};
    return h;
}

std::string users_body(const std::vector<std::string>& users, int n) {
    std::string list;
    for (const auto& u : users)
        list += (list.empty() ? "\"" : ",\"") + u + "\"";
    return "{\"channel\":\"c\",\"event\":\"e\",\"data\":" + std::to_string(n) +
           ",\"targetUsers\":[" + list + "]}";
}

std::string socket_line(std::string_view req, const std::string& body) {
    // {"op":"publish","req":R,<message fields>}
    return "{\"op\":\"publish\",\"req\":" + std::string(req) + "," + body.substr(1);
}

int64_t rate_limited_count(HttpClient& http) {
    auto s = fetch_stats(http, Deadline(kIoTimeout), key_headers());
    return s ? (*s)["refused"]["rateLimited"].as_int(-1) : -1;
}

// Opens a stream of `user` on channel c and awaits its connected event.
size_t open_user(SseFleet& fleet, const std::string& user) {
    TokenClaims claims;
    claims.sub = user;
    size_t i = fleet.add("/s?channels=c&token=" + mint_hs256(kSecret, claims.json()));
    fleet.run_until([&] { return fleet[i].connected.has_value() || fleet[i].ended; }, Deadline(5s));
    return i;
}

std::vector<std::string> limited_of(const Json& j) {
    std::vector<std::string> out;
    if (!j.has("limited")) return out;
    for (size_t i = 0; i < j["limited"].size(); ++i)
        out.push_back(j["limited"][i].as_string());
    return out;
}

TEST(PublishLimits, PerPublisherOverHttpIsExactAndRefusedWith429) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = "[publish]\nrate_limit = { max = 3, window = "
                                   "\"1m\" }\n"}))
        << d.error();
    HttpClient http(d.port());
    ASSERT_TRUE(http.connect());
    const int64_t before = rate_limited_count(http);
    for (int k = 0; k < 3; ++k) {
        // A fresh connection each time: lands on either shard, the count is one.
        HttpClient c(d.port());
        ASSERT_TRUE(c.connect());
        auto r = c.request("POST", "/api/publish",
                           R"({"channel":"c","event":"e","data":)" + std::to_string(k) + "}",
                           key_headers());
        ASSERT_TRUE(r) << c.error();
        EXPECT_EQ(r->status, 200) << r->describe();
    }
    auto over = http.request("POST", "/api/publish", R"({"channel":"c","event":"e","data":4})",
                             key_headers());
    ASSERT_TRUE(over) << http.error();
    EXPECT_EQ(check_json_error(*over, 429, "rate_limited"), "");
    EXPECT_EQ((*over->json())["error"]["reason"].as_string(), "publisher_rate") << over->body;
    auto retry = over->header("retry-after");
    ASSERT_TRUE(retry) << over->describe();
    EXPECT_GE(std::stoi(*retry), 1);
    EXPECT_LE(std::stoi(*retry), 60);
    // The connection stays usable; the stats count the refusal.
    EXPECT_EQ(rate_limited_count(http), before + 1);
}

TEST(PublishLimits, PerConnectionOverTheSocket) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = "[publish]\nrate_limit = { max = 3, window = "
                                   "\"1m\" }\n"}))
        << d.error();
    HttpClient http(d.port());
    ASSERT_TRUE(http.connect());
    const int64_t before = rate_limited_count(http);
    const std::string msg = R"({"channel":"c","event":"e","data":1})";
    UnixClient a;
    ASSERT_TRUE(a.connect(socket_path(d)));
    for (int k = 0; k < 3; ++k) {
        auto l = a.request(socket_line(std::to_string(k), msg));
        ASSERT_TRUE(l) << a.error();
        EXPECT_TRUE(parse_reply(*l)["ok"].as_bool()) << *l;
    }
    auto over = a.request(socket_line("9", msg));
    ASSERT_TRUE(over) << a.error();
    EXPECT_EQ(check_error_reply(*over, "9", "rate_limited"), "");
    int64_t retry = parse_reply(*over)["error"]["retryAfterMs"].as_int(-1);
    EXPECT_GT(retry, 0) << *over;
    EXPECT_LE(retry, 60000) << *over;
    // Fire-and-forget: the refusal is reported with its line.
    ASSERT_TRUE(a.send(msg.substr(0, msg.size() - 1) + ",\"op\":\"publish\"}\n"));
    auto line = a.read_line();
    ASSERT_TRUE(line) << a.error();
    EXPECT_EQ(check_error_reply(*line, "", "rate_limited", 5), "");

    // A second connection has its own count.
    UnixClient b;
    ASSERT_TRUE(b.connect(socket_path(d)));
    for (int k = 0; k < 3; ++k) {
        auto l = b.request(socket_line(std::to_string(k), msg));
        ASSERT_TRUE(l) << b.error();
        EXPECT_TRUE(parse_reply(*l)["ok"].as_bool()) << *l;
    }

    // A batch counts each message: on a third connection, 4 of which 1 is over.
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d)));
    auto batch = c.request(R"({"op":"publish","req":"b","messages":[)" + msg + "," + msg + "," +
                           msg + "," + msg + "]}");
    ASSERT_TRUE(batch) << c.error();
    Json j = parse_reply(*batch);
    ASSERT_EQ(j["results"].size(), 4u) << *batch;
    for (size_t i = 0; i < 3; ++i)
        EXPECT_TRUE(j["results"][i]["ok"].as_bool()) << *batch;
    EXPECT_FALSE(j["results"][3]["ok"].as_bool()) << *batch;
    EXPECT_EQ(j["results"][3]["error"]["code"].as_string(), "rate_limited") << *batch;
    EXPECT_GT(j["results"][3]["error"]["retryAfterMs"].as_int(-1), 0) << *batch;

    EXPECT_EQ(rate_limited_count(http), before + 3);
}

constexpr char kUserLimitConfig[] =
    "[auth]\nalgorithm = \"HS256\"\nsecret = \"publish-limits-secret-0123456789abcdefXYZ\"\n"
    "[publish]\nuser_rate_limit = { max = 5, window = \"1m\" }\n"
    "[[endpoint]]\npath = \"/s\"\n";

TEST(PublishLimits, FivePerUserPerMinuteOverHttp) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = kUserLimitConfig})) << d.error();
    SseFleet fleet(d.port());
    size_t u1 = open_user(fleet, "u1");
    size_t u2 = open_user(fleet, "u2");
    ASSERT_TRUE(fleet.all_connected()) << fleet.problems();
    HttpClient http(d.port());
    ASSERT_TRUE(http.connect());
    const int64_t before = rate_limited_count(http);
    for (int k = 1; k <= 5; ++k) {
        auto r = http.request("POST", "/api/publish", users_body({"u1"}, k), key_headers());
        ASSERT_TRUE(r) << http.error();
        ASSERT_EQ(r->status, 200) << r->describe();
        EXPECT_EQ((*r->json())["sent"].as_int(-1), 1) << r->body;
        EXPECT_FALSE(r->json()->has("limited")) << r->body;
    }
    // The 6th event to u1: u1 is left out, u2 still gets it.
    auto sixth = http.request("POST", "/api/publish", users_body({"u1", "u2"}, 6), key_headers());
    ASSERT_TRUE(sixth) << http.error();
    ASSERT_EQ(sixth->status, 200) << sixth->describe();
    EXPECT_EQ((*sixth->json())["sent"].as_int(-1), 1) << sixth->body;
    EXPECT_EQ(limited_of(*sixth->json()), std::vector<std::string>{"u1"}) << sixth->body;
    ASSERT_TRUE(fleet.run_until([&] { return fleet[u2].data_events().size() == 1; }, Deadline(5s)));
    EXPECT_EQ(fleet[u2].data_events()[0]->data, "6");
    // Every listed user over the limit: nothing is published.
    auto seventh = http.request("POST", "/api/publish", users_body({"u1"}, 7), key_headers());
    ASSERT_TRUE(seventh) << http.error();
    EXPECT_EQ(check_json_error(*seventh, 429, "rate_limited"), "");
    EXPECT_EQ((*seventh->json())["error"]["reason"].as_string(), "user_rate") << seventh->body;
    ASSERT_TRUE(seventh->header("retry-after")) << seventh->describe();
    EXPECT_GE(std::stoi(*seventh->header("retry-after")), 1);
    fleet.pump(50);
    EXPECT_EQ(fleet[u1].data_events().size(), 5u);
    EXPECT_EQ(rate_limited_count(http), before + 1);
}

TEST(PublishLimits, FivePerUserPerMinuteOverTheSocketAndInABatch) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = kUserLimitConfig})) << d.error();
    SseFleet fleet(d.port());
    size_t u1 = open_user(fleet, "u1");
    size_t u2 = open_user(fleet, "u2");
    ASSERT_TRUE(fleet.all_connected()) << fleet.problems();
    HttpClient http(d.port());
    ASSERT_TRUE(http.connect());
    const int64_t before = rate_limited_count(http);
    UnixClient s;
    ASSERT_TRUE(s.connect(socket_path(d)));
    // Five to u1, pipelined with a ping: replies stay in request order.
    std::string lines;
    for (int k = 1; k <= 5; ++k)
        lines += socket_line(std::to_string(k), users_body({"u1"}, k)) + "\n";
    lines += "{\"op\":\"ping\",\"req\":\"p\"}\n";
    lines += socket_line("6", users_body({"u1", "u2"}, 6)) + "\n";
    lines += socket_line("7", users_body({"u1"}, 7)) + "\n";
    auto replies = exchange(s, lines, 8, Deadline(5s));
    ASSERT_EQ(replies.size(), 8u) << s.error();
    for (int k = 0; k < 5; ++k) {
        Json j = parse_reply(replies[k]);
        EXPECT_EQ(j["req"].as_int(-1), k + 1) << replies[k];
        EXPECT_EQ(j["sent"].as_int(-1), 1) << replies[k];
        EXPECT_FALSE(j.has("limited")) << replies[k];
    }
    EXPECT_EQ(parse_reply(replies[5])["req"].as_string(), "p") << replies[5];
    Json sixth = parse_reply(replies[6]);
    EXPECT_EQ(sixth["req"].as_int(-1), 6) << replies[6];
    EXPECT_EQ(sixth["sent"].as_int(-1), 1) << replies[6];
    EXPECT_EQ(limited_of(sixth), std::vector<std::string>{"u1"}) << replies[6];
    EXPECT_EQ(check_error_reply(replies[7], "7", "rate_limited"), "");
    EXPECT_GT(parse_reply(replies[7])["error"]["retryAfterMs"].as_int(-1), 0) << replies[7];

    // A batch: u2 has had one; 4 more are allowed, the 5th message lists u2 as limited
    // and, aimed only at u2, is refused.
    std::string batch = R"({"op":"publish","req":"b","messages":[)";
    for (int k = 0; k < 4; ++k)
        batch += users_body({"u2"}, 10 + k) + ",";
    batch += users_body({"u2"}, 14) + "," + users_body({"u1", "u2"}, 15) + "]}";
    auto reply = s.request(batch);
    ASSERT_TRUE(reply) << s.error();
    Json b = parse_reply(*reply);
    ASSERT_EQ(b["results"].size(), 6u) << *reply;
    for (size_t i = 0; i < 4; ++i)
        EXPECT_TRUE(b["results"][i]["ok"].as_bool()) << *reply;
    for (size_t i = 4; i < 6; ++i) {
        EXPECT_FALSE(b["results"][i]["ok"].as_bool()) << *reply;
        EXPECT_EQ(b["results"][i]["error"]["code"].as_string(), "rate_limited") << *reply;
    }
    EXPECT_EQ(b["sent"].as_int(-1), 4) << *reply;

    ASSERT_TRUE(fleet.run_until([&] { return fleet[u2].data_events().size() == 5; }, Deadline(5s)));
    fleet.pump(50);
    EXPECT_EQ(fleet[u1].data_events().size(), 5u);
    EXPECT_EQ(fleet[u2].data_events().size(), 5u);
    EXPECT_EQ(rate_limited_count(http), before + 3);
}

}  // namespace
}  // namespace ringcast::itest

// Batches on POST /api/publish ({"messages": [...]}): one result per
// message, in order, with ids that follow the batch; each message through
// publish.rate_limit and publish.user_rate_limit on its own; the same results as
// the socket's publish op gives the same batch; and every message published
// even when the client goes away before the answer.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_api_support.h"
#include "http_client.h"
#include "json.h"
#include "keeps_support.h"
#include "publish_support.h"
#include "sse_client.h"
#include "tcp.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

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
    // At least one stream on each shard; more when the first ones land together.
    auto streams = open_on_both_shards(d.port(), "/api/sse/stream?channels=bt");
    ASSERT_GE(streams.size(), 2u);
    const int64_t n = int64_t(streams.size());

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
    EXPECT_EQ(j["results"][0]["sent"].as_int(), n);
    EXPECT_EQ(j["results"][4]["sent"].as_int(), 0);
    EXPECT_EQ(j["sent"].as_int(), 3 * n) << "n + n + 0 + n";
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

    // An empty batch publishes nothing, as on the socket; a repeated "messages"
    // counts once, with its first value, as every key does.
    HttpResponse empty = call(api, "POST", "/api/publish", R"({"messages":[]})");
    ASSERT_EQ(empty.status, 200) << empty.describe();
    EXPECT_EQ(empty.body, R"({"sent":0,"failed":0,"results":[]})");
    Json twice = body_of(call(api, "POST", "/api/publish",
                              R"({"messages":[)" + message("bt", 8) + R"(],"messages":5})"));
    EXPECT_EQ(twice["results"].size(), 1u);
    EXPECT_TRUE(twice["results"][0]["ok"].as_bool());

    // Not a batch: 400 invalid_field, nothing published.
    for (const std::string& body :
         {std::string(R"({"messages":{}})"), std::string(R"({"messages":5})"),
          std::string(R"({"messages":null})"),
          R"({"messages":[)" + message("bt", 9) + R"(],"channel":"bt"})",
          R"({"req":1,"messages":[)" + message("bt", 9) + "]}"}) {
        EXPECT_EQ(bad_request(call(api, "POST", "/api/publish", body), "invalid_field"), "")
            << body;
    }
    read_past_marker(api, *streams[0], "bt");
    EXPECT_EQ(before_marker(*streams[0]).size(), 7u) << "a refused batch published something";
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
        auto& sse = *s.sse;  // clang 14 lambdas cannot capture a structured binding
        ASSERT_TRUE(sse.read_until(
            [&] {
                for (const SseEvent& e : sse.data_events())
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

}  // namespace
}  // namespace ringcast::itest

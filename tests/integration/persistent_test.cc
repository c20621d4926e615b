// Persistent events and the cache through the real daemon:
// `persistent: true` events reach every new stream of their channel that they
// are meant for, before anything live, while their ttl lasts; the cache is
// bounded, counted (cacheSize) and invalidated per channel and per user, over
// HTTP and the Unix socket.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "keeps_support.h"
#include "publish_support.h"
#include "sse_client.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

std::string persistent(const std::string& channel, const std::string& data,
                       const std::string& more = {}) {
    return R"({"channel":")" + channel + R"(","event":"p","data":)" + data +
           R"(,"persistent":true)" + more + "}";
}

class Persistent : public ::testing::Test {
protected:
    void SetUp() override {
        DaemonOptions o;
        o.config = keeps_config();
        ASSERT_TRUE(_d.start(o)) << _d.error();
        _api = std::make_unique<HttpClient>(_d.port());
    }
    DaemonProcess _d;
    std::unique_ptr<HttpClient> _api;
};

TEST_F(Persistent, NewStreamsOnEveryShardGetCachedEventsFirstThenLive) {
    publish_json(*_api, persistent("c", "1"));
    publish_json(*_api, R"({"channel":"c","event":"p","data":2})");  // not persistent
    publish_json(*_api, persistent("c", "3"));
    publish_json(*_api, persistent("other", "4"));
    auto streams = open_on_both_shards(_d.port(), stream_target("c"), 2);
    for (auto& s : streams) {
        auto j = Json::parse(s->events()[0].event.data);
        EXPECT_TRUE((*j)["cacheEnabled"].as_bool());
    }
    for (auto& s : streams)
        read_past_marker(*_api, *s, "c");
    for (auto& s : streams)
        EXPECT_EQ(before_marker(*s), (std::vector<std::string>{"1", "3"})) << s->raw_body();
    Json stats = *fetch_stats(*_api);
    EXPECT_EQ(stats["cacheSize"].as_int(), 3);
    EXPECT_EQ(stats["cache"]["channels"].as_int(), 2);
}

TEST_F(Persistent, TargetingAppliesToCachedEvents) {
    publish_json(*_api, persistent("c", R"("for-42")", R"(,"targetUsers":["42"])"));
    publish_json(*_api, persistent("c", R"("authenticated")", R"(,"target":"authenticated")"));
    publish_json(*_api, persistent("c", R"("all-but-42")", R"(,"excludeUsers":["42"])"));
    struct Case {
        std::string user;
        std::vector<std::string> want;
    };
    for (const Case& k :
         {Case{"42", {R"("for-42")", R"("authenticated")"}},
          Case{"7", {R"("authenticated")", R"("all-but-42")"}}, Case{"", {R"("all-but-42")"}}}) {
        for (auto& s : open_on_both_shards(_d.port(), stream_target("c", k.user))) {
            read_past_marker(*_api, *s, "c");
            EXPECT_EQ(before_marker(*s), k.want) << "user " << k.user << ": " << s->raw_body();
        }
    }
}

TEST_F(Persistent, AnExpiredEventLeavesTheCacheAndIsNeverGivenOut) {
    // ttl counts from the message's timestamp: this one expires about a second
    // from now, whatever the machine's speed up to here.
    const int64_t stamp = wall_now_ms() - 9000;
    publish_json(
        *_api, persistent("c", R"("short")", R"(,"ttl":10,"timestamp":)" + std::to_string(stamp)));
    publish_json(*_api, persistent("c", R"("long")"));
    auto early = open_stream(_d.port(), stream_target("c"));
    read_past_marker(*_api, *early, "c");
    const std::vector<std::string> first = before_marker(*early);
    if (wall_now_ms() < stamp + 10'000) {
        EXPECT_EQ(first, (std::vector<std::string>{R"("short")", R"("long")"}))
            << early->raw_body();
    }
    // The sweep (once a second) takes it out.
    ASSERT_TRUE(await_stats(
        *_api, [](const Json& s) { return s["cache"]["expired"].as_int() == 1; },
        Deadline(std::chrono::seconds(5))));
    for (auto& s : open_on_both_shards(_d.port(), stream_target("c"))) {
        read_past_marker(*_api, *s, "c");
        EXPECT_EQ(before_marker(*s), (std::vector<std::string>{R"("long")"})) << s->raw_body();
    }
    EXPECT_EQ((*fetch_stats(*_api))["cacheSize"].as_int(), 1);
}

TEST_F(Persistent, InvalidateByChannelOverHttpAndByUserOverTheSocket) {
    publish_json(*_api, persistent("a", R"("a1")"));
    publish_json(*_api, persistent("a", R"("a2")"));
    publish_json(*_api, persistent("b", R"("b-42")", R"(,"targetUsers":["42"])"));
    publish_json(*_api, persistent("b", R"("b-7")", R"(,"targetUsers":["7"])"));
    publish_json(*_api, persistent("b", R"("b-all")"));

    Json r = post_json(*_api, "/api/invalidate", R"({"channels":["a"]})");
    EXPECT_EQ(r["removed"].as_int(), 2);
    {
        auto s = open_stream(_d.port(), stream_target("a"));
        read_past_marker(*_api, *s, "a");
        EXPECT_TRUE(before_marker(*s).empty()) << s->raw_body();
    }

    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(_d))) << u.error();
    auto reply = u.request(R"({"op":"invalidate","req":1,"users":[42]})");
    ASSERT_TRUE(reply) << u.error();
    EXPECT_EQ(*reply, R"({"req":1,"ok":true,"removed":1})");
    for (auto [user, want] :
         {std::pair<std::string, std::vector<std::string>>{"42", {R"("b-all")"}},
          {"7", {R"("b-7")", R"("b-all")"}}}) {
        auto s = open_stream(_d.port(), stream_target("b", user));
        read_past_marker(*_api, *s, "b");
        EXPECT_EQ(before_marker(*s), want) << "user " << user << ": " << s->raw_body();
    }
    Json stats = *fetch_stats(*_api);
    EXPECT_EQ(stats["cacheSize"].as_int(), 2);
    EXPECT_EQ(stats["cache"]["invalidated"].as_int(), 3);

    // Both: only that user's events on those channels; nothing matches here.
    reply = u.request(R"({"op":"invalidate","req":2,"channels":["a","b"],"users":["nobody"]})");
    ASSERT_TRUE(reply);
    EXPECT_EQ(*reply, R"({"req":2,"ok":true,"removed":0})");
}

TEST_F(Persistent, InvalidateRefusesWhatItCannotRead) {
    ASSERT_TRUE(_api->connect()) << _api->error();
    for (const char* body :
         {"{}", R"({"channels":[]})", R"({"channels":"a"})", R"({"channels":["bad name"]})",
          R"({"users":[""]})", R"({"channel":["a"]})", "[1]", "not json"}) {
        auto r = _api->request("POST", "/api/invalidate", body);
        ASSERT_TRUE(r) << _api->error();
        EXPECT_EQ(check_json_error(*r, 400, "bad_request"), "") << body << ": " << r->describe();
    }
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(_d))) << u.error();
    auto reply = u.request(R"({"op":"invalidate","req":3})");
    ASSERT_TRUE(reply);
    EXPECT_EQ(check_error_reply(*reply, "3", "invalid_field"), "") << *reply;
    // Without credentials the HTTP API refuses, as for publishing.
    auto r =
        _api->request("POST", "/api/invalidate", R"({"channels":["a"]})", {{"X-API-Key", "wrong"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << r->describe();
}

// Events published while streams keep opening, every other one persistent:
// every stream gets every persistent event exactly once (from the cache or
// live), and of the others an unbroken run up to the last, with no event twice
// and ids increasing. A hole would be an event lost at the seam between the
// cache's answer and the live stream.
TEST(PersistentSeam, EveryStreamGetsEveryEventOnceWhileTheyArePublished) {
    DaemonProcess d;
    DaemonOptions o;
    o.config = keeps_config("[cache]\nmax_events = 10000\n");
    ASSERT_TRUE(d.start(o)) << d.error();
    constexpr int kEvents = 2000;
    std::atomic<int> published{0};
    std::string error;
    std::thread publisher([&] {
        UnixClient u;
        if (!u.connect(socket_path(d))) {
            error = u.error();
            return;
        }
        // Pipelined in batches, so that the log is numbering all along while
        // streams open (and some open in the middle of a batch).
        constexpr int kBatch = 100;
        for (int n = 1; n <= kEvents && error.empty(); n += kBatch) {
            std::vector<std::string> lines;
            for (int k = n; k < n + kBatch; ++k)
                lines.push_back(
                    publish_line(std::to_string(k), "seam", "p", std::to_string(k),
                                 k % 2 ? R"("persistent":true)" : R"("persistent":false)"));
            error = publish_pipelined(u, lines);
            published = n + kBatch - 1;
        }
    });
    std::vector<std::unique_ptr<SseClient>> streams;
    while (published.load() < kEvents && streams.size() < 200)
        streams.push_back(open_stream(d.port(), stream_target("seam")));
    publisher.join();
    ASSERT_EQ(error, "");
    ASSERT_GE(streams.size(), 10u) << "too few streams opened while publishing to test the seam";
    // A last event that every stream must get marks the end of everything.
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect());
    ASSERT_FALSE(publish_json(api, R"({"channel":"seam","event":"p","data":0})").empty());
    for (auto& s : streams) {
        s->read_until(
            [&] {
                auto got = s->data_events();
                return !got.empty() && got.back().data == "0";
            },
            Deadline(kIoTimeout));
        std::vector<int> got;
        for (const std::string& d : data_of(*s))
            got.push_back(std::stoi(d));
        const std::string who = s->events()[0].event.data;
        ASSERT_FALSE(got.empty()) << who;
        ASSERT_EQ(got.back(), 0) << who << ": the last event did not arrive";
        got.pop_back();
        // Persistent (odd) ones: all of them, in order.
        std::vector<int> odd, even;
        for (int n : got)
            (n % 2 ? odd : even).push_back(n);
        ASSERT_EQ(odd.size(), size_t(kEvents / 2)) << who;
        for (size_t i = 0; i < odd.size(); ++i)
            ASSERT_EQ(odd[i], int(2 * i + 1)) << who;
        // The others: those published after the stream opened, so one
        // unbroken run up to the last one (none for a stream opened later).
        for (size_t i = 1; i < even.size(); ++i)
            ASSERT_EQ(even[i], even[i - 1] + 2) << who << ": an event lost at the seam";
        if (!even.empty()) {
            EXPECT_EQ(even.back(), kEvents) << who;
        }
        // Everything in publish order, once.
        for (size_t i = 1; i < got.size(); ++i)
            ASSERT_LT(got[i - 1], got[i]) << who;
    }
}

}  // namespace
}  // namespace ringcast::itest

// Retryable events and mailboxes through the real daemon: a
// `retryable: true` user-specific event that reaches none of a target user's
// streams waits in that user's mailbox and goes to the user's next stream on
// its channel, before anything live; bounded, with a ttl; exactly once even
// while the user keeps reconnecting.
#include <atomic>
#include <map>
#include <memory>
#include <random>
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

std::string retryable(const std::string& channel, const std::string& users, const std::string& data,
                      const std::string& more = {}) {
    return R"({"channel":")" + channel + R"(","event":"mail","data":)" + data +
           R"(,"targetUsers":)" + users + R"(,"retryable":true)" + more + "}";
}

class Mailbox : public ::testing::Test {
protected:
    void start(const std::string& extra = {}) {
        DaemonOptions o;
        o.config = keeps_config(extra);
        ASSERT_TRUE(_d.start(o)) << _d.error();
        _api = std::make_unique<HttpClient>(_d.port());
        ASSERT_TRUE(_api->connect()) << _api->error();
    }
    Json stats() { return *fetch_stats(*_api); }
    DaemonProcess _d;
    std::unique_ptr<HttpClient> _api;
};

TEST_F(Mailbox, AnOfflineUserGetsItsMailFirstWhenItConnects) {
    start();
    Json r = post_json(*_api, "/api/publish", retryable("n", R"(["42"])", R"("while away")"));
    EXPECT_EQ(r["sent"].as_int(), 0);
    EXPECT_EQ(stats()["mailboxes"]["events"].as_int(), 1);
    // On both shards: the first stream of 42 on "n" gets it, before the live marker.
    auto streams = open_on_both_shards(_d.port(), stream_target("n", "42"));
    ASSERT_GE(streams.size(), 2u);
    read_past_marker(*_api, *streams[0], "n");
    EXPECT_EQ(before_marker(*streams[0]), (std::vector<std::string>{R"("while away")"}))
        << streams[0]->raw_body();
    for (size_t i = 1; i < streams.size(); ++i) {
        read_past_marker(*_api, *streams[i], "n");
        EXPECT_TRUE(before_marker(*streams[i]).empty())
            << "mail is delivered once: " << streams[i]->raw_body();
    }
    Json s = stats();
    EXPECT_EQ(s["mailboxes"]["mailed"].as_int(), 1);
    EXPECT_EQ(s["mailboxes"]["delivered"].as_int(), 1);
    EXPECT_EQ(s["mailboxes"]["events"].as_int(), 0);
}

TEST_F(Mailbox, WhatReachedTheUserLiveIsNotMailed) {
    start();
    auto live = open_stream(_d.port(), stream_target("n", "42"));
    Json r = post_json(*_api, "/api/publish", retryable("n", R"(["42"])", R"("live")"));
    EXPECT_EQ(r["sent"].as_int(), 1);
    read_past_marker(*_api, *live, "n");
    EXPECT_EQ(before_marker(*live), (std::vector<std::string>{R"("live")"}));
    auto later = open_stream(_d.port(), stream_target("n", "42"));
    read_past_marker(*_api, *later, "n");
    EXPECT_TRUE(before_marker(*later).empty()) << later->raw_body();
    EXPECT_EQ(stats()["mailboxes"]["mailed"].as_int(), 0);
}

TEST_F(Mailbox, AUserOnlineOnOtherChannelsGetsItOnTheEventsChannel) {
    start();
    auto elsewhere = open_stream(_d.port(), stream_target("other", "42"));
    post_json(*_api, "/api/publish", retryable("n", R"(["42"])", R"("for n")"));
    auto again = open_stream(_d.port(), stream_target("other", "42"));
    read_past_marker(*_api, *again, "other");
    EXPECT_TRUE(before_marker(*again).empty()) << "mail goes to a stream of its channel";
    auto on_n = open_stream(_d.port(), stream_target("n,other", "42"));
    read_past_marker(*_api, *on_n, "n");
    EXPECT_EQ(before_marker(*on_n), (std::vector<std::string>{R"("for n")"}));
}

TEST_F(Mailbox, OnlyTheUsersNobodyReachedGetMail) {
    start();
    auto s42 = open_stream(_d.port(), stream_target("n", "42"));
    post_json(*_api, "/api/publish",
              retryable("n", R"(["42", 7, "9"])", R"("x")", R"(,"excludeUsers":["9"])"));
    // Mail is decided once every shard has reported, which may follow the reply.
    EXPECT_TRUE(await_stats(
        *_api, [](const Json& st) { return st["mailboxes"]["pending"].as_int(-1) == 0; },
        Deadline(kIoTimeout)));
    EXPECT_EQ(stats()["mailboxes"]["events"].as_int(), 1) << "7 only (9 is excluded)";
    auto s7 = open_stream(_d.port(), stream_target("n", "7"));
    auto s9 = open_stream(_d.port(), stream_target("n", "9"));
    auto again42 = open_stream(_d.port(), stream_target("n", "42"));
    for (auto* s : {s7.get(), s9.get(), again42.get()})
        read_past_marker(*_api, *s, "n");
    EXPECT_EQ(before_marker(*s7), (std::vector<std::string>{R"("x")"}));
    EXPECT_TRUE(before_marker(*s9).empty());
    EXPECT_TRUE(before_marker(*again42).empty());
}

TEST_F(Mailbox, EventsThatAreNotRetryableOrNotForUsersAreNotMailed) {
    start();
    post_json(*_api, "/api/publish",
              R"({"channel":"n","event":"e","data":1,"targetUsers":["42"]})");
    post_json(*_api, "/api/publish", R"({"channel":"n","event":"e","data":2,"retryable":true})");
    post_json(*_api, "/api/publish",
              R"({"channel":"n","event":"e","data":3,"retryable":true,"target":"authenticated"})");
    EXPECT_EQ(stats()["mailboxes"]["mailed"].as_int(), 0);
    auto s = open_stream(_d.port(), stream_target("n", "42"));
    read_past_marker(*_api, *s, "n");
    EXPECT_TRUE(before_marker(*s).empty()) << s->raw_body();
}

TEST_F(Mailbox, BoundedPerUserOldestFirst) {
    start("[mailbox]\nmax_events = 2\n");
    for (const char* d : {"1", "2", "3"})
        post_json(*_api, "/api/publish", retryable("n", R"(["42"])", d));
    Json s = stats();
    EXPECT_EQ(s["mailboxes"]["events"].as_int(), 2);
    EXPECT_EQ(s["mailboxes"]["evicted"].as_int(), 1);
    auto st = open_stream(_d.port(), stream_target("n", "42"));
    read_past_marker(*_api, *st, "n");
    EXPECT_EQ(before_marker(*st), (std::vector<std::string>{"2", "3"}));
}

TEST_F(Mailbox, ExpiredMailIsNeverDelivered) {
    start();
    const int64_t stamp = wall_now_ms() - 9000;  // the ttl ends about a second from now
    post_json(*_api, "/api/publish",
              retryable("n", R"(["42"])", R"("short")",
                        R"(,"ttl":10,"timestamp":)" + std::to_string(stamp)));
    post_json(*_api, "/api/publish", retryable("n", R"(["42"])", R"("long")"));
    ASSERT_TRUE(await_stats(
        *_api, [](const Json& s) { return s["mailboxes"]["expired"].as_int() == 1; },
        Deadline(std::chrono::seconds(5))));
    auto st = open_stream(_d.port(), stream_target("n", "42"));
    read_past_marker(*_api, *st, "n");
    EXPECT_EQ(before_marker(*st), (std::vector<std::string>{R"("long")"}));
}

TEST_F(Mailbox, DisabledWithZeroEvents) {
    start("[mailbox]\nmax_events = 0\n");
    post_json(*_api, "/api/publish", retryable("n", R"(["42"])", "1"));
    auto st = open_stream(_d.port(), stream_target("n", "42"));
    read_past_marker(*_api, *st, "n");
    EXPECT_TRUE(before_marker(*st).empty());
    EXPECT_EQ(stats()["mailboxes"]["mailed"].as_int(), 0);
}

// Retryable events for one user while its client keeps dropping and coming back
// (with Last-Event-ID, as a browser does, and sometimes after a pause in which
// nothing of it is connected): every event reaches it exactly once, whether
// live, from history or from its mailbox, and each connection gets its events
// in order. (A client drops only once it has an id to come back with: one that
// has received nothing cannot resume, and what reached its dead connection is
// gone, as for any event.)
TEST(MailboxUnderReconnects, EveryEventArrivesExactlyOnce) {
    DaemonProcess d;
    DaemonOptions o;
    o.config = keeps_config("[history]\nmax_events = 100000\n");
    ASSERT_TRUE(d.start(o)) << d.error();
    constexpr int kEvents = 1500;
    const std::string target = stream_target("inbox", "42");
    std::atomic<bool> done{false};
    std::atomic<int> passes{0};  // of the client's loop: the publisher keeps pace with it
    std::string error;
    std::thread publisher([&] {
        UnixClient u;
        if (!u.connect(socket_path(d))) {
            error = u.error();
            done = true;
            return;
        }
        constexpr int kBatch = 20;
        int batch_no = 0;
        for (int n = 1; n <= kEvents && error.empty(); n += kBatch) {
            Deadline pace(kIoTimeout);
            while (passes.load() < batch_no && !pace.expired())
                std::this_thread::yield();
            ++batch_no;
            std::vector<std::string> lines;
            for (int k = n; k < n + kBatch; ++k)
                lines.push_back(publish_line(std::to_string(k), "inbox", "mail", std::to_string(k),
                                             R"("targetUsers":["42"],"retryable":true)"));
            error = publish_pipelined(u, lines);
        }
        done = true;
    });
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    std::mt19937 rng(4242);
    std::vector<int> got;
    std::string last_id;
    unsigned reconnects = 0, absences = 0;
    auto take = [&](SseClient& s) {
        int prev = 0;
        for (const SseEvent& e : s.data_events()) {
            got.push_back(std::stoi(e.data));
            EXPECT_GT(got.back(), prev) << "out of order within one connection";
            prev = got.back();
        }
        if (!s.parser().last_event_id().empty()) last_id = s.parser().last_event_id();
    };
    std::unique_ptr<SseClient> s;
    while (!done) {
        if (!s) {
            Headers h;
            if (!last_id.empty()) h.push_back({"Last-Event-ID", last_id});
            s = std::make_unique<SseClient>();
            ASSERT_TRUE(s->open(d.port(), target, Deadline(kIoTimeout), h)) << s->error();
            ++reconnects;
        }
        s->read_available();
        if (s->parser().last_event_id().empty() && last_id.empty())
            continue;  // nothing to come back with yet (the publisher waits for us)
        switch (rng() % 8) {
            case 0:
            case 1:  // drops, comes back at once
                take(*s);
                s.reset();
                break;
            case 2:  // drops, and is away until the daemon has seen it go
                take(*s);
                s.reset();
                ++absences;
                ASSERT_TRUE(await_stats(
                    api, [](const Json& st) { return !st["connectionsByUser"].has("42"); },
                    Deadline(kIoTimeout)));
                break;
            default: break;
        }
        ++passes;
    }
    publisher.join();
    ASSERT_EQ(error, "");
    if (!s) {
        Headers h;
        if (!last_id.empty()) h.push_back({"Last-Event-ID", last_id});
        s = std::make_unique<SseClient>();
        ASSERT_TRUE(s->open(d.port(), target, Deadline(kIoTimeout), h)) << s->error();
    }
    const size_t before = got.size();
    s->read_until(
        [&] {
            return before + s->data_events().size() >= size_t(kEvents) &&
                   !s->data_events().empty() &&
                   s->data_events().back().data == std::to_string(kEvents);
        },
        Deadline(kIoTimeout));
    take(*s);
    EXPECT_GE(reconnects, 10u) << "too few reconnects to test anything";
    EXPECT_GT((*fetch_stats(api))["mailboxes"]["mailed"].as_int(), 0)
        << "nothing was mailed: the absences tested nothing";
    std::string missing;
    {
        std::vector<int> seen(kEvents + 1, 0);
        for (int n : got)
            if (n >= 1 && n <= kEvents) ++seen[size_t(n)];
        for (int n = 1; n <= kEvents; ++n)
            if (seen[size_t(n)] != 1)
                missing += " " + std::to_string(n) + "x" + std::to_string(seen[size_t(n)]);
        if (missing.size() > 400) missing.resize(400);
    }
    EXPECT_EQ(missing, "") << "reconnects " << reconnects << ", absences " << absences;
    EXPECT_EQ(got.size(), size_t(kEvents));
}

}  // namespace
}  // namespace ringcast::itest

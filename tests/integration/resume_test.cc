// Last-Event-ID resume through the real daemon: a stream that
// comes back with the id of the last event it saw gets exactly what its channels
// had meanwhile, in order, then the live stream; an id the daemon cannot place
// gets a `refresh` event with {"reason":"history-gap"} instead of silence.
#include <algorithm>
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
#include "json.h"
#include "publish_support.h"
#include "sse_client.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

// "<epoch>-<n>" -> n (0 for anything else).
uint64_t seq_of(const std::string& id) {
    size_t dash = id.rfind('-');
    if (dash == std::string::npos) return 0;
    return std::strtoull(id.c_str() + dash + 1, nullptr, 10);
}

std::string publish_or_fail(HttpClient& api, const std::string& channel, const std::string& data) {
    if (!api.connected()) {
        EXPECT_TRUE(api.connect()) << api.error();
    }
    auto r = publish(api, channel, "e", data);
    EXPECT_TRUE(r && r->response.status == 200) << (r ? r->response.describe() : api.error());
    return r ? r->id : "";
}

class Resume : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(_d.start(_opts)) << _d.error(); }
    DaemonOptions _opts;
    DaemonProcess _d;
};

TEST_F(Resume, MissedEventsOfEveryChannelInOrderThenLive) {
    HttpClient api(_d.port());
    SseClient s;
    ASSERT_TRUE(s.open(_d.port(), "/api/sse/stream?channels=a,b")) << s.error();
    ASSERT_EQ(s.status(), 200);
    publish_or_fail(api, "a", R"({"n":1})");
    publish_or_fail(api, "b", R"({"n":2})");
    ASSERT_TRUE(s.await_events(3, Deadline(kIoTimeout)));
    const std::string seen = s.parser().last_event_id();
    ASSERT_EQ(seq_of(seen), 2u) << seen;

    SseClient gone = std::move(s);  // the client is offline from here
    std::vector<std::string> missed;
    missed.push_back(publish_or_fail(api, "b", R"({"n":3})"));
    publish_or_fail(api, "c", R"({"n":4})");  // not one of its channels
    missed.push_back(publish_or_fail(api, "a", R"({"n":5})"));

    SseClient back;
    ASSERT_TRUE(back.open(_d.port(), "/api/sse/stream?channels=a,b", Deadline(kIoTimeout),
                          {{"Last-Event-ID", seen}}))
        << back.error();
    ASSERT_TRUE(back.await_events(3, Deadline(kIoTimeout)));  // connected + the two missed
    std::string live = publish_or_fail(api, "b", R"({"n":6})");
    ASSERT_TRUE(back.await_events(4, Deadline(kIoTimeout)));
    std::vector<SseEvent> got = back.data_events();
    ASSERT_EQ(got.size(), 3u) << back.raw_body();
    EXPECT_EQ(got[0].data, R"({"n":3})");
    EXPECT_EQ(got[0].last_event_id, missed[0]);
    EXPECT_EQ(got[1].data, R"({"n":5})");
    EXPECT_EQ(got[1].last_event_id, missed[1]);
    EXPECT_EQ(got[2].data, R"({"n":6})");
    EXPECT_EQ(got[2].last_event_id, live);
    EXPECT_EQ(back.raw_body().find("refresh"), std::string::npos);
}

TEST_F(Resume, QueryParameterForClientsThatCannotSetHeaders) {
    HttpClient api(_d.port());
    std::string first = publish_or_fail(api, "a", R"({"n":1})");
    std::string second = publish_or_fail(api, "a", R"({"n":2})");
    SseClient s;
    ASSERT_TRUE(s.open(_d.port(), "/api/sse/stream?channels=a&lastEventId=" + first)) << s.error();
    ASSERT_TRUE(s.await_events(2, Deadline(kIoTimeout)));
    std::vector<SseEvent> got = s.data_events();
    ASSERT_EQ(got.size(), 1u) << s.raw_body();
    EXPECT_EQ(got[0].last_event_id, second);
}

TEST_F(Resume, AfterTheLastEventNothingIsReplayedAndTheIdMovesToTheLogsPosition) {
    HttpClient api(_d.port());
    std::string mine = publish_or_fail(api, "a", R"({"n":1})");
    std::string other = publish_or_fail(api, "z", R"({"n":2})");
    SseClient s;
    ASSERT_TRUE(s.open(_d.port(), "/api/sse/stream?channels=a", Deadline(kIoTimeout),
                       {{"Last-Event-ID", mine}}));
    // The id-only block dispatches nothing but moves the stream's last id.
    ASSERT_TRUE(
        s.read_until([&] { return s.parser().last_event_id() == other; }, Deadline(kIoTimeout)))
        << s.raw_body();
    EXPECT_TRUE(s.data_events().empty()) << s.raw_body();
}

// catchUp.streams counts the streams that got something before going live
// (events, or a history-gap refresh), not every stream: one owed nothing gets
// only the id-only block. catchUp.resumes counts every Last-Event-ID.
TEST_F(Resume, CatchUpCountsTheStreamsThatGotSomething) {
    HttpClient api(_d.port());
    std::string first = publish_or_fail(api, "a", R"({"n":1})");
    std::string second = publish_or_fail(api, "a", R"({"n":2})");
    auto counters = [&] {
        auto s = fetch_stats(api);
        EXPECT_TRUE(s) << api.error();
        return s ? (*s)["catchUp"] : Json();
    };
    // Live on `a` means caught up: the stats then count what it got.
    auto await_live = [&](int64_t n) {
        return await_stats(
            api, [&](const Json& s) { return s["channels"]["a"]["connections"].as_int(0) >= n; },
            Deadline(kIoTimeout));
    };
    const Json before = counters();

    SseClient fresh, current;
    ASSERT_TRUE(fresh.open(_d.port(), "/api/sse/stream?channels=a")) << fresh.error();
    ASSERT_TRUE(current.open(_d.port(), "/api/sse/stream?channels=a", Deadline(kIoTimeout),
                             {{"Last-Event-ID", second}}))
        << current.error();
    ASSERT_TRUE(await_live(2));
    const Json owed_nothing = counters();
    EXPECT_EQ(owed_nothing["streams"].as_int(), before["streams"].as_int())
        << "a new stream and an up-to-date resume got nothing before going live";
    EXPECT_EQ(owed_nothing["resumes"].as_int(), before["resumes"].as_int() + 1);
    EXPECT_EQ(owed_nothing["replayed"].as_int(), before["replayed"].as_int());

    SseClient behind, lost;
    ASSERT_TRUE(behind.open(_d.port(), "/api/sse/stream?channels=a", Deadline(kIoTimeout),
                            {{"Last-Event-ID", first}}))
        << behind.error();
    ASSERT_TRUE(lost.open(_d.port(), "/api/sse/stream?channels=a", Deadline(kIoTimeout),
                          {{"Last-Event-ID", "zzzzzzzz-7"}}))
        << lost.error();
    ASSERT_TRUE(await_live(4));
    const Json owed = counters();
    EXPECT_EQ(owed["streams"].as_int(), before["streams"].as_int() + 2)
        << "one got the event it missed, one a history-gap refresh";
    EXPECT_EQ(owed["resumes"].as_int(), before["resumes"].as_int() + 3);
    EXPECT_EQ(owed["gaps"].as_int(), before["gaps"].as_int() + 1);
    EXPECT_EQ(owed["replayed"].as_int(), before["replayed"].as_int() + 1);
}

TEST_F(Resume, AnIdFromAnotherNumberingIsAHistoryGap) {
    HttpClient api(_d.port());
    publish_or_fail(api, "a", R"({"n":1})");
    for (std::string id : {"0-1", "zzzzzz-5", "not-an-id", "999999999999"}) {
        SseClient s;
        ASSERT_TRUE(s.open(_d.port(), "/api/sse/stream?channels=a", Deadline(kIoTimeout),
                           {{"Last-Event-ID", id}}));
        ASSERT_TRUE(s.await_events(2, Deadline(kIoTimeout))) << id;
        const SseEvent& e = s.events()[1].event;
        EXPECT_EQ(e.type, "refresh") << id;
        EXPECT_EQ(e.data, R"({"reason":"history-gap"})") << id;
        // Live events still follow.
        std::string live = publish_or_fail(api, "a", R"({"n":2})");
        ASSERT_TRUE(
            s.read_until([&] { return s.data_events().size() >= 2; }, Deadline(kIoTimeout)));
        EXPECT_EQ(s.data_events().back().last_event_id, live);
    }
}

// An event whose ttl has passed is never replayed: the sweep takes it out of
// history within a second, and a resume after that gets what followed it.
// Every stream learns the log's position right after `connected` (an id-only
// block), so a client that drops before its first event still resumes exactly.
TEST_F(Resume, AStreamThatGotNothingYetStillResumesExactly) {
    HttpClient api(_d.port());
    const std::string before = publish_or_fail(api, "other", R"({"n":1})");
    std::string position;
    {
        SseClient s;
        ASSERT_TRUE(s.open(_d.port(), "/api/sse/stream?channels=a")) << s.error();
        ASSERT_TRUE(
            s.read_until([&] { return !s.parser().last_event_id().empty(); }, Deadline(kIoTimeout)))
            << s.raw_body();
        position = s.parser().last_event_id();
        EXPECT_EQ(position, before) << "the log's last id when the stream opened";
        EXPECT_TRUE(s.data_events().empty());
    }  // gone before any event of its own
    const std::string missed = publish_or_fail(api, "a", R"({"n":2})");
    SseClient back;
    ASSERT_TRUE(back.open(_d.port(), "/api/sse/stream?channels=a", Deadline(kIoTimeout),
                          {{"Last-Event-ID", position}}));
    ASSERT_TRUE(back.read_until([&] { return back.parser().last_event_id() == missed; },
                                Deadline(kIoTimeout)));
    ASSERT_EQ(back.data_events().size(), 1u) << back.raw_body();
    EXPECT_EQ(back.data_events()[0].data, R"({"n":2})");
}

TEST_F(Resume, ExpiredEventsAreNotReplayed) {
    HttpClient api(_d.port());
    const std::string first = publish_or_fail(api, "a", R"({"n":1})");
    // ttl counts from the timestamp: this one ends about a second from now.
    const int64_t stamp = wall_now_ms() - 9000;
    auto r = api.request("POST", "/api/publish",
                         R"({"channel":"a","event":"e","data":{"n":2},"ttl":10,"timestamp":)" +
                             std::to_string(stamp) + "}");
    ASSERT_TRUE(r && r->status == 200) << (r ? r->describe() : api.error());
    const std::string third = publish_or_fail(api, "a", R"({"n":3})");
    ASSERT_TRUE(await_stats(
        api, [](const Json& s) { return s["history"]["expired"].as_int() == 1; },
        Deadline(std::chrono::seconds(5))));
    SseClient s;
    ASSERT_TRUE(s.open(_d.port(), "/api/sse/stream?channels=a", Deadline(kIoTimeout),
                       {{"Last-Event-ID", first}}));
    ASSERT_TRUE(
        s.read_until([&] { return s.parser().last_event_id() == third; }, Deadline(kIoTimeout)));
    std::vector<SseEvent> got = s.data_events();
    ASSERT_EQ(got.size(), 1u) << s.raw_body();
    EXPECT_EQ(got[0].data, R"({"n":3})");
}

TEST(ResumeHistory, BeyondTheKeptHistoryTheGapIsToldThenWhatIsKept) {
    DaemonProcess d;
    DaemonOptions o;
    o.config = "[history]\nmax_events = 3\n";
    ASSERT_TRUE(d.start(o)) << d.error();
    HttpClient api(d.port());
    std::vector<std::string> ids;
    for (int i = 1; i <= 10; ++i)
        ids.push_back(publish_or_fail(api, "a", "{\"n\":" + std::to_string(i) + "}"));
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=a", Deadline(kIoTimeout),
                       {{"Last-Event-ID", ids[2]}}));
    ASSERT_TRUE(s.await_events(5, Deadline(kIoTimeout))) << s.raw_body();
    std::vector<SseEvent> got = s.data_events();
    ASSERT_EQ(got.size(), 4u) << s.raw_body();
    EXPECT_EQ(got[0].type, "refresh");
    EXPECT_EQ(got[1].last_event_id, ids[7]);
    EXPECT_EQ(got[2].last_event_id, ids[8]);
    EXPECT_EQ(got[3].last_event_id, ids[9]);

    // From an id still inside the history: no gap.
    SseClient t;
    ASSERT_TRUE(t.open(d.port(), "/api/sse/stream?channels=a", Deadline(kIoTimeout),
                       {{"Last-Event-ID", ids[8]}}));
    ASSERT_TRUE(t.await_events(2, Deadline(kIoTimeout)));
    ASSERT_EQ(t.data_events().size(), 1u) << t.raw_body();
    EXPECT_EQ(t.data_events()[0].last_event_id, ids[9]);
}

// [history] max_events = 0 keeps nothing: every resume behind the log is told so.
TEST(ResumeHistory, WithoutHistoryAResumeIsAGap) {
    DaemonProcess d;
    DaemonOptions o;
    o.config = "[history]\nmax_events = 0\n";
    ASSERT_TRUE(d.start(o)) << d.error();
    HttpClient api(d.port());
    std::string first = publish_or_fail(api, "a", R"({"n":1})");
    std::string second = publish_or_fail(api, "a", R"({"n":2})");
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=a", Deadline(kIoTimeout),
                       {{"Last-Event-ID", first}}));
    ASSERT_TRUE(
        s.read_until([&] { return s.parser().last_event_id() == second; }, Deadline(kIoTimeout)));
    std::vector<SseEvent> got = s.data_events();
    ASSERT_EQ(got.size(), 1u) << s.raw_body();
    EXPECT_EQ(got[0].type, "refresh");
    EXPECT_EQ(got[0].data, R"({"reason":"history-gap"})");
}

// A catch-up larger than a connection's queue may hold would cut the stream,
// and its reconnection would ask for the same again: it gets the newest events
// that fit in half of delivery.queue_limit instead, after a history-gap refresh.
TEST(ResumeHistory, ACatchUpLargerThanTheQueueLimitIsTrimmedToTheNewest) {
    DaemonProcess d;
    DaemonOptions o;
    o.config =
        "[history]\nmax_events = 100000\nmax_bytes = \"16MiB\"\n"
        "[delivery]\nqueue_limit = \"64KiB\"\nmax_queue = \"256KiB\"\n";
    ASSERT_TRUE(d.start(o)) << d.error();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    const std::string payload = "\"" + std::string(1000, 'x') + "\"";
    std::vector<std::string> ids;
    for (int n = 0; n < 300; ++n) {
        auto r = u.request(publish_line("1", "a", "e", payload));
        ASSERT_TRUE(r) << u.error();
        ids.push_back(parse_reply(*r)["id"].as_string());
    }
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=a", Deadline(kIoTimeout),
                       {{"Last-Event-ID", ids.front()}}));
    ASSERT_TRUE(s.read_until([&] { return s.parser().last_event_id() == ids.back(); },
                             Deadline(kIoTimeout)))
        << s.raw_body().substr(0, 500);
    std::vector<SseEvent> got = s.data_events();
    ASSERT_GE(got.size(), 2u);
    EXPECT_EQ(got[0].type, "refresh");
    const size_t kept = got.size() - 1;
    EXPECT_GT(kept, 30u);
    EXPECT_LT(kept * 1000, size_t(32 * 1024)) << "more than half of queue_limit was queued";
    for (size_t i = 1; i < got.size(); ++i)  // the newest ones, in order, up to the last
        EXPECT_EQ(got[i].last_event_id, ids[ids.size() - kept + i - 1]);
    // Still open, and live.
    HttpClient api(d.port());
    std::string live = publish_or_fail(api, "a", R"({"n":1})");
    ASSERT_TRUE(
        s.read_until([&] { return s.parser().last_event_id() == live; }, Deadline(kIoTimeout)));
    auto stats = fetch_stats(api);
    ASSERT_TRUE(stats);
    EXPECT_EQ((*stats)["catchUp"]["trimmed"].as_int(), 1);
}

// Thousands of events on three channels while clients drop and come back with
// their last id: each ends with every event of its channels exactly once, in order.
TEST(ResumeUnderLoad, EveryClientEndsWithEveryEventOnceInOrder) {
    DaemonProcess d;
    DaemonOptions o;
    o.config = "[history]\nmax_events = 100000\n";
    ASSERT_TRUE(d.start(o)) << d.error();
    const std::vector<std::string> channels = {"a", "b", "c"};
    const std::vector<std::string> subsets = {"a,b", "b,c", "a,c",   "a,b,c",
                                              "a",   "b,a", "c,a,b", "c"};
    constexpr int kPerChannel = 2000;

    struct Client {
        std::string target;
        std::unique_ptr<SseClient> sse;
        std::vector<SseEvent> got;  // data events of closed connections, then the open one's
        int reconnects = 0;
    };
    std::vector<Client> clients;
    for (const std::string& set : subsets) {
        Client c;
        c.target = "/api/sse/stream?channels=" + set;
        c.sse = std::make_unique<SseClient>();
        ASSERT_TRUE(c.sse->open(d.port(), c.target)) << c.sse->error();
        ASSERT_TRUE(c.sse->await_events(1, Deadline(kIoTimeout)));
        clients.push_back(std::move(c));
    }

    std::atomic<bool> done{false};
    std::atomic<int> passes{0};   // of the readers' loop: the publisher keeps pace with it
    std::atomic<int> resumed{0};  // reconnects so far: the publisher keeps pace with them too
    std::string publisher_error;
    std::thread publisher([&] {
        UnixClient u;
        if (!u.connect(socket_path(d))) {
            publisher_error = u.error();
            done = true;
            return;
        }
        // Batches of 30 acknowledged publishes, round-robin over the channels, one
        // batch per pass of the readers, so that reconnects happen all along.
        int batch_no = 0;
        for (int n = 1; n <= kPerChannel && publisher_error.empty(); n += 10) {
            Deadline pace(kIoTimeout);
            // One reconnect per 4 batches at least, however the machine schedules the
            // readers: a loaded machine made fewer passes reconnect than the test needs.
            while ((passes.load() < batch_no || resumed.load() < batch_no / 4) && !pace.expired())
                std::this_thread::yield();
            ++batch_no;
            std::vector<std::string> batch;
            for (int k = n; k < n + 10; ++k)
                for (const std::string& ch : channels)
                    batch.push_back(publish_line(
                        "1", ch, "e", "{\"ch\":\"" + ch + "\",\"n\":" + std::to_string(k) + "}"));
            publisher_error = publish_pipelined(u, batch);
        }
        done = true;
    });

    std::mt19937 rng(5150);
    auto reconnect = [&](Client& c) {
        std::vector<SseEvent> part = c.sse->data_events();
        c.got.insert(c.got.end(), part.begin(), part.end());
        std::string last = c.sse->parser().last_event_id();
        c.sse = std::make_unique<SseClient>();
        Headers h;
        if (!last.empty()) h.push_back({"Last-Event-ID", last});
        ASSERT_TRUE(c.sse->open(d.port(), c.target, Deadline(kIoTimeout), h)) << c.sse->error();
        ++c.reconnects;
        ++resumed;
    };
    while (!done) {
        for (Client& c : clients) {
            c.sse->read_available();
            // A client that has seen no event yet has nothing to resume from (a
            // browser would reconnect without Last-Event-ID and miss what passed).
            if (rng() % 4 == 0 && !c.sse->parser().last_event_id().empty()) reconnect(c);
        }
        ++passes;
    }
    publisher.join();
    ASSERT_EQ(publisher_error, "");

    int reconnects = 0;
    for (const Client& c : clients)
        reconnects += c.reconnects;
    EXPECT_GE(reconnects, 40) << "too few reconnects to test anything";
    for (size_t i = 0; i < clients.size(); ++i) {
        Client& c = clients[i];
        const size_t want =
            size_t(kPerChannel) * (std::count(subsets[i].begin(), subsets[i].end(), ',') + 1);
        c.sse->read_until([&] { return c.got.size() + c.sse->data_events().size() >= want; },
                          Deadline(std::chrono::seconds(3)));
        std::vector<SseEvent> part = c.sse->data_events();
        c.got.insert(c.got.end(), part.begin(), part.end());
        EXPECT_GE(c.reconnects, 1) << c.target << ": never reconnected";
        // Per channel 1..kPerChannel in order, exactly once; ids increasing overall.
        std::map<std::string, int> next;
        uint64_t last_seq = 0;
        for (const SseEvent& e : c.got) {
            ASSERT_NE(e.type, "refresh") << c.target;
            std::optional<Json> j = Json::parse(e.data);
            ASSERT_TRUE(j) << e.data;
            int& expected = next[(*j)["ch"].as_string()];
            ASSERT_EQ((*j)["n"].as_int(), ++expected)
                << c.target << ": channel " << (*j)["ch"].as_string()
                << " lost or repeated an event";
            uint64_t seq = seq_of(e.last_event_id);
            ASSERT_GT(seq, last_seq) << c.target << ": ids out of order or repeated";
            last_seq = seq;
        }
        ASSERT_EQ(c.got.size(), want) << c.target;
        for (auto& [ch, n] : next)
            EXPECT_EQ(n, kPerChannel) << c.target << " " << ch;
    }
}

}  // namespace
}  // namespace ringcast::itest

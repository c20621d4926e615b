// Slow readers and the per-connection queue (priority, ttl, isolation): a stream
// that stops reading while thousands of events flow. With slow_reader = "drop"
// it loses its low-priority events, never its priority-9 ones, while every other
// stream gets everything; with "disconnect" it is closed; an event whose ttl
// passes while it waits in the queue is never written. Every loss is counted,
// in the totals and per channel.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "publish_support.h"
#include "sse_fleet.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

// Small limits, so that a few thousand events are plenty.
constexpr int64_t kQueueLimit = 64 * 1024, kMaxQueue = 256 * 1024;

std::string limits_config(std::string_view policy) {
    return "[delivery]\nqueue_limit = \"64KiB\"\nmax_queue = \"256KiB\"\nwrite_timeout = "
           "\"60s\"\nslow_reader = \"" +
           std::string(policy) + "\"\n";
}

// One stalled stream among fast ones, all on `channel`, and the publishing socket.
class StalledReader {
public:
    StalledReader(DaemonProcess& d, const std::string& channel, int fast)
        : fleet(d.port()), _d(d), _channel(channel) {
        for (int i = 0; i < fast; ++i)
            this->fast.push_back(fleet.add("/api/sse/stream?channels=" + channel));
        stalled = fleet.add("/api/sse/stream?channels=" + channel, 4096);
    }

    // Connects everyone and stops the stalled stream reading.
    void start() {
        ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
            << fleet.problems();
        fleet.stop_reading(stalled);
        ASSERT_TRUE(pub.connect(socket_path(_d))) << pub.error();
    }

    // Publishes events numbered from next(): `extra(n)` gives each one's extra
    // fields (priority, ttl...). Batches are pipelined; after each, the fast
    // streams are read until they have everything, so only the stalled one lags.
    void publish(int count, const std::function<std::string(int)>& extra, size_t pad = 400,
                 int batch = 100, const std::function<size_t(int)>& pad_of = {}) {
        for (int done = 0; done < count;) {
            int n = std::min(batch, count - done);
            std::string lines;
            for (int k = 0; k < n; ++k) {
                int id = ++_published;
                const std::string padding(pad_of ? pad_of(id) : pad, 'x');
                lines +=
                    publish_line(std::to_string(id), _channel, "tick",
                                 "{\"n\":" + std::to_string(id) + ",\"pad\":\"" + padding + "\"}",
                                 extra(id)) +
                    "\n";
            }
            std::string why;
            auto replies = exchange(pub, lines, size_t(n), Deadline(10s), &why);
            ASSERT_EQ(replies.size(), size_t(n)) << why;
            for (const std::string& r : replies) {
                Json j = parse_reply(r);
                ASSERT_TRUE(j["ok"].as_bool()) << r;
                if (_epoch.empty()) _epoch = id_epoch(j["id"].as_string());
            }
            done += n;
            ASSERT_TRUE(fleet.run_until([&] { return fast_have(_published); }, Deadline(10s)))
                << "fast streams behind after " << _published << " events: " << fleet.problems();
            if (on_batch) on_batch();
        }
    }

    bool fast_have(int n) const {
        for (size_t i : fast)
            if (fleet[i].data_events().size() < size_t(n)) return false;
        return true;
    }

    // The stalled stream's queued bytes, from the socket's `connection` op.
    int64_t stalled_queued() {
        Json r = ask(pub, "{\"op\":\"connection\",\"req\":0,\"id\":\"" +
                              connection_id(fleet, stalled) + "\"}");
        EXPECT_TRUE(r["ok"].as_bool()) << "no answer about " << connection_id(fleet, stalled);
        return r["connection"]["queuedBytes"].as_int(-1);
    }

    Json stats() {
        Json r = ask(pub, "{\"op\":\"stats\",\"req\":0}");
        EXPECT_TRUE(r["ok"].as_bool());
        return r["stats"];
    }

    // Every fast stream has events 1..published, in order, each once.
    void expect_fast_complete() {
        for (size_t i : fast) {
            auto evs = fleet[i].data_events();
            EXPECT_FALSE(fleet[i].ended) << "fast stream " << i << " was disconnected";
            ASSERT_EQ(evs.size(), size_t(_published)) << "fast stream " << i;
            for (int k = 0; k < _published; ++k) {
                ASSERT_EQ(evs[k]->last_event_id, event_id(_epoch, uint64_t(k) + 1))
                    << "fast stream " << i;
            }
        }
    }

    int published() const { return _published; }
    const std::string& epoch() const { return _epoch; }

    SseFleet fleet;
    std::vector<size_t> fast;
    size_t stalled = 0;
    UnixClient pub;
    std::function<void()> on_batch;

private:
    DaemonProcess& _d;
    std::string _channel;
    int _published = 0;
    std::string _epoch;
};

// The "n" of an event's data.
int number_of(const SseEvent& e) {
    auto j = Json::parse(e.data);
    return j ? int((*j)["n"].as_int(-1)) : -1;
}

TEST(SlowReader, DropLosesLowPriorityEventsOnlyAndEveryoneElseGetsEverything) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = limits_config("drop")})) << d.error();
    StalledReader t(d, "mix", 4);
    ASSERT_NO_FATAL_FAILURE(t.start());

    // The kernel takes a few MB for the stalled stream before anything waits in
    // its queue of 64 KiB; then the queue compacts, again and again. Priority-1
    // events of 1 KB; one event in fifty is a priority-9 one of 100 bytes: the 9s
    // waiting at any time fit within the queue, the 1s make the room.
    auto priority = [](int n) { return n % 50 == 0 ? 9 : 1; };
    auto pad = [&](int n) { return size_t(priority(n) == 9 ? 50 : 1000); };
    auto extra = [&](int n) { return "\"priority\":" + std::to_string(priority(n)); };
    int64_t max_queued = 0;
    t.on_batch = [&] { max_queued = std::max(max_queued, t.stalled_queued()); };
    Deadline give_up(60s);
    while (t.stats()["eventsDropped"].as_int() < 2000) {
        ASSERT_FALSE(give_up.expired() || t.published() >= 40'000)
            << "nothing dropped after " << t.published() << " events";
        ASSERT_NO_FATAL_FAILURE(t.publish(500, extra, 0, 100, pad));
    }
    // The last one is a 10: the newest and the highest, never dropped.
    ASSERT_NO_FATAL_FAILURE(t.publish(1, [](int) { return std::string("\"priority\":10"); }));
    const int total = t.published();
    ASSERT_NO_FATAL_FAILURE(t.expect_fast_complete());

    // While its write is stuck the queue stays within queue_limit; a batch that
    // arrives in the one turn after a write went through whole (the socket may
    // just have filled up) is held to max_queue only, then compacted.
    EXPECT_GT(max_queued, kQueueLimit / 2);
    EXPECT_LE(max_queued, kMaxQueue) << "the queue stays within max_queue";
    Json s = t.stats();
    EXPECT_EQ(s["totalConnections"].as_int(), int64_t(t.fast.size()) + 1) << "nobody was closed";
    EXPECT_EQ(s["droppedSlowReaders"].as_int(), 0);
    EXPECT_EQ(s["slowReaderDisconnects"].as_int(), 0);
    const int64_t dropped = s["eventsDropped"].as_int();
    EXPECT_GE(dropped, 2000);
    EXPECT_EQ(s["channelStats"]["mix"]["dropped"].as_int(), dropped);
    EXPECT_EQ(s["channelStats"]["mix"]["connections"].as_int(), int64_t(t.fast.size()) + 1);
    EXPECT_EQ(s["channelStats"]["mix"]["expired"].as_int(), 0);
    EXPECT_EQ(s["channels"]["mix"]["connections"].as_int(), int64_t(t.fast.size()) + 1)
        << "the old field is still there";

    // The stalled stream reads again: it gets what it was left, in order.
    t.fleet.resume_reading(t.stalled);
    auto got_last = [&] {
        auto evs = t.fleet[t.stalled].data_events();
        return !evs.empty() && number_of(*evs.back()) == total;
    };
    ASSERT_TRUE(t.fleet.run_until(got_last, Deadline(20s)))
        << "the stalled stream never got the last event; it has "
        << t.fleet[t.stalled].data_events().size() << " events, the last "
        << (t.fleet[t.stalled].data_events().empty()
                ? -1
                : number_of(*t.fleet[t.stalled].data_events().back()))
        << " of " << total << "; " << t.fleet.problems() << " queued " << t.stalled_queued()
        << " dropped " << t.stats()["eventsDropped"].as_int();
    auto evs = t.fleet[t.stalled].data_events();
    std::set<int> seen;
    uint64_t previous = 0;
    for (const SseEvent* e : evs) {
        uint64_t seq = id_sequence(e->last_event_id);
        ASSERT_GT(seq, previous) << "ids increase on the wire, whatever was dropped";
        previous = seq;
        int n = number_of(*e);
        ASSERT_EQ(uint64_t(n), seq) << "event " << n << " arrived whole under its own id";
        seen.insert(n);
    }
    int nines = 0;
    for (int n = 50; n < total; n += 50, ++nines)
        EXPECT_TRUE(seen.count(n)) << "priority-9 event " << n << " was dropped";
    EXPECT_GT(nines, 40);
    EXPECT_EQ(int64_t(seen.size()) + dropped, total)
        << "every event it did not get is counted as dropped, exactly";
    EXPECT_FALSE(t.fleet[t.stalled].ended);
    std::printf(
        "[   info   ] %d events, %lld dropped for the stalled stream, %d priority-9 kept; "
        "its queue peaked at %lld bytes\n",
        total, static_cast<long long>(dropped), nines, static_cast<long long>(max_queued));
}

TEST(SlowReader, DisconnectClosesTheReaderPastQueueLimitAndCountsIt) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = limits_config("disconnect")})) << d.error();
    StalledReader t(d, "flow", 5);
    ASSERT_NO_FATAL_FAILURE(t.start());

    Json s;
    Deadline give_up(30s);
    while (!give_up.expired() && t.published() < 20'000) {
        ASSERT_NO_FATAL_FAILURE(t.publish(
            100, [](int) { return std::string(); }, 2000));
        s = t.stats();
        if (s["slowReaderDisconnects"].as_int() > 0) break;
    }
    ASSERT_EQ(s["slowReaderDisconnects"].as_int(), 1) << "after " << t.published() << " events";
    EXPECT_EQ(s["droppedSlowReaders"].as_int(), 0) << "queue_limit came first, not max_queue";
    EXPECT_EQ(s["eventsDropped"].as_int(), 0) << "disconnect drops no event";
    EXPECT_EQ(s["channelStats"]["flow"]["disconnected"].as_int(), 1);
    // The log says who and why, one JSON line (written before the stats counted it).
    {
        const std::string log = d.log();
        const size_t at = log.find("\"msg\":\"slow reader disconnected\"");
        ASSERT_NE(at, std::string::npos) << log;
        const size_t begin = log.rfind('\n', at) + 1;
        auto line = Json::parse(log.substr(begin, log.find('\n', at) - begin));
        ASSERT_TRUE(line) << log;
        EXPECT_EQ((*line)["reason"].as_string(), "queue_limit");
        EXPECT_EQ((*line)["conn"].as_string(), connection_id(t.fleet, t.stalled));
        EXPECT_EQ((*line)["ip"].as_string(), "127.0.0.1");
        EXPECT_EQ((*line)["level"].as_string(), "info");
    }
    ASSERT_NO_FATAL_FAILURE(t.publish(1, [](int) { return std::string(); }));  // a fence
    ASSERT_NO_FATAL_FAILURE(t.expect_fast_complete());
    EXPECT_EQ(t.stats()["totalConnections"].as_int(), int64_t(t.fast.size()));

    // What reached the stalled stream before the close is a clean prefix.
    t.fleet.resume_reading(t.stalled);
    ASSERT_TRUE(t.fleet.run_until([&] { return t.fleet[t.stalled].ended; }, Deadline(10s)))
        << "the stalled stream is still open";
    auto evs = t.fleet[t.stalled].data_events();
    EXPECT_LT(evs.size(), size_t(t.published()));
    for (size_t k = 0; k < evs.size(); ++k)
        EXPECT_EQ(evs[k]->last_event_id, event_id(t.epoch(), k + 1));
}

TEST(SlowReader, AnEventWhoseTtlPassesInTheQueueIsNeverWritten) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();  // default limits: nothing is dropped
    StalledReader t(d, "ttl", 1);
    ASSERT_NO_FATAL_FAILURE(t.start());

    // Fill the stalled stream's socket and its send in flight, so that what
    // follows waits in its queue.
    Deadline fill(20s);
    while (t.stalled_queued() < 200 * 1024 && !fill.expired())
        ASSERT_NO_FATAL_FAILURE(t.publish(
            100, [](int) { return std::string(); }, 1000));
    ASSERT_GE(t.stalled_queued(), 200 * 1024) << "the stalled stream's queue did not fill";
    const int fillers = t.published();

    // ttl counts from timestamp: stamped 9.2 s ago with a ttl of 10 s, it expires
    // 0.8 s from now. Everyone reading gets it in time; the stalled stream not.
    const int64_t expires = wall_now_ms() + 800;
    const std::string ttl_fields =
        "\"timestamp\":" + std::to_string(expires - 10'000) + ",\"ttl\":10";
    ASSERT_NO_FATAL_FAILURE(t.publish(1, [&](int) { return ttl_fields; }));
    ASSERT_NO_FATAL_FAILURE(t.publish(1, [](int) { return std::string(); }));  // a fence
    ASSERT_NO_FATAL_FAILURE(t.expect_fast_complete());

    ASSERT_TRUE(t.fleet.run_until([&] { return wall_now_ms() > expires + 50; }, Deadline(5s)));
    t.fleet.resume_reading(t.stalled);
    auto got_fence = [&] {
        auto evs = t.fleet[t.stalled].data_events();
        return !evs.empty() && number_of(*evs.back()) == fillers + 2;
    };
    ASSERT_TRUE(t.fleet.run_until(got_fence, Deadline(20s)));
    auto evs = t.fleet[t.stalled].data_events();
    ASSERT_EQ(evs.size(), size_t(fillers) + 1) << "every event but the expired one";
    for (int k = 0; k < fillers; ++k)
        EXPECT_EQ(number_of(*evs[k]), k + 1);
    EXPECT_EQ(number_of(*evs.back()), fillers + 2);

    Json s = t.stats();
    EXPECT_EQ(s["eventsExpiredInQueue"].as_int(), 1);
    EXPECT_EQ(s["channelStats"]["ttl"]["expired"].as_int(), 1);
    EXPECT_EQ(s["eventsDropped"].as_int(), 0);
}

}  // namespace
}  // namespace ringcast::itest

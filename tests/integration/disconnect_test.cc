// Clients that vanish mid-stream (a plain close, an abortive close, a reader
// that stops reading) while events keep flowing: everyone else still gets
// everything, and the daemon lets go of the dead connections.
#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

TEST(Disconnect, VanishingClientsDoNotDisturbTheOthers) {
    constexpr int kWatchers = 20, kPlain = 3, kAbortive = 3, kStalled = 2;
    constexpr int kTotal = kWatchers + kPlain + kAbortive + kStalled;
    DaemonProcess d;
    // A reader more than 64 KiB or 1 s behind is cut off (one limit, no dropping:
    // what a cut-off reader got is a clean prefix).
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = "[delivery]\nmax_queue = \"64KiB\"\nqueue_limit = \"64KiB\"\n"
                                   "slow_reader = \"disconnect\"\nwrite_timeout = \"1s\"\n"}))
        << d.error();

    SseFleet fleet(d.port());
    std::vector<size_t> watchers, plain, abortive, stalled;
    for (int i = 0; i < kWatchers; ++i)
        watchers.push_back(fleet.add("/api/sse/stream?channels=flow"));
    for (int i = 0; i < kPlain; ++i)
        plain.push_back(fleet.add("/api/sse/stream?channels=flow"));
    for (int i = 0; i < kAbortive; ++i)
        abortive.push_back(fleet.add("/api/sse/stream?channels=flow,other"));
    for (int i = 0; i < kStalled; ++i)
        stalled.push_back(fleet.add("/api/sse/stream?channels=flow", 4096));
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();
    for (size_t i : stalled)
        fleet.stop_reading(i);

    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    Json stats;
    ASSERT_TRUE(await_stats(
        api, [&](const Json& s) { return s["totalConnections"].as_int() == kTotal; }, Deadline(10s),
        &stats, [&](int ms) { fleet.pump(ms); }));

    const std::string pad(1000, 'p');
    int published = 0;
    std::string epoch;  // of the first event's id; every id of this run has it
    auto publish_one = [&](std::string_view event) {
        ++published;
        auto r = publish(api, "flow", event,
                         "{\"n\":" + std::to_string(published) + ",\"pad\":\"" + pad + "\"}");
        ASSERT_TRUE(r) << api.error();
        ASSERT_EQ(r->response.status, 200) << r->response.describe();
        // Every publish of the test, one after another: the daemon's sequence.
        if (published == 1) epoch = id_epoch(r->id);
        EXPECT_EQ(r->id, event_id(epoch, uint64_t(published)));
        EXPECT_GE(r->sent, kWatchers) << "event " << published;
        EXPECT_LE(r->sent + r->failed, kTotal) << "event " << published;
        fleet.pump(0);
    };

    // Phase 1: everyone reads (but the stalled ones).
    for (int k = 0; k < 20; ++k)
        ASSERT_NO_FATAL_FAILURE(publish_one("tick"));
    // Phase 2: plain closes, more events, abortive closes, more events.
    for (size_t i : plain)
        fleet.close(i, false);
    for (int k = 0; k < 20; ++k)
        ASSERT_NO_FATAL_FAILURE(publish_one("tick"));
    for (size_t i : abortive)
        fleet.close(i, true);
    // Phase 3: keep publishing until the daemon has dropped the stalled readers
    // and let go of every closed connection.
    auto settled = [&](const Json& s) {
        return s["totalConnections"].as_int() == kWatchers &&
               s["droppedSlowReaders"].as_int() + s["droppedStalledWriters"].as_int() == kStalled;
    };
    Deadline phase3(30s);
    bool done = false;
    while (!done && !phase3.expired() && published < 5000) {
        for (int k = 0; k < 10; ++k)
            ASSERT_NO_FATAL_FAILURE(publish_one("tick"));
        auto s = fetch_stats(api);
        ASSERT_TRUE(s) << api.error();
        stats = *s;
        done = settled(stats);
    }
    ASSERT_TRUE(done) << "after " << published << " events: totalConnections "
                      << stats["totalConnections"].as_int() << " (want " << kWatchers
                      << "), dropped slow " << stats["droppedSlowReaders"].as_int() << ", stalled "
                      << stats["droppedStalledWriters"].as_int() << " (want " << kStalled
                      << " in all)";
    ASSERT_NO_FATAL_FAILURE(publish_one("fence"));

    // Every watcher has every event, once, in order.
    auto complete = [&] {
        for (size_t i : watchers)
            if (fleet[i].data_events().size() < size_t(published)) return false;
        return true;
    };
    ASSERT_TRUE(fleet.run_until(complete, Deadline(20s))) << fleet.problems();
    for (size_t i : watchers) {
        auto evs = fleet[i].data_events();
        EXPECT_FALSE(fleet[i].ended) << "watcher " << i << " was disconnected";
        ASSERT_EQ(evs.size(), size_t(published)) << "watcher " << i;
        for (int k = 0; k < published; ++k) {
            ASSERT_EQ(evs[k]->last_event_id, event_id(epoch, uint64_t(k) + 1)) << "watcher " << i;
            ASSERT_TRUE(evs[k]->data.starts_with("{\"n\":" + std::to_string(k + 1) + ","))
                << "watcher " << i;
        }
    }

    // The stalled readers were cut off: reading now yields a clean prefix of
    // the events, then the end of the stream.
    for (size_t i : stalled) {
        fleet.resume_reading(i);
        ASSERT_TRUE(fleet.run_until([&] { return fleet[i].ended; }, Deadline(10s)))
            << "stalled client " << i << " still open after the daemon dropped it";
        auto evs = fleet[i].data_events();
        EXPECT_LT(evs.size(), size_t(published)) << "stalled client " << i;
        for (size_t k = 0; k < evs.size(); ++k)
            EXPECT_EQ(evs[k]->last_event_id, event_id(epoch, k + 1)) << "stalled client " << i;
    }

    // Only the watchers and this API connection remain.
    EXPECT_TRUE(await_stats(
        api,
        [&](const Json& s) {
            return s["totalConnections"].as_int() == kWatchers &&
                   s["sockets"].as_int() == kWatchers + 1 &&
                   s["channels"]["flow"]["connections"].as_int() == kWatchers &&
                   !s["channels"].has("other");
        },
        Deadline(10s), &stats, [&](int ms) { fleet.pump(ms); }))
        << "sockets " << stats["sockets"].as_int() << ", channels: flow "
        << stats["channels"]["flow"]["connections"].as_int()
        << ", other present: " << stats["channels"].has("other");
}

// One stream reads (the watcher), one never does. `config` decides how the
// daemon gets rid of the second; `dropped_key` is the stats counter that must
// count it, `other_key` the one that must not.
void expect_stuck_reader_dropped(const std::string& config, const char* dropped_key,
                                 const char* other_key) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = config})) << d.error();
    SseFleet fleet(d.port());
    size_t watcher = fleet.add("/api/sse/stream?channels=big");
    size_t stuck = fleet.add("/api/sse/stream?channels=big", 4096);
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();
    fleet.stop_reading(stuck);

    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    const std::string pad(16 * 1024, 'b');
    int published = 0;
    Json stats;
    // Publish until the stuck reader is dropped (bounded by count and time).
    Deadline give_up(30s);
    while (!give_up.expired() && published < 2000) {
        ++published;
        auto r = publish(api, "big", "blob",
                         "{\"n\":" + std::to_string(published) + ",\"pad\":\"" + pad + "\"}");
        ASSERT_TRUE(r) << api.error();
        ASSERT_EQ(r->response.status, 200) << r->response.describe();
        fleet.pump(0);
        if (published % 10) continue;
        auto s = fetch_stats(api);
        ASSERT_TRUE(s) << api.error();
        stats = *s;
        if (stats[dropped_key].as_int() > 0) break;
    }
    // A write timeout needs time rather than bytes: once the queue is stuck,
    // await it without publishing more.
    ASSERT_TRUE(await_stats(
        api, [&](const Json& s) { return s[dropped_key].as_int() == 1; }, Deadline(10s), &stats,
        [&](int ms) { fleet.pump(ms); }))
        << "after " << published << " events: " << dropped_key << " " << stats[dropped_key].as_int()
        << ", " << other_key << " " << stats[other_key].as_int();
    EXPECT_EQ(stats[other_key].as_int(), 0);
    EXPECT_EQ(stats["totalConnections"].as_int(), 1);

    auto fence = publish(api, "big", "fence", "0");
    ASSERT_TRUE(fence) << api.error();
    EXPECT_EQ(fence->sent, 1);
    ++published;
    ASSERT_TRUE(fleet.run_until(
        [&] { return fleet[watcher].data_events().size() >= size_t(published); }, Deadline(20s)));
    EXPECT_EQ(fleet[watcher].data_events().size(), size_t(published));
    EXPECT_FALSE(fleet[watcher].ended);
}

// max_queue closes a connection whatever the policy; with queue_limit at the same
// value and slow_reader = "disconnect" nothing is dropped first.
TEST(SlowReader, DroppedWhenItsQueueExceedsMaxQueue) {
    expect_stuck_reader_dropped(
        "[delivery]\nmax_queue = \"256KiB\"\nqueue_limit = \"256KiB\"\n"
        "slow_reader = \"disconnect\"\nwrite_timeout = \"60s\"\n",
        "droppedSlowReaders", "droppedStalledWriters");
}

TEST(SlowReader, DroppedWhenAWriteStallsPastWriteTimeout) {
    expect_stuck_reader_dropped("[delivery]\nmax_queue = \"64MiB\"\nwrite_timeout = \"500ms\"\n",
                                "droppedStalledWriters", "droppedSlowReaders");
}

// One round of CountedOnceWhenEventsArriveTogether on a fresh daemon.
void slow_reader_batch_round(int round) {
    SCOPED_TRACE("round " + std::to_string(round));
    constexpr int kPublishers = 8, kEach = 60;
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = "[delivery]\nmax_queue = \"256KiB\"\nqueue_limit = \"256KiB\"\n"
                                   "slow_reader = \"disconnect\"\nwrite_timeout = \"60s\"\n"}))
        << d.error();
    SseFleet fleet(d.port());
    size_t stuck = fleet.add("/api/sse/stream?channels=big", 4096);
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();
    fleet.stop_reading(stuck);

    std::vector<std::unique_ptr<HttpClient>> pubs;
    for (int p = 0; p < kPublishers; ++p) {
        pubs.push_back(std::make_unique<HttpClient>(d.port()));
        ASSERT_TRUE(pubs.back()->connect()) << pubs.back()->error();
    }
    const std::string data = "\"" + std::string(16 * 1024, 'b') + "\"";
    for (auto& p : pubs) {
        std::string batch;
        for (int k = 0; k < kEach; ++k)
            batch += build_request("POST", "/api/publish", publish_body("big", "e", data));
        ASSERT_TRUE(p->send(batch)) << p->error();
    }
    int64_t sent = 0;
    for (auto& p : pubs) {
        for (int k = 0; k < kEach; ++k) {
            auto r = p->read_response();
            ASSERT_TRUE(r) << p->error();
            ASSERT_EQ(r->status, 200) << r->describe();
            sent += (*r->json())["sent"].as_int();
        }
    }
    ASSERT_LT(sent, kPublishers * kEach) << "precondition: the reader must have been dropped";
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    Json stats;
    ASSERT_TRUE(await_stats(
        api, [&](const Json& s) { return s["totalConnections"].as_int() == 0; }, Deadline(10s),
        &stats));
    EXPECT_EQ(stats["droppedSlowReaders"].as_int(), 1) << "one slow reader, dropped once";
}

// Several publishers at once: events for the same slow reader reach its shard
// in one batch. It is one reader dropped once, whatever the batch size. How
// events batch is up to the scheduler, so the scenario runs a few times.
TEST(SlowReader, CountedOnceWhenEventsArriveTogether) {
    for (int round = 1; round <= 3 && !HasFailure(); ++round)
        slow_reader_batch_round(round);
}

}  // namespace
}  // namespace ringcast::itest

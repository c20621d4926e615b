// The takeover mode's per-stream accounting (bench/load/takeover_tracker.h)
// beside the SeqTracker it follows, and how a worker's losses travel to the
// parent (worker_result.cc): a publish that never arrives must be reported,
// with its number and the stream that missed it.
#include <gtest/gtest.h>

#include "seq_tracker.h"
#include "takeover_tracker.h"
#include "worker_result.h"

namespace ringcast::load {
namespace {

constexpr uint64_t kMs = 1'000'000;

// One stream as the subscriber pool drives it: the tracker, then the watch.
struct Stream {
    SeqTracker tracker;
    StreamWatch watch;
    DeliveryCounters counters;

    void arrive(uint64_t seq, uint64_t sent_ms, uint64_t at_ms, LossLog& log) {
        uint64_t before = tracker.next();
        auto outcome = tracker.on_event(seq, 0, counters);
        watch.on_event(seq, before, outcome, sent_ms * kMs, at_ms * kMs, log);
    }
    void finish(uint64_t total, uint64_t index, LossLog& log) {
        watch.finish(tracker.next(), total, index, log);
        tracker.finish(total, 0, counters);
    }
};

TEST(TakeoverAccounting, AllArrivedIsNoLoss) {
    LossLog log;
    Stream s;
    for (uint64_t n = 0; n < 5; ++n)
        s.arrive(n, n * 100, n * 100 + 2, log);
    s.finish(5, 7, log);
    EXPECT_EQ(s.counters.lost, 0u);
    EXPECT_EQ(s.watch.lost(), 0u);
    EXPECT_EQ(log.streams, 0u);
    EXPECT_TRUE(log.events.empty());
    EXPECT_EQ(s.watch.longest_ns(), 100 * kMs);
    EXPECT_EQ(s.watch.delay_ns(), 2 * kMs);
}

TEST(TakeoverAccounting, AnEventThatNeverArrivesIsLostAndNamed) {
    LossLog log;
    Stream a, b;
    for (uint64_t n : {0, 1, 3, 4})  // event 2 was acknowledged but never came
        a.arrive(n, n * 100, n * 100 + 1, log);
    for (uint64_t n : {0, 1, 2, 3, 4})
        b.arrive(n, n * 100, n * 100 + 1, log);
    a.finish(5, 42, log);
    b.finish(5, 43, log);
    EXPECT_EQ(a.counters.lost, 1u);
    EXPECT_EQ(a.watch.lost(), 1u);
    EXPECT_EQ(b.watch.lost(), 0u);
    EXPECT_EQ(log.streams, 1u);
    ASSERT_EQ(log.named.size(), 1u);
    EXPECT_EQ(log.named[0], 42u);
    ASSERT_EQ(log.events.size(), 1u);
    EXPECT_EQ(log.events.at(2), 1u);
    // The gap where event 2 should have been is the stream's longest pause.
    EXPECT_EQ(a.watch.longest_ns(), 200 * kMs);
}

TEST(TakeoverAccounting, TheTailThatNeverCameIsLost) {
    LossLog log;
    Stream s;
    s.arrive(0, 0, 1, log);
    s.arrive(1, 100, 101, log);
    s.finish(4, 0, log);  // events 2 and 3 were acknowledged, the stream ended at 1
    EXPECT_EQ(s.counters.lost, 2u);
    EXPECT_EQ(s.watch.lost(), 2u);
    EXPECT_EQ(log.streams, 1u);
    EXPECT_EQ(log.events.at(2), 1u);
    EXPECT_EQ(log.events.at(3), 1u);
}

TEST(TakeoverAccounting, ALateArrivalTakesBackItsLossAndADuplicateIsNone) {
    LossLog log;
    Stream s;
    s.arrive(0, 0, 1, log);
    s.arrive(2, 200, 201, log);
    EXPECT_EQ(log.events.at(1), 1u);
    s.arrive(1, 100, 202, log);  // late, not lost
    s.arrive(2, 200, 203, log);  // twice
    s.finish(3, 0, log);
    EXPECT_EQ(s.counters.lost, 0u);
    EXPECT_EQ(s.counters.duplicates, 1u);
    EXPECT_EQ(s.counters.out_of_order, 1u);
    EXPECT_EQ(s.watch.lost(), 0u);
    EXPECT_TRUE(log.events.empty());
    EXPECT_EQ(log.streams, 0u);
}

TEST(TakeoverAccounting, TheRequestSplitsDelaysAndRestartsThePause) {
    LossLog log;
    Stream s;
    s.arrive(0, 0, 30, log);  // 30 ms before the request
    s.arrive(1, 100, 105, log);
    s.watch.mark();
    EXPECT_EQ(s.watch.warm_delay_ns(), 30 * kMs);
    EXPECT_EQ(s.watch.longest_ns(), 0u);
    // Published at 200 and again during the handover; it arrives at 450: its
    // delay counts from the first attempt, and the pause spans the request.
    s.arrive(2, 200, 450, log);
    EXPECT_EQ(s.watch.delay_ns(), 250 * kMs);
    EXPECT_EQ(s.watch.longest_ns(), 345 * kMs);
    EXPECT_EQ(s.watch.warm_delay_ns(), 30 * kMs);
}

TEST(TakeoverAccounting, LossesTravelToTheParentAndMerge) {
    WorkerResult a, b;
    a.losses.events = {{2, 3}, {3, 1}};
    for (uint64_t i : {5, 1, 9})
        a.losses.add_stream(i);
    for (uint64_t i = 100; i < 112; ++i)
        b.losses.add_stream(i);
    b.losses.events = {{2, 12}};
    b.pause_us.record(1234);

    WorkerResult parent;
    for (const WorkerResult* w : {&a, &b}) {
        WorkerResult got;
        for (const std::string& line : w->encode())
            ASSERT_TRUE(got.decode_line(line)) << line;
        parent.merge(got);
    }
    EXPECT_EQ(parent.losses.streams, 15u);
    EXPECT_EQ(parent.losses.events.at(2), 15u);
    EXPECT_EQ(parent.losses.events.at(3), 1u);
    ASSERT_EQ(parent.losses.named.size(), LossLog::kNamedStreams);
    EXPECT_EQ(parent.losses.named.front(), 1u);
    EXPECT_EQ(parent.losses.named[2], 9u);
    EXPECT_EQ(parent.losses.named.back(), 106u);
    EXPECT_EQ(parent.pause_us.max(), 1234u);

    WorkerResult none;
    for (const std::string& line : WorkerResult{}.encode())
        ASSERT_TRUE(none.decode_line(line)) << line;
    EXPECT_EQ(none.losses.streams, 0u);
    EXPECT_FALSE(none.decode_line("losses 1 x -"));
}

}  // namespace
}  // namespace ringcast::load

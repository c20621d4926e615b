// The slow-reader policy (net/queue_policy.h): what admit_over_limit() does with
// a frame that would take a queue past its limits, for a reader whose socket is
// full and for one that keeps up, under "drop" and "disconnect", and that a
// fan-out can go on using a frame one queue refused.
#include "net/queue_policy.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/frames.h"
#include "support/random.h"

namespace ringcast {
namespace {

using test::Frames;
using test::labels_of;
using test::queued_labels;
using Labels = std::vector<std::string>;

struct Fixture {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames{lfp};
    OutQueue q;
    RemovedFrames removed;
    QueueLimits limits{.soft = 1000, .hard = 4000, .policy = SlowReaderPolicy::drop};
    bool writing = true;  // a send is pending: the socket is full, the reader behind

    // What Transport::enqueue() does: the fast path, else the policy.
    Admission offer(LocalFrame* lf) {
        if (q.bytes() + lf->frame->size() <= (writing ? limits.soft : limits.hard)) {
            lfp.add_user(lf);
            q.push(lf, chunks);
            return Admission::queued;
        }
        Admission a = admit_over_limit(q, lf, limits, writing, 0, lfp, chunks, &removed);
        dropped_log.push_back(labels_of(removed.dropped));
        walks += removed.compacted ? 1 : 0;
        release_removed(&removed, lf, lfp);
        return a;
    }
    // A fresh 100-byte frame, offered like a fan-out would, then let go.
    Admission offer(const std::string& label, uint8_t priority, size_t size = 100) {
        LocalFrame* lf = frames.labelled(label, size, priority, 0, /*users=*/0);
        Admission a = offer(lf);
        lfp.drop_if_unused(lf);
        return a;
    }
    ~Fixture() {
        q.clear(lfp, chunks);
        EXPECT_EQ(lfp.live(), 0u);
        EXPECT_EQ(chunks.live(), 0u);
        for (size_t i = 0; i < frames.size(); ++i)
            EXPECT_EQ(frames.refs(i), 1u) << "frame " << i << " released once";
    }
    std::vector<Labels> dropped_log;  // per policy decision
    int walks = 0;                    // decisions that compacted the queue
};

TEST(QueuePolicy, DropMakesRoomDownToThreeQuartersOfTheLimit) {
    Fixture t;
    for (int i = 0; i < 10; ++i)
        ASSERT_EQ(t.offer("e" + std::to_string(i), 5), Admission::queued);
    EXPECT_EQ(t.q.bytes(), 1000u);
    EXPECT_EQ(t.offer("N", 5), Admission::queued);
    EXPECT_EQ(t.dropped_log.back(), (Labels{"e0", "e1", "e2", "e3"}))
        << "oldest first, down to 750 bytes";
    EXPECT_EQ(t.q.bytes(), 700u);
    EXPECT_EQ(queued_labels(t.q).back(), "N");
}

TEST(QueuePolicy, ANewcomerBelowEverythingQueuedIsDroppedWithoutAWalk) {
    Fixture t;
    for (int i = 0; i < 10; ++i)
        ASSERT_EQ(t.offer("h" + std::to_string(i), 9), Admission::queued);
    EXPECT_EQ(t.offer("low", 1), Admission::dropped);
    EXPECT_EQ(t.dropped_log.back(), (Labels{"low"}));
    EXPECT_FALSE(t.removed.compacted);
    EXPECT_EQ(t.q.count(), 10u) << "the queue is untouched";
    EXPECT_EQ(t.q.bytes(), 1000u);
}

TEST(QueuePolicy, ARefusedFrameStaysUsableForTheRestOfTheFanOut) {
    Fixture t;
    OutQueue other;
    for (int i = 0; i < 10; ++i)
        ASSERT_EQ(t.offer("h" + std::to_string(i), 9), Admission::queued);
    LocalFrame* lf = t.frames.labelled("event", 100, 1, 0, /*users=*/0);
    EXPECT_EQ(t.offer(lf), Admission::dropped);  // the first recipient refuses it
    ASSERT_EQ(lf->users, 0u);
    ASSERT_NE(lf->frame, nullptr) << "not recycled under the fan-out";
    t.lfp.add_user(lf);  // the next recipient takes it
    other.push(lf, t.chunks);
    t.lfp.drop_if_unused(lf);
    EXPECT_EQ(queued_labels(other), (Labels{"event"}));
    other.clear(t.lfp, t.chunks);
}

TEST(QueuePolicy, AReaderThatKeepsUpIsBoundByTheHardLimitOnly) {
    Fixture t;
    t.writing = false;  // its last send completed: a burst within one turn is no lag
    for (int i = 0; i < 40; ++i)
        ASSERT_EQ(t.offer("e" + std::to_string(i), 1), Admission::queued) << i;
    EXPECT_EQ(t.q.bytes(), 4000u);
    EXPECT_TRUE(t.dropped_log.empty()) << "nothing dropped";
    EXPECT_EQ(t.offer("over", 10), Admission::overflow) << "max_queue holds whatever the policy";
    EXPECT_EQ(t.q.count(), 40u);

    // Its socket fills up (a send stays pending): now it is behind, and the next
    // frame compacts the queue down to 3/4 of the soft limit.
    t.writing = true;
    EXPECT_EQ(t.offer("next", 5), Admission::queued);
    EXPECT_EQ(t.q.bytes(), 700u);
    EXPECT_EQ(queued_labels(t.q).back(), "next");
}

TEST(QueuePolicy, AFrameInFlightStaysAndTheNewcomerGoesIfNothingElseCan) {
    Fixture t;
    t.writing = false;
    EXPECT_EQ(t.offer("big", 5, 3000), Admission::queued);
    t.q.set_in_flight(1);  // being written, and the socket is full
    t.writing = true;
    EXPECT_EQ(t.offer("next", 5), Admission::dropped);
    EXPECT_EQ(t.dropped_log.back(), (Labels{"next"}));
    EXPECT_EQ(queued_labels(t.q), (Labels{"big"}));
}

TEST(QueuePolicy, DisconnectClosesPastTheSoftLimitAndCountsTheHardOneApart) {
    Fixture t;
    t.limits.policy = SlowReaderPolicy::disconnect;
    for (int i = 0; i < 10; ++i)
        ASSERT_EQ(t.offer("e" + std::to_string(i), 5), Admission::queued);
    EXPECT_EQ(t.offer("N", 10), Admission::disconnect) << "whatever its priority";
    EXPECT_EQ(t.q.count(), 10u) << "nothing dropped, nothing queued";
    t.limits.hard = 1000;
    EXPECT_EQ(t.offer("M", 5), Admission::overflow) << "past max_queue as well";
    t.writing = false;
    t.limits.hard = 4000;
    EXPECT_EQ(t.offer("O", 5), Admission::queued) << "keeping up: not a slow reader";
}

TEST(QueuePolicy, DropClosesWhenWhatMayNotGoExceedsTheHardLimit) {
    Fixture t;
    t.limits.hard = 1500;
    for (int i = 0; i < 10; ++i)  // responses: kept, pushed past the limit by send_copy
        t.q.push(t.frames.labelled("r" + std::to_string(i), 200, SharedFrame::kKeepPriority),
                 t.chunks);
    EXPECT_EQ(t.offer("N", 9), Admission::overflow);
    EXPECT_EQ(t.q.count(), 10u) << "the newcomer went, the kept frames stayed";
}

TEST(QueuePolicy, ARefusedHighPriorityEventIsOrderedLikeTheOthers) {
    Fixture t;
    // Ids stay increasing whatever is dropped: the queue never reorders.
    for (int i = 0; i < 30; ++i)  // six 9s: 600 bytes, less than the 750 of the target
        t.offer("e" + std::to_string(i), uint8_t(i % 5 == 0 ? 9 : 1));
    std::vector<std::string> q = queued_labels(t.q);
    for (size_t i = 1; i < q.size(); ++i)
        EXPECT_LT(std::stoi(q[i - 1].substr(1)), std::stoi(q[i].substr(1)));
    EXPECT_LT(q.size(), 30u);
    for (int i = 0; i < 30; i += 5)
        EXPECT_NE(std::find(q.begin(), q.end(), "e" + std::to_string(i)), q.end())
            << "every 9 is still there: the 1s made the room";
}

// A reader stuck at the limit: the queue is walked about once per quarter of the
// limit in new bytes, not once per event, and never holds more than the limit.
TEST(QueuePolicy, HysteresisAmortisesCompactions) {
    Fixture t;
    t.limits.soft = 100'000;
    t.limits.hard = 400'000;
    RINGCAST_SEEDED_RNG(rng);
    const int kEvents = 20'000;
    int decisions = 0;
    for (int i = 0; i < kEvents; ++i) {
        size_t size = size_t(rng.between(80, 120));
        LocalFrame* lf = t.frames.labelled("e", size, uint8_t(rng.between(0, 8)), 0, 0);
        decisions += t.q.bytes() + size > t.limits.soft;
        t.offer(lf);
        t.lfp.drop_if_unused(lf);
        ASSERT_LE(t.q.bytes(), t.limits.soft) << "event " << i;
    }
    // One fill from 3/4 of the limit to the limit is ~250 events here. A walk
    // that reaches the target ends a fill; one that does not drops every frame
    // up to the newcomer's priority and raises min_priority(), so it happens at
    // most once per priority per fill. Measured: far fewer.
    ASSERT_GT(t.walks, 0);
    double events_per_walk = double(kEvents) / t.walks;
    EXPECT_GE(events_per_walk, 25.0)
        << t.walks << " walks for " << decisions << " events over the limit";
    RecordProperty("events_per_walk", std::to_string(events_per_walk));
    std::printf("[   info   ] %d walks, %d events over the limit, %.1f events per walk\n", t.walks,
                decisions, events_per_walk);
}

// Priorities all equal (the common case: everything 5): every walk reaches the
// target, so exactly one walk per quarter of the limit.
TEST(QueuePolicy, OneWalkPerQuarterOfTheLimitWhenPrioritiesAreEqual) {
    Fixture t;
    t.limits.soft = 100'000;
    t.limits.hard = 400'000;
    for (int i = 0; i < 10'000; ++i)
        ASSERT_NE(t.offer("e", 5), Admission::dropped) << "the newcomer is never the one to go";
    // 1,000,000 bytes offered, 100,000 fill the queue, then one walk per 25,000+.
    EXPECT_GE(t.walks, 30);
    EXPECT_LE(t.walks, 37);
}

}  // namespace
}  // namespace ringcast

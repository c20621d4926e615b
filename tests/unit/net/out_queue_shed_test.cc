// OutQueue::shed(): what a slow reader loses. Which frames go (lowest priority
// first, oldest first within a priority, the newcomer a candidate), which never do
// (kept frames, frames in flight, a partly written first frame), that the rest
// keep their order, and that bytes, counts and chunks stay exact.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/out_queue.h"
#include "support/frames.h"
#include "support/random.h"

namespace ringcast {
namespace {

using test::Frames;
using test::labels_of;
using test::queued_labels;
using Labels = std::vector<std::string>;

constexpr uint8_t kKeep = SharedFrame::kKeepPriority;

struct Fixture {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames{lfp};
    OutQueue q;
    RemovedFrames removed;

    // Pushes 100-byte frames named by `labels` with the given priorities.
    void push(const Labels& labels, const std::vector<uint8_t>& priorities) {
        for (size_t i = 0; i < labels.size(); ++i)
            q.push(frames.labelled(labels[i], 100, priorities[i]), chunks);
    }
    void shed(uint64_t target, uint64_t limit, int64_t now = 0) {
        q.shed(target, limit, now, &removed, chunks);
    }
    ~Fixture() {
        test::release_all(removed, lfp);
        q.clear(lfp, chunks);
        EXPECT_EQ(lfp.live(), 0u);
        EXPECT_EQ(chunks.live(), 0u);
        for (size_t i = 0; i < frames.size(); ++i)
            EXPECT_EQ(frames.refs(i), 1u) << "frame " << i << " released once";
    }
};

TEST(OutQueueShed, LowestPriorityFirstOldestFirstWithinAPriority) {
    Fixture t;
    t.push({"A", "B", "C", "D", "E", "N"}, {5, 1, 3, 1, 5, 5});
    t.shed(300, 500);
    // Down to the target: both 1s (B, D), then the 3 (C); A (5) is not needed.
    EXPECT_EQ(labels_of(t.removed.dropped), (Labels{"B", "C", "D"})) << "in queue order";
    EXPECT_TRUE(t.removed.compacted);
    EXPECT_EQ(queued_labels(t.q), (Labels{"A", "E", "N"})) << "the rest keeps its order";
    EXPECT_EQ(t.q.bytes(), 300u);
    EXPECT_EQ(t.q.count(), 3u);
    EXPECT_EQ(t.q.min_priority(), 5u);
}

TEST(OutQueueShed, OldestOfTheCutPriorityGoFirst) {
    Fixture t;
    t.push({"A", "B", "C", "D", "N"}, {4, 4, 4, 4, 4});
    t.shed(300, 400);
    EXPECT_EQ(labels_of(t.removed.dropped), (Labels{"A", "B"}));
    EXPECT_EQ(queued_labels(t.q), (Labels{"C", "D", "N"}));
}

TEST(OutQueueShed, TheNewcomerIsDroppedWhenItIsTheLowest) {
    Fixture t;
    t.push({"A", "B", "N"}, {5, 7, 1});
    t.shed(150, 250);
    EXPECT_EQ(labels_of(t.removed.dropped), (Labels{"N"}));
    EXPECT_EQ(queued_labels(t.q), (Labels{"A", "B"})) << "nothing else for the margin";
    EXPECT_EQ(t.q.bytes(), 200u);
}

TEST(OutQueueShed, FramesThatOutrankTheNewcomerAreNotDroppedForTheMargin) {
    Fixture t;
    // 300 bytes of 9s and a 1 queued, a 5 arrives, the queue is over the limit.
    // The 1 goes; the queue is then within the limit but above target, and the
    // 9s outrank the newcomer: none of them goes for the margin, the newcomer
    // (now the lowest frame) does.
    t.push({"A", "B", "L", "C", "N"}, {9, 9, 1, 9, 5});
    t.shed(100, 450);
    EXPECT_EQ(labels_of(t.removed.dropped), (Labels{"L", "N"}));
    EXPECT_EQ(queued_labels(t.q), (Labels{"A", "B", "C"}));
    EXPECT_EQ(t.q.bytes(), 300u);
}

TEST(OutQueueShed, FramesThatOutrankTheNewcomerGoOnlyForTheLimit) {
    Fixture t;
    // Kept frames fill the queue past the limit by themselves (send_copy does not
    // ask): the newcomer goes, then the 9s, oldest first, until the limit holds.
    t.push({"r0", "r1", "A", "B", "C", "N"}, {kKeep, kKeep, 9, 9, 9, 5});
    t.shed(100, 350);
    EXPECT_EQ(labels_of(t.removed.dropped), (Labels{"A", "B", "N"}));
    EXPECT_EQ(queued_labels(t.q), (Labels{"r0", "r1", "C"}));
    // Now a 9 arrives: the older 9s come before it and go down to the target,
    // as far as the kept frames let them.
    t.push({"r2", "D", "E", "M"}, {kKeep, 9, 9, 9});
    test::release_all(t.removed, t.lfp);
    t.shed(100, 450);
    EXPECT_EQ(labels_of(t.removed.dropped), (Labels{"C", "D", "E"}));
    EXPECT_EQ(queued_labels(t.q), (Labels{"r0", "r1", "r2", "M"}));
}

TEST(OutQueueShed, ALowNewcomerLeftAboveTargetByHigherFramesGoesForTheMargin) {
    Fixture t;
    // Every older 1 is gone and the 9s alone keep the queue above target: the
    // newcomer is now the lowest frame, so it goes too, and min_priority() is
    // exact (9) for the next one, which is then refused without a walk.
    t.push({"A", "L", "B", "N"}, {9, 1, 9, 1});
    t.shed(100, 350);
    EXPECT_EQ(labels_of(t.removed.dropped), (Labels{"L", "N"}));
    EXPECT_EQ(queued_labels(t.q), (Labels{"A", "B"}));
    EXPECT_EQ(t.q.min_priority(), 9u);
}

TEST(OutQueueShed, NineAndTenStayWhileAnythingLowerIsQueued) {
    Fixture t;
    Labels labels;
    std::vector<uint8_t> prios;
    for (int i = 0; i < 10; ++i) {
        labels.push_back("h" + std::to_string(i));
        prios.push_back(i % 2 ? 10 : 9);
        labels.push_back("l" + std::to_string(i));
        prios.push_back(uint8_t(i % 9));
    }
    labels.push_back("N");
    prios.push_back(8);
    t.push(labels, prios);
    t.shed(0, 1000);  // drop as much as the rules allow
    // Everything below 9 goes (N last of all of them: it is the youngest 8, and
    // the queue is still over target with the 9s and 10s); no 9 or 10 does,
    // because the limit is met without them.
    ASSERT_EQ(t.removed.dropped.size(), 11u);
    for (const LocalFrame* lf : t.removed.dropped)
        EXPECT_LT(lf->frame->priority(), 9u);
    EXPECT_EQ(queued_labels(t.q),
              (Labels{"h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9"}));
}

TEST(OutQueueShed, NinesGoOldestFirstOnceNothingLowerIsLeft) {
    Fixture t;
    t.push({"A", "B", "C", "D", "E", "F", "N"}, {9, 9, 9, 9, 9, 9, 9});
    t.shed(300, 600);
    EXPECT_EQ(labels_of(t.removed.dropped), (Labels{"A", "B", "C", "D"}));
    EXPECT_EQ(queued_labels(t.q), (Labels{"E", "F", "N"}));
}

TEST(OutQueueShed, KeptFramesAreNeverDropped) {
    Fixture t;
    t.push({"handshake", "A", "reply", "B", "C", "N"}, {kKeep, 0, kKeep, 3, 10, 0});
    t.shed(0, 0);
    EXPECT_EQ(labels_of(t.removed.dropped), (Labels{"A", "B", "C", "N"}));
    EXPECT_EQ(queued_labels(t.q), (Labels{"handshake", "reply"}));
    EXPECT_EQ(t.q.bytes(), 200u);
    EXPECT_EQ(t.q.min_priority(), kKeep) << "nothing droppable left";
}

TEST(OutQueueShed, TheFramesOfTheSendInFlightStayWhereTheyAre) {
    Fixture t;
    t.push({"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9"},
           {0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    std::vector<iovec> iov(10);
    size_t total = 0;
    ASSERT_EQ(t.q.gather(iov.data(), 4, &total, 0), 4u);
    t.q.set_in_flight(4);
    const char* f1 = static_cast<const char*>(iov[1].iov_base);

    t.shed(0, 0);
    EXPECT_EQ(t.removed.dropped.size(), 6u);
    EXPECT_EQ(queued_labels(t.q), (Labels{"f0", "f1", "f2", "f3"}));
    EXPECT_EQ(t.q.bytes(), 400u);
    test::release_all(t.removed, t.lfp);

    // The send completes short: f0 and half of f1. The rest of f1 is on its way
    // out, f2 and f3 may go now.
    t.q.consume(150, t.lfp, t.chunks);
    EXPECT_EQ(t.q.in_flight(), 0u);
    t.shed(0, 0);
    EXPECT_EQ(labels_of(t.removed.dropped), (Labels{"f2", "f3"}));
    ASSERT_EQ(t.q.count(), 1u);
    EXPECT_EQ(t.q.bytes(), 50u);
    std::vector<iovec> rest(2);
    ASSERT_EQ(t.q.gather(rest.data(), 2, &total, 0), 1u);
    EXPECT_EQ(total, 50u);
    EXPECT_EQ(static_cast<const char*>(rest[0].iov_base), f1 + 50) << "the unsent half of f1";
}

TEST(OutQueueShed, ExpiredFramesGoFirstWhateverTheirPriority) {
    Fixture t;
    t.q.push(t.frames.labelled("old", 100, 10, /*expires_at_ms=*/50), t.chunks);
    t.q.push(t.frames.labelled("A", 100, 1), t.chunks);
    t.q.push(t.frames.labelled("N", 100, 5), t.chunks);
    t.shed(200, 250, /*now=*/60);
    EXPECT_EQ(labels_of(t.removed.expired), (Labels{"old"}));
    EXPECT_TRUE(t.removed.dropped.empty()) << "the expired frame made the room";
    EXPECT_EQ(queued_labels(t.q), (Labels{"A", "N"}));
    EXPECT_EQ(t.q.bytes(), 200u);
}

TEST(OutQueueShed, EmptiedChunksGoBackAndTheQueueStaysUsable) {
    Fixture t;
    for (int i = 0; i < 50; ++i)  // four chunks
        t.q.push(t.frames.labelled("e" + std::to_string(i), 100, i < 45 ? 2 : 6), t.chunks);
    EXPECT_EQ(t.chunks.live(), 4u);
    t.shed(500, 600);
    EXPECT_EQ(t.q.count(), 5u);
    EXPECT_EQ(t.chunks.live(), 1u);
    t.q.push(t.frames.labelled("more", 100, 6), t.chunks);
    EXPECT_EQ(queued_labels(t.q), (Labels{"e45", "e46", "e47", "e48", "e49", "more"}));
    t.shed(0, 0);
    EXPECT_TRUE(t.q.empty());
    EXPECT_EQ(t.q.bytes(), 0u);
    EXPECT_EQ(t.chunks.live(), 0u);
    t.q.push(t.frames.labelled("again", 100, 6), t.chunks);
    EXPECT_EQ(queued_labels(t.q), (Labels{"again"}));
}

// Random queues: random sizes, priorities (some kept), expiries, a send in flight
// or a partly written first frame. Whatever shed() does must follow the rules.
TEST(OutQueueShed, RandomQueuesFollowTheRules) {
    RINGCAST_SEEDED_RNG(rng);
    for (int round = 0; round < 3000; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        Fixture t;
        struct Item {
            std::string label;
            uint32_t size;
            uint8_t priority;
            bool expired;
        };
        std::vector<Item> items;
        const int n = int(rng.between(1, 70));
        const int64_t now = 1000;
        for (int i = 0; i < n; ++i) {
            Item it{"i" + std::to_string(i), uint32_t(rng.between(8, 300)),
                    rng.chance(0.1) ? kKeep : uint8_t(rng.between(0, 10)), rng.chance(0.1)};
            items.push_back(it);
            t.q.push(t.frames.labelled(it.label, it.size, it.priority, it.expired ? now - 1 : 0),
                     t.chunks);
        }
        // Part of the front is fixed: in flight, or partly written.
        uint32_t fixed = 0;
        uint64_t written = 0;
        if (rng.chance(0.3)) {
            fixed = uint32_t(rng.between(1, std::min(n, 64)));
            t.q.set_in_flight(fixed);
        } else if (rng.chance(0.3)) {
            written = rng.between(1, items[0].size - 1);
            t.q.consume(written, t.lfp, t.chunks);
            fixed = 1;
        }
        uint64_t bytes = t.q.bytes();
        uint64_t limit = rng.between(0, bytes + 100);
        uint64_t target = rng.between(0, limit);
        t.shed(target, limit, now);

        std::set<std::string> dropped, expired;
        for (const std::string& l : labels_of(t.removed.dropped))
            dropped.insert(l);
        for (const std::string& l : labels_of(t.removed.expired))
            expired.insert(l);
        std::vector<std::string> kept = queued_labels(t.q);
        if (written) kept[0] = items[0].label;  // the unsent part starts mid-label

        // Every frame is in exactly one place, the kept ones in their order.
        std::vector<std::string> expect_kept;
        uint64_t kept_bytes = 0;
        for (size_t i = 0; i < items.size(); ++i) {
            const Item& it = items[i];
            bool is_fixed = i < fixed, droppable = !is_fixed && it.priority != kKeep;
            if (!droppable) {
                ASSERT_FALSE(dropped.count(it.label) || expired.count(it.label)) << it.label;
            } else if (it.expired) {
                ASSERT_TRUE(expired.count(it.label)) << it.label << ": expired frames go";
                continue;
            }
            if (dropped.count(it.label)) continue;
            expect_kept.push_back(it.label);
            kept_bytes += it.size;
        }
        ASSERT_EQ(kept, expect_kept);
        ASSERT_EQ(t.q.bytes(), kept_bytes - written) << "byte accounting";
        ASSERT_EQ(t.q.count(), expect_kept.size());

        // What was dropped is a prefix of the drop order: (priority, age), the
        // newest the youngest of its priority.
        std::vector<size_t> order;
        for (size_t i = fixed; i < items.size(); ++i)
            if (items[i].priority != kKeep && !items[i].expired) order.push_back(i);
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return items[a].priority < items[b].priority; });
        bool seen_kept = false;
        for (size_t i : order) {
            bool gone = dropped.count(items[i].label) > 0;
            ASSERT_FALSE(gone && seen_kept)
                << items[i].label << " (priority " << int(items[i].priority)
                << ") dropped after a frame that comes before it was kept";
            seen_kept |= !gone;
        }
        // And only as much as needed: droppable frames left means the queue is
        // within the limit; above the target, everything ordered before the
        // newest is gone.
        if (seen_kept) {
            ASSERT_LE(t.q.bytes(), limit);
        }
        const Item& newest = items.back();
        bool newest_droppable = fixed < items.size() && newest.priority != kKeep && !newest.expired;
        if (t.q.bytes() > target && newest_droppable) {
            for (size_t i = fixed; i + 1 < items.size(); ++i) {
                if (items[i].priority == kKeep || items[i].priority > newest.priority) continue;
                ASSERT_FALSE(std::count(kept.begin(), kept.end(), items[i].label))
                    << items[i].label << " kept while the queue is above target";
            }
        }
        // Dropping stops once the floor is met: at most one frame more than needed.
        uint32_t largest = 0;
        for (const LocalFrame* lf : t.removed.dropped)
            largest = std::max(largest, lf->frame->size());
        if (!t.removed.dropped.empty()) {
            ASSERT_GT(t.q.bytes() + largest, target) << "dropped more than it had to";
        }
        // min_priority() bounds every frame still queued that is not kept.
        for (size_t i = 0; i < items.size(); ++i)
            if (items[i].priority != kKeep &&
                std::count(kept.begin(), kept.end(), items[i].label)) {
                ASSERT_GE(items[i].priority, t.q.min_priority()) << items[i].label;
            }
        test::release_all(t.removed, t.lfp);
    }
}

}  // namespace
}  // namespace ringcast

// SnapshotSlot: the value published last is what readers get; a writer stopped
// half-way through a fill leaves readers the previous value, without waiting;
// a scrape pinning a buffer makes the writer skip rather than overwrite it;
// and real writer and reader threads never see a torn or older value. Then the
// MetricsBoard over it: one slot per shard, read in shard order.
#include "core/snapshot_slot.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ops/metrics_board.h"

namespace ringcast {
namespace {

// A value that tears visibly: every element is the same number.
using Value = std::vector<uint64_t>;
Value value_of(uint64_t n) {
    return Value(64, n);
}

TEST(SnapshotSlot, ReadsTheLastPublished) {
    SnapshotSlot<Value> slot;
    EXPECT_TRUE(slot.read().empty());  // nothing published yet
    for (uint64_t n = 1; n <= 5; ++n) {
        ASSERT_TRUE(slot.publish([&](Value& v) { v = value_of(n); }));
        EXPECT_EQ(slot.read(), value_of(n));
    }
}

TEST(SnapshotSlot, FillSeesTheValueOfTwoPublishesAgo) {
    SnapshotSlot<Value> slot;
    slot.publish([](Value& v) { v = value_of(1); });
    slot.publish([](Value& v) { v = value_of(2); });
    Value seen;
    slot.publish([&](Value& v) {
        seen = v;
        v = value_of(3);
    });
    EXPECT_EQ(seen, value_of(1));  // reused buffer: the filler overwrites it all
    EXPECT_EQ(slot.read(), value_of(3));
}

// The writer's thread stops inside fill (a debugger, a stuck loop): a reader
// gets the complete previous value at once.
TEST(SnapshotSlot, AWriterStoppedMidFillBlocksNoReader) {
    SnapshotSlot<Value> slot;
    slot.publish([](Value& v) { v = value_of(1); });
    std::atomic<bool> filling{false}, release{false};
    std::thread writer([&] {
        slot.publish([&](Value& v) {
            v.assign(32, 2);  // half written
            filling = true;
            while (!release)
                std::this_thread::yield();
            v = value_of(2);
        });
    });
    while (!filling)
        std::this_thread::yield();
    EXPECT_EQ(slot.read(), value_of(1));
    release = true;
    writer.join();
    EXPECT_EQ(slot.read(), value_of(2));
}

// A value whose copy waits until released: a reader caught in the middle of its copy.
struct Slow {
    static inline std::atomic<bool> copying{false}, release{false};
    uint64_t n = 0;
    Slow() = default;
    Slow(const Slow& o) : n(o.n) {
        copying = true;
        while (!release)
            std::this_thread::yield();
    }
    Slow& operator=(const Slow& o) = default;
};

// A reader copying the idle buffer (it read it before the last flip) makes the
// writer skip: the copy in progress is never overwritten.
TEST(SnapshotSlot, APinnedBufferIsSkippedNotOverwritten) {
    SnapshotSlot<Slow> slot;
    slot.publish([](Slow& s) { s.n = 1; });  // buffer 1 is current
    uint64_t got = 0;
    std::thread reader([&] { got = slot.read().n; });  // pins buffer 1
    while (!Slow::copying)
        std::this_thread::yield();
    EXPECT_TRUE(slot.publish([](Slow& s) { s.n = 2; }));   // buffer 0: free
    EXPECT_FALSE(slot.publish([](Slow& s) { s.n = 3; }));  // buffer 1: pinned, skipped
    Slow::release = true;
    reader.join();
    EXPECT_EQ(got, 1u);
    EXPECT_TRUE(slot.publish([](Slow& s) { s.n = 3; }));  // unpinned: the retry goes in
    Slow::copying = false;
    EXPECT_EQ(slot.read().n, 3u);
}

// One writer publishing 1, 2, 3... as fast as it can, two readers reading:
// every value read is whole, and no reader ever sees an older value than it saw.
TEST(SnapshotSlot, ThreadsNeverSeeTornOrOlderValues) {
    SnapshotSlot<Value> slot;
    constexpr uint64_t kLast = 20'000;
    std::atomic<bool> done{false};
    std::atomic<uint64_t> torn{0}, backwards{0}, reads{0};
    std::atomic<unsigned> reading{0};
    auto read_until_done = [&] {
        uint64_t seen = 0;
        bool first = true;
        while (!done) {
            const Value v = slot.read();
            reads.fetch_add(1, std::memory_order_relaxed);
            if (first) reading.fetch_add(1);
            first = false;
            if (v.empty()) continue;
            for (uint64_t x : v)
                if (x != v[0]) {
                    torn.fetch_add(1);
                    break;
                }
            if (v[0] < seen) backwards.fetch_add(1);
            seen = v[0];
        }
    };
    std::thread r1(read_until_done), r2(read_until_done);
    // The writer starts once both readers have read: on a busy machine it could
    // otherwise publish every value before a reader was even scheduled.
    while (reading.load() < 2)
        std::this_thread::yield();
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    uint64_t skipped = 0;
    for (uint64_t n = 1; n <= kLast && std::chrono::steady_clock::now() < give_up;) {
        if (slot.publish([&](Value& v) { v = value_of(n); }))
            ++n;
        else
            ++skipped;  // a reader held the idle buffer: again
    }
    done = true;
    r1.join();
    r2.join();
    EXPECT_EQ(slot.read(), value_of(kLast));
    EXPECT_EQ(torn.load(), 0u);
    EXPECT_EQ(backwards.load(), 0u);
    EXPECT_GT(reads.load(), 0u);
    RecordProperty("skipped", int(skipped));
}

TEST(MetricsBoard, EveryShardsLatestInShardOrder) {
    MetricsBoard board(3);
    EXPECT_EQ(board.shards(), 3u);
    for (unsigned s = 0; s < 3; ++s)
        ASSERT_TRUE(board.publish(s, [&](ShardSnapshot& snap) {
            snap.taken_ns = 100 + s;
            snap.streams = 10 * s;
        }));
    board.publish(1, [](ShardSnapshot& snap) {
        snap.taken_ns = 200;
        snap.streams = 11;
    });
    std::vector<ShardSnapshot> all = board.read_all();
    ASSERT_EQ(all.size(), 3u);
    for (unsigned s = 0; s < 3; ++s)
        EXPECT_EQ(all[s].shard, s);
    EXPECT_EQ(all[0].streams, 0u);
    EXPECT_EQ(all[1].streams, 11u);
    EXPECT_EQ(all[1].taken_ns, 200u);
    EXPECT_EQ(all[2].streams, 20u);
}

}  // namespace
}  // namespace ringcast

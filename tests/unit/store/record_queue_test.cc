// RecordQueue: records from the log shard reach the writer in the order they were
// pushed, through the ring or the waiting queue, and a bounded waiting queue gives
// up its oldest.
#include "store/record_queue.h"

#include <chrono>
#include <deque>
#include <thread>

#include <gtest/gtest.h>

#include "support/events.h"

namespace ringcast {
namespace {

using test::EventRef;
using test::numbered_event;

StoreRecord dropped_record(uint64_t seq, std::string_view user = "") {
    return make_record(StoreRecord::Kind::dropped, Keep::mailbox, seq, nullptr, user);
}

std::vector<uint64_t> sequences(std::deque<StoreRecord>& d) {
    std::vector<uint64_t> out;
    for (StoreRecord& r : d) {
        out.push_back(r.sequence);
        free_record(r);
    }
    d.clear();
    return out;
}

std::vector<uint64_t> range(uint64_t from, uint64_t to) {
    std::vector<uint64_t> v;
    for (uint64_t i = from; i <= to; ++i)
        v.push_back(i);
    return v;
}

TEST(StoreRecord, TextInlineOrOnTheHeap) {
    for (size_t len :
         {size_t(0), size_t(1), StoreRecord::kInline, StoreRecord::kInline + 1, size_t(5000)}) {
        std::string user(len, 'u');
        StoreRecord r = dropped_record(1, user);
        EXPECT_EQ(r.text(), user);
        StoreRecord copy = r;  // through the ring: a plain copy
        EXPECT_EQ(copy.text(), user);
        free_record(copy);
    }
}

TEST(StoreRecord, KeptHoldsAReference) {
    EventRef e(numbered_event("c", 1));
    StoreRecord r = make_record(StoreRecord::Kind::kept, Keep::history, 1, e.get(), "");
    EXPECT_EQ(e->ref_count(), 2u);
    free_record(r);
    EXPECT_EQ(e->ref_count(), 1u);
}

TEST(RecordQueue, FullRingSendsRecordsToTheWaitingQueueAndBackInOrder) {
    RecordQueue q(8, 1000);
    for (uint64_t i = 1; i <= 30; ++i)
        q.push(dropped_record(i));
    EXPECT_EQ(q.pushed(), 30u);
    EXPECT_EQ(q.waiting(), 22u);
    std::deque<StoreRecord> got;
    q.drain(&got);
    EXPECT_EQ(sequences(got), range(1, 8));
    // The ring has room again, but new records queue behind the waiting ones.
    q.push(dropped_record(31));
    EXPECT_EQ(q.waiting(), 23u);
    q.drain(&got);
    EXPECT_TRUE(got.empty());
    q.poll();
    EXPECT_EQ(q.waiting(), 15u);
    q.drain(&got);
    EXPECT_EQ(sequences(got), range(9, 16));
    for (int i = 0; i < 3; ++i) {
        q.poll();
        q.drain(&got);
    }
    EXPECT_EQ(q.waiting(), 0u);
    EXPECT_EQ(sequences(got), range(17, 31));
    EXPECT_EQ(q.given_up(), 0u);
}

TEST(RecordQueue, WaitingQueueGivesUpItsOldest) {
    RecordQueue q(4, 10);
    EventRef e(numbered_event("c", 1));
    q.set_high(77);
    for (uint64_t i = 1; i <= 30; ++i)
        q.push(make_record(StoreRecord::Kind::kept, Keep::history, i, e.get(), ""));
    EXPECT_EQ(q.given_up(), 16u);
    EXPECT_EQ(q.waiting(), 10u);
    EXPECT_EQ(q.lost_high(), 77u) << "everything numbered so far may have lost a record";
    EXPECT_EQ(e->ref_count(), 1u + 4 + 10) << "given-up records let go of their event";
    std::deque<StoreRecord> got;
    q.take_all(&got);
    std::vector<uint64_t> want = range(1, 4);
    for (uint64_t i = 21; i <= 30; ++i)
        want.push_back(i);
    EXPECT_EQ(sequences(got), want) << "the ring's, then the newest that waited";
    EXPECT_EQ(e->ref_count(), 1u);
}

TEST(RecordQueue, MarksAreTheLatestValues) {
    RecordQueue q(4, 10);
    q.set_high(5);
    q.set_high(9);
    q.set_floor(3);
    EXPECT_EQ(q.high(), 9u);
    EXPECT_EQ(q.floor(), 3u);
}

TEST(RecordQueue, DestructorFreesWhatIsLeft) {
    EventRef e(numbered_event("c", 1));
    {
        RecordQueue q(4, 100);
        for (int i = 0; i < 20; ++i)
            q.push(make_record(StoreRecord::Kind::kept, Keep::mailbox, 1, e.get(),
                               std::string(100, 'u')));
        EXPECT_EQ(e->ref_count(), 21u);
    }
    EXPECT_EQ(e->ref_count(), 1u);
}

// A real consumer on another thread: every record arrives once, in order.
TEST(RecordQueue, OrderAcrossThreads) {
    RecordQueue q(64, 1 << 20);
    constexpr uint64_t kCount = 200'000;
    std::atomic<bool> done{false};
    std::vector<uint64_t> seen;
    std::thread writer([&] {
        std::deque<StoreRecord> got;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            bool finished = done.load(std::memory_order_acquire);
            q.drain(&got);
            for (StoreRecord& r : got) {
                seen.push_back(r.sequence);
                free_record(r);
            }
            got.clear();
            if (finished && seen.size() == kCount) break;
            std::this_thread::yield();
        }
    });
    for (uint64_t i = 1; i <= kCount; ++i) {
        q.push(dropped_record(i));
        if (i % 100 == 0) q.poll();
    }
    while (q.waiting() > 0) {
        q.poll();
        std::this_thread::yield();
    }
    done.store(true, std::memory_order_release);
    writer.join();
    ASSERT_EQ(seen.size(), kCount);
    for (uint64_t i = 0; i < kCount; ++i)
        ASSERT_EQ(seen[i], i + 1);
}

}  // namespace
}  // namespace ringcast

// SpscRing: single-threaded contracts (capacity, full, publish visibility), then
// a real producer thread and consumer thread moving millions of values, which
// must arrive in order with nothing lost, duplicated or torn.
#include "core/spsc_ring.h"

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/random.h"

namespace ringcast {
namespace {

std::vector<uint64_t> drain(SpscRing<uint64_t>& r, size_t max = SIZE_MAX) {
    std::vector<uint64_t> out;
    r.consume([&](const uint64_t& v) { out.push_back(v); }, max);
    return out;
}

TEST(SpscRing, CapacityRoundsUpToAPowerOfTwoOfAtLeastTwo) {
    const std::pair<size_t, size_t> cases[] = {
        {0, 2}, {1, 2},       {2, 2},       {3, 4},       {4, 4},
        {5, 8}, {1000, 1024}, {1024, 1024}, {1025, 2048}, {16384, 16384}};
    for (auto [asked, want] : cases) {
        SpscRing<uint64_t> r(asked);
        EXPECT_EQ(r.capacity(), want) << "asked " << asked;
    }
}

TEST(SpscRing, FullRingRefusesAndOverwritesNothing) {
    SpscRing<uint64_t> r(4);
    for (uint64_t i = 0; i < 4; ++i)
        EXPECT_TRUE(r.try_push(i));
    EXPECT_FALSE(r.try_push(100));
    EXPECT_TRUE(r.publish());
    EXPECT_FALSE(r.try_push(101)) << "publishing does not free slots; consuming does";
    EXPECT_EQ(drain(r), (std::vector<uint64_t>{0, 1, 2, 3}));
    // Space is back, and the rejected values never appear.
    for (uint64_t i = 4; i < 8; ++i)
        EXPECT_TRUE(r.try_push(i));
    EXPECT_FALSE(r.try_push(102));
    r.publish();
    EXPECT_EQ(drain(r), (std::vector<uint64_t>{4, 5, 6, 7}));
    EXPECT_TRUE(drain(r).empty());
}

TEST(SpscRing, FullWithUnpublishedMessages) {
    // The producer's own unpublished messages occupy slots too.
    SpscRing<uint64_t> r(2);
    EXPECT_TRUE(r.try_push(1));
    EXPECT_TRUE(r.try_push(2));
    EXPECT_FALSE(r.try_push(3));
    EXPECT_EQ(r.unpublished(), 2u);
    EXPECT_TRUE(drain(r).empty());
}

TEST(SpscRing, NothingIsVisibleBeforePublish) {
    SpscRing<uint64_t> r(8);
    EXPECT_TRUE(r.empty_for_consumer());
    EXPECT_FALSE(r.publish()) << "nothing new to publish";
    r.try_push(1);
    r.try_push(2);
    EXPECT_EQ(r.unpublished(), 2u);
    EXPECT_TRUE(r.empty_for_consumer());
    EXPECT_TRUE(drain(r).empty());
    EXPECT_TRUE(r.publish());
    EXPECT_EQ(r.unpublished(), 0u);
    EXPECT_FALSE(r.publish());
    EXPECT_FALSE(r.empty_for_consumer());
    r.try_push(3);  // after the publish: stays invisible
    EXPECT_EQ(drain(r), (std::vector<uint64_t>{1, 2}));
    EXPECT_TRUE(r.empty_for_consumer());
    r.publish();
    EXPECT_EQ(drain(r), (std::vector<uint64_t>{3}));
}

TEST(SpscRing, ConsumeRespectsMax) {
    SpscRing<uint64_t> r(16);
    for (uint64_t i = 0; i < 10; ++i)
        r.try_push(i);
    r.publish();
    EXPECT_EQ(drain(r, 3), (std::vector<uint64_t>{0, 1, 2}));
    EXPECT_EQ(drain(r, 0), (std::vector<uint64_t>{}));
    EXPECT_EQ(drain(r, 4), (std::vector<uint64_t>{3, 4, 5, 6}));
    EXPECT_FALSE(r.empty_for_consumer());
    EXPECT_EQ(drain(r), (std::vector<uint64_t>{7, 8, 9}));
    EXPECT_TRUE(r.empty_for_consumer());
}

TEST(SpscRing, IndicesWrapManyTimesSingleThreaded) {
    RINGCAST_SEEDED_RNG(rng);
    SpscRing<uint64_t> r(8);
    uint64_t next_push = 0, next_pop = 0;
    for (int step = 0; step < 100'000; ++step) {
        size_t pushes = rng.below(10);
        for (size_t i = 0; i < pushes; ++i) {
            bool room = next_push - next_pop < r.capacity();
            ASSERT_EQ(r.try_push(next_push), room) << "step " << step;
            if (room) ++next_push;
        }
        r.publish();
        size_t max = rng.below(10);
        size_t got = r.consume([&](const uint64_t& v) { ASSERT_EQ(v, next_pop++); }, max);
        ASSERT_LE(got, max);
    }
}

// A slot big enough to be written with more than one store, to catch a consumer
// reading a slot before the producer's writes to it are visible.
struct Message {
    uint64_t seq;
    uint64_t check;  // ~seq
    uint64_t pad[2];
};

// The consumer stops only when the producer has finished and the ring is then
// empty, so a lost value shows up as a short count rather than a hang.
TEST(SpscRing, TwoThreadsMillionsInOrderNothingLostOrDuplicated) {
    RINGCAST_SEEDED_RNG(rng);
    constexpr uint64_t kCount = 4'000'000;
    SpscRing<Message> ring(1024);  // small, so the producer keeps hitting "full"
    const uint64_t producer_seed = rng.engine()();
    std::atomic<bool> producer_done{false};

    std::thread producer([&] {
        test::Rng prng(producer_seed);
        uint64_t next = 0;
        while (next < kCount) {
            // Batches of random size, published together, as shards do.
            uint64_t batch = prng.between(1, 300);
            for (uint64_t i = 0; i < batch && next < kCount; ++i) {
                Message m{next, ~next, {next, next}};
                while (!ring.try_push(m)) {
                    ring.publish();  // let the consumer see what is queued, then wait
                    std::this_thread::yield();
                }
                ++next;
            }
            ring.publish();
        }
        producer_done.store(true, std::memory_order_release);
    });

    uint64_t received = 0, expected = 0, torn = 0, out_of_order = 0;
    for (;;) {
        bool done = producer_done.load(std::memory_order_acquire);
        size_t n = ring.consume([&](const Message& m) {
            if (m.check != ~m.seq || m.pad[0] != m.seq || m.pad[1] != m.seq) ++torn;
            if (m.seq != expected) ++out_of_order;
            expected = m.seq + 1;
        });
        received += n;
        if (n == 0) {
            if (done) break;
            std::this_thread::yield();
        }
    }
    producer.join();
    EXPECT_EQ(out_of_order, 0u);
    EXPECT_EQ(torn, 0u);
    EXPECT_EQ(received, kCount);
    EXPECT_EQ(expected, kCount);
    EXPECT_TRUE(ring.empty_for_consumer());
}

TEST(SpscRing, TwoThreadsWithBoundedConsumeBatches) {
    RINGCAST_SEEDED_RNG(rng);
    constexpr uint64_t kCount = 2'000'000;
    SpscRing<uint64_t> ring(64);
    std::atomic<bool> producer_done{false};
    std::thread producer([&] {
        for (uint64_t v = 0; v < kCount; ++v) {
            while (!ring.try_push(v)) {
                ring.publish();
                std::this_thread::yield();
            }
            if ((v & 15) == 15) ring.publish();
        }
        ring.publish();
        producer_done.store(true, std::memory_order_release);
    });
    uint64_t received = 0, expected = 0, out_of_order = 0, over_max = 0;
    for (;;) {
        bool done = producer_done.load(std::memory_order_acquire);
        size_t max = size_t(rng.between(1, 100));
        size_t n = ring.consume(
            [&](const uint64_t& v) {
                if (v != expected) ++out_of_order;
                expected = v + 1;
            },
            max);
        if (n > max) ++over_max;
        received += n;
        if (n == 0) {
            if (done) break;
            std::this_thread::yield();
        }
    }
    producer.join();
    EXPECT_EQ(out_of_order, 0u);
    EXPECT_EQ(over_max, 0u);
    EXPECT_EQ(received, kCount);
}

}  // namespace
}  // namespace ringcast

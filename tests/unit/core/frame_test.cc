// SharedFrame reference counting across threads, and LocalFramePool's rule that
// a shard gives its one shared reference back exactly when its last local user
// lets go. Shared references are observed with ref_count() while the test holds
// one extra reference of its own, so the frame is never freed under the check.
#include "core/frame.h"

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/random.h"

namespace ringcast {
namespace {

TEST(SharedFrame, CopyOfHoldsTheBytesAndOneReference) {
    SharedFrame* f = SharedFrame::copy_of("hello, world");
    EXPECT_EQ(f->view(), "hello, world");
    EXPECT_EQ(f->size(), 12u);
    EXPECT_EQ(f->capacity(), 12u);
    EXPECT_EQ(f->ref_count(), 1u);
    f->release();

    SharedFrame* empty = SharedFrame::copy_of("");
    EXPECT_EQ(empty->view(), "");
    EXPECT_EQ(empty->size(), 0u);
    empty->release();
}

struct Tagged : SharedFrame {
    uint64_t tag = 0;
    explicit Tagged(uint64_t t) : tag(t) {}
};

TEST(SharedFrame, MakeDerivedTypeWithViewInsideTheBuffer) {
    Tagged* f = SharedFrame::make<Tagged>(16, 77);
    EXPECT_EQ(f->tag, 77u);
    EXPECT_EQ(f->capacity(), 16u);
    std::memcpy(f->writable(), "0123456789abcdef", 16);
    f->set_view(4, 6);
    EXPECT_EQ(f->view(), "456789");
    EXPECT_EQ(f->data(), f->writable() + 4);
    EXPECT_EQ(f->tag, 77u) << "bytes live after the object, not over it";
    f->release();
}

TEST(SharedFrame, RetainAndReleaseCount) {
    SharedFrame* f = SharedFrame::copy_of("x");
    f->retain();
    f->retain(5);
    EXPECT_EQ(f->ref_count(), 7u);
    for (int i = 0; i < 6; ++i)
        f->release();
    EXPECT_EQ(f->ref_count(), 1u);
    EXPECT_EQ(f->view(), "x");
    f->release();
}

TEST(SharedFrame, ConcurrentRetainReleaseKeepsTheCountExact) {
    // Each thread retains and releases in bursts; with the test's own reference
    // held, the count must come back to exactly 1 and never reach 0 on the way.
    SharedFrame* f = SharedFrame::copy_of("payload");
    constexpr int kThreads = 4, kRounds = 200'000;
    std::atomic<bool> go{false};
    std::atomic<uint32_t> min_seen{UINT32_MAX};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            while (!go.load(std::memory_order_acquire))
                std::this_thread::yield();
            uint32_t low = UINT32_MAX;
            for (int i = 0; i < kRounds; ++i) {
                uint32_t burst = uint32_t(1 + (i + t) % 3);
                f->retain(burst);
                uint32_t seen = f->ref_count();
                if (seen < low) low = seen;
                for (uint32_t b = 0; b < burst; ++b)
                    f->release();
            }
            uint32_t prev = min_seen.load();
            while (low < prev && !min_seen.compare_exchange_weak(prev, low)) {
            }
        });
    }
    go.store(true, std::memory_order_release);
    for (auto& th : threads)
        th.join();
    EXPECT_EQ(f->ref_count(), 1u);
    EXPECT_GE(min_seen.load(), 2u) << "a thread saw the count drop below its own references";
    EXPECT_EQ(f->view(), "payload");
    f->release();
}

TEST(SharedFrame, ReferencesHandedToOtherThreadsAreEachReleasedOnce) {
    // The way shards share a frame: the builder retains once per receiver, each
    // receiver releases its reference when done; the last release frees.
    constexpr int kFrames = 2000, kReceivers = 3;
    std::vector<SharedFrame*> frames;
    for (int i = 0; i < kFrames; ++i) {
        SharedFrame* f = SharedFrame::copy_of("frame " + std::to_string(i));
        f->retain(kReceivers);  // plus our own
        frames.push_back(f);
    }
    std::vector<std::thread> receivers;
    std::atomic<int> bad_bytes{0};
    for (int r = 0; r < kReceivers; ++r) {
        receivers.emplace_back([&] {
            for (int i = 0; i < kFrames; ++i) {
                if (frames[size_t(i)]->view() != "frame " + std::to_string(i)) ++bad_bytes;
                frames[size_t(i)]->release();
            }
        });
    }
    for (auto& th : receivers)
        th.join();
    EXPECT_EQ(bad_bytes.load(), 0);
    for (SharedFrame* f : frames) {
        EXPECT_EQ(f->ref_count(), 1u);
        f->release();
    }
}

// --- LocalFramePool ---------------------------------------------------------------

TEST(LocalFramePool, SharedReferenceIsReleasedWhenTheLastUserDrops) {
    LocalFramePool pool;
    SharedFrame* f = SharedFrame::copy_of("event");
    f->retain();  // the test's observer reference; the pool takes over the other
    LocalFrame* lf = pool.wrap(f);
    EXPECT_EQ(lf->frame, f);
    EXPECT_EQ(lf->users, 0u);
    EXPECT_EQ(pool.live(), 1u);

    for (int i = 0; i < 3; ++i)
        pool.add_user(lf);
    EXPECT_EQ(lf->users, 3u);
    EXPECT_EQ(f->ref_count(), 2u) << "local users do not touch the shared count";

    pool.drop_user(lf);
    pool.drop_user(lf);
    EXPECT_EQ(f->ref_count(), 2u);
    EXPECT_EQ(pool.live(), 1u);
    pool.drop_user(lf);
    EXPECT_EQ(f->ref_count(), 1u) << "last local user gives the shard's reference back";
    EXPECT_EQ(pool.live(), 0u);
    f->release();
}

TEST(LocalFramePool, DropIfUnused) {
    LocalFramePool pool;
    SharedFrame* f = SharedFrame::copy_of("nobody here wants this");
    f->retain();
    LocalFrame* lf = pool.wrap(f);
    pool.drop_if_unused(lf);
    EXPECT_EQ(f->ref_count(), 1u);
    EXPECT_EQ(pool.live(), 0u);

    // With users it is a no-op; the users still release normally.
    f->retain();
    LocalFrame* used = pool.wrap(f);
    pool.add_user(used);
    pool.drop_if_unused(used);
    EXPECT_EQ(f->ref_count(), 2u);
    EXPECT_EQ(pool.live(), 1u);
    EXPECT_EQ(used->frame, f);
    pool.drop_user(used);
    EXPECT_EQ(f->ref_count(), 1u);
    EXPECT_EQ(pool.live(), 0u);
    f->release();
}

TEST(LocalFramePool, RecycledHandlesStartFresh) {
    LocalFramePool pool;
    SharedFrame* a = SharedFrame::copy_of("a");
    LocalFrame* la = pool.wrap(a);
    pool.add_user(la);
    pool.add_user(la);
    pool.drop_user(la);
    pool.drop_user(la);  // frees a

    SharedFrame* b = SharedFrame::copy_of("b");
    b->retain();
    LocalFrame* lb = pool.wrap(b);
    EXPECT_EQ(lb->frame, b);
    EXPECT_EQ(lb->users, 0u) << "a recycled handle must not inherit users";
    EXPECT_EQ(pool.live(), 1u);
    pool.add_user(lb);
    pool.drop_user(lb);
    EXPECT_EQ(b->ref_count(), 1u);
    b->release();
}

TEST(LocalFramePool, RandomUsersAcrossManyFrames) {
    RINGCAST_SEEDED_RNG(rng);
    LocalFramePool pool;
    struct Tracked {
        SharedFrame* frame;
        LocalFrame* lf;
        uint32_t users;
    };
    std::vector<Tracked> open;
    size_t wrapped = 0;
    for (int step = 0; step < 50'000; ++step) {
        uint64_t op = rng.below(10);
        if (op < 3 || open.empty()) {
            SharedFrame* f = SharedFrame::copy_of(std::to_string(step));
            f->retain();
            LocalFrame* lf = pool.wrap(f);
            uint32_t users = uint32_t(rng.below(4));
            for (uint32_t u = 0; u < users; ++u)
                pool.add_user(lf);
            if (users == 0) {
                pool.drop_if_unused(lf);
                ASSERT_EQ(f->ref_count(), 1u);
                f->release();
            } else {
                open.push_back({f, lf, users});
            }
            ++wrapped;
        } else {
            size_t i = rng.below(open.size());
            Tracked& t = open[i];
            if (rng.chance(0.3)) {
                pool.add_user(t.lf);
                ++t.users;
            } else {
                pool.drop_user(t.lf);
                --t.users;
                ASSERT_EQ(t.frame->ref_count(), t.users ? 2u : 1u) << "step " << step;
                if (t.users == 0) {
                    t.frame->release();
                    open[i] = open.back();
                    open.pop_back();
                }
            }
        }
        ASSERT_EQ(pool.live(), open.size()) << "step " << step;
    }
    for (Tracked& t : open) {
        while (t.users--)
            pool.drop_user(t.lf);
        EXPECT_EQ(t.frame->ref_count(), 1u);
        t.frame->release();
    }
    EXPECT_EQ(pool.live(), 0u);
    EXPECT_GT(wrapped, 1000u);
}

}  // namespace
}  // namespace ringcast

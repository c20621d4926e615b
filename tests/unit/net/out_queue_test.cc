// OutQueue: a connection's frames, written out by a simulated socket that takes
// arbitrary short writes, and frames whose expiry passes while they wait. What reaches the "socket"
// must be exactly the frames' bytes in order; every LocalFrame user the queue holds must be dropped
// exactly once (observed through the pool's live() count and the frames' shared reference counts,
// with the test holding one reference of its own).
#include "net/out_queue.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/frames.h"
#include "support/random.h"

namespace ringcast {
namespace {

using test::Frames;

std::string gathered(const OutQueue& q, unsigned max, size_t* total = nullptr,
                     int64_t now_wall_ms = 0) {
    std::vector<iovec> iov(max);
    size_t sum = 0;
    unsigned n = q.gather(iov.data(), max, &sum, now_wall_ms);
    std::string s;
    size_t check = 0;
    for (unsigned i = 0; i < n; ++i) {
        s.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
        check += iov[i].iov_len;
    }
    EXPECT_EQ(sum, check) << "*total must be the sum of the iovecs";
    if (total) *total = sum;
    return s;
}

std::string payload(int i) {
    return "event " + std::to_string(i) + std::string(size_t(i % 7), '.') + "\n";
}

TEST(OutQueue, EmptyQueue) {
    OutQueue q;
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.count(), 0u);
    EXPECT_EQ(q.bytes(), 0u);
    iovec iov[4];
    size_t total = 99;
    EXPECT_EQ(q.gather(iov, 4, &total, 0), 0u);
    EXPECT_EQ(total, 0u);
}

TEST(OutQueue, PushGatherAcrossChunkBoundaries) {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    OutQueue q;
    std::string all;
    const int n = 40;  // three chunks of 15 items
    for (int i = 0; i < n; ++i) {
        q.push(frames.make(payload(i)), chunks);
        all += payload(i);
    }
    EXPECT_EQ(q.count(), uint32_t(n));
    EXPECT_EQ(q.bytes(), all.size());
    EXPECT_EQ(chunks.live(), 3u);

    size_t total = 0;
    EXPECT_EQ(gathered(q, 64, &total), all);
    EXPECT_EQ(total, all.size());
    // A smaller iovec budget gathers a prefix, frame by frame.
    std::string first17;
    for (int i = 0; i < 17; ++i)
        first17 += payload(i);
    EXPECT_EQ(gathered(q, 17), first17);

    q.consume(all.size(), lfp, chunks);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.bytes(), 0u);
    EXPECT_EQ(chunks.live(), 0u);
    EXPECT_EQ(lfp.live(), 0u);
    for (size_t i = 0; i < frames.size(); ++i)
        EXPECT_EQ(frames.refs(i), 1u) << i;
}

TEST(OutQueue, ShortWritesKeepTheOffsetIntoTheFirstFrame) {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    OutQueue q;
    q.push(frames.make("abcdef"), chunks);
    q.push(frames.make("XYZ"), chunks);

    q.consume(2, lfp, chunks);
    EXPECT_EQ(gathered(q, 8), "cdefXYZ");
    EXPECT_EQ(q.bytes(), 7u);
    EXPECT_EQ(q.count(), 2u);
    EXPECT_EQ(frames.refs(0), 2u) << "a partly written frame stays queued";

    q.consume(4, lfp, chunks);  // exactly the rest of the first frame
    EXPECT_EQ(frames.refs(0), 1u);
    EXPECT_EQ(q.count(), 1u);
    EXPECT_EQ(gathered(q, 8), "XYZ");

    q.consume(1, lfp, chunks);
    EXPECT_EQ(gathered(q, 1), "YZ");
    q.consume(2, lfp, chunks);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(lfp.live(), 0u);
}

TEST(OutQueue, OneFrameSharedByManyQueuesIsReleasedByTheLastOne) {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    constexpr int kQueues = 5;
    OutQueue qs[kQueues];
    LocalFrame* shared = frames.make("broadcast", kQueues);  // one user per queue
    for (auto& q : qs)
        q.push(shared, chunks);
    EXPECT_EQ(lfp.live(), 1u);
    for (int i = 0; i < kQueues; ++i) {
        EXPECT_EQ(frames.refs(0), 2u) << "still queued somewhere before queue " << i;
        EXPECT_EQ(gathered(qs[i], 4), "broadcast");
        qs[i].consume(9, lfp, chunks);
    }
    EXPECT_EQ(frames.refs(0), 1u);
    EXPECT_EQ(lfp.live(), 0u);
    EXPECT_EQ(chunks.live(), 0u);
}

TEST(OutQueue, ClearDropsEveryUserOnce) {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    OutQueue a, b;
    // Frames shared by both queues, so that a double drop would free one early.
    for (int i = 0; i < 35; ++i) {
        LocalFrame* lf = frames.make(payload(i), 2);
        a.push(lf, chunks);
        b.push(lf, chunks);
    }
    a.consume(payload(0).size() + 3, lfp, chunks);  // mid-frame
    a.clear(lfp, chunks);
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(a.count(), 0u);
    EXPECT_EQ(a.bytes(), 0u);
    EXPECT_EQ(lfp.live(), 35u) << "b still holds every frame";
    for (size_t i = 0; i < frames.size(); ++i)
        EXPECT_EQ(frames.refs(i), 2u) << i;
    EXPECT_EQ(chunks.live(), 3u);

    b.clear(lfp, chunks);
    EXPECT_EQ(lfp.live(), 0u);
    EXPECT_EQ(chunks.live(), 0u);
    for (size_t i = 0; i < frames.size(); ++i)
        EXPECT_EQ(frames.refs(i), 1u) << i;

    // A cleared queue is reusable.
    a.push(frames.make("again"), chunks);
    EXPECT_EQ(gathered(a, 2), "again");
    a.clear(lfp, chunks);
    EXPECT_EQ(lfp.live(), 0u);
}

TEST(OutQueue, RandomShortWritesAndInterleavedPushes) {
    RINGCAST_SEEDED_RNG(rng);
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    OutQueue q;
    std::string expected;  // everything pushed, in order
    std::string socket;    // everything the socket accepted
    size_t queued_frames = 0, done_frames = 0;
    std::vector<size_t> frame_end;  // cumulative end offset of each frame in `expected`

    for (int round = 0; round < 20'000; ++round) {
        // Sometimes a burst of pushes (crossing chunk boundaries), sometimes none.
        size_t pushes = rng.chance(0.4) ? size_t(rng.between(1, 40)) : 0;
        for (size_t i = 0; i < pushes; ++i) {
            std::string bytes =
                payload(int(queued_frames)) +
                std::string(size_t(rng.chance(0.05) ? rng.between(1, 5000) : 0), 'x');
            q.push(frames.make(bytes), chunks);
            expected += bytes;
            frame_end.push_back(expected.size());
            ++queued_frames;
        }
        ASSERT_EQ(q.bytes(), expected.size() - socket.size());
        ASSERT_EQ(q.count(), queued_frames - done_frames);
        if (q.empty()) continue;

        // The socket takes some prefix of what was gathered.
        unsigned max_iov = unsigned(rng.between(1, 20));
        size_t total = 0;
        std::string offered = gathered(q, max_iov, &total);
        ASSERT_EQ(offered, expected.substr(socket.size(), offered.size()));
        size_t n = rng.chance(0.2) ? total : size_t(rng.between(0, total));
        socket += offered.substr(0, n);
        q.consume(n, lfp, chunks);

        // Frames wholly written are released, the others are not.
        while (done_frames < queued_frames && frame_end[done_frames] <= socket.size())
            ++done_frames;
        ASSERT_EQ(lfp.live(), queued_frames - done_frames) << "round " << round;
        if (done_frames > 0) {
            ASSERT_EQ(frames.refs(done_frames - 1), 1u);
        }
        if (done_frames < queued_frames) {
            ASSERT_EQ(frames.refs(done_frames), 2u);
        }
        // Chunks are returned as soon as they are used up: at most one partly
        // consumed chunk at the head beyond what the queued items need.
        size_t needed = (q.count() + OutChunk::kItems - 1) / OutChunk::kItems;
        ASSERT_GE(chunks.live(), needed) << "round " << round;
        ASSERT_LE(chunks.live(), q.empty() ? 0 : needed + 1) << "round " << round;
    }
    q.clear(lfp, chunks);
    EXPECT_EQ(socket, expected.substr(0, socket.size()));
    EXPECT_EQ(lfp.live(), 0u);
    EXPECT_EQ(chunks.live(), 0u);
    for (size_t i = 0; i < frames.size(); ++i)
        ASSERT_EQ(frames.refs(i), 1u) << "frame " << i;
    EXPECT_GT(queued_frames, 10'000u);
}

// --- expiry: an expired frame is never written -------------------------------------

TEST(OutQueue, GatherStopsBeforeAnExpiredFrameAndTheNextSendRemovesIt) {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    OutQueue q;
    q.push(frames.make_with("A", 5), chunks);
    q.push(frames.make_with("B", 5, /*expires_at_ms=*/100), chunks);
    q.push(frames.make_with("C", 5, 500), chunks);
    q.push(frames.make_with("D", 5), chunks);

    EXPECT_EQ(gathered(q, 8, nullptr, 100), "ABCD") << "not expired at its expiry, only after";
    size_t total = 0;
    EXPECT_EQ(gathered(q, 8, &total, 101), "A") << "B expired: the send stops before it";
    EXPECT_EQ(total, 1u);
    EXPECT_FALSE(q.front_expired(101));

    q.set_in_flight(1);
    q.consume(1, lfp, chunks);  // the send of A completed
    EXPECT_EQ(q.in_flight(), 0u);
    ASSERT_TRUE(q.front_expired(101));
    RemovedFrames removed;
    EXPECT_EQ(q.take_expired_front(101, &removed, chunks), 1u);
    EXPECT_EQ(test::labels_of(removed.expired), std::vector<std::string>{"B"});
    EXPECT_EQ(frames.refs(1), 2u) << "handed back with the queue's user, not released";
    test::release_all(removed, lfp);
    EXPECT_EQ(frames.refs(1), 1u);
    EXPECT_EQ(q.bytes(), 2u);
    EXPECT_EQ(gathered(q, 8, nullptr, 101), "CD");

    // Later C expires too; D never does.
    EXPECT_EQ(q.take_expired_front(501, &removed, chunks), 1u);
    EXPECT_EQ(test::labels_of(removed.expired), std::vector<std::string>{"C"});
    test::release_all(removed, lfp);
    EXPECT_EQ(q.take_expired_front(1'000'000, &removed, chunks), 0u);
    EXPECT_EQ(gathered(q, 8, nullptr, 1'000'000), "D");
    q.clear(lfp, chunks);
    EXPECT_EQ(lfp.live(), 0u);
    EXPECT_EQ(chunks.live(), 0u);
}

TEST(OutQueue, ARunOfExpiredFramesAtTheFrontGoesAtOnce) {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    OutQueue q;
    for (int i = 0; i < 40; ++i)  // across chunk boundaries
        q.push(frames.make_with(payload(i), 5, 10), chunks);
    q.push(frames.make_with("live", 5), chunks);
    RemovedFrames removed;
    q.take_expired_front(11, &removed, chunks);
    EXPECT_EQ(removed.expired.size(), 40u);
    test::release_all(removed, lfp);
    EXPECT_EQ(q.count(), 1u);
    EXPECT_EQ(q.bytes(), 4u);
    EXPECT_EQ(chunks.live(), 1u) << "emptied chunks go back to the pool";
    EXPECT_EQ(gathered(q, 4, nullptr, 11), "live");
    q.clear(lfp, chunks);
    EXPECT_EQ(lfp.live(), 0u);
}

TEST(OutQueue, AFrameThatStartedGoingOutIsFinishedEvenIfItExpired) {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    OutQueue q;
    q.push(frames.make_with("abcdef", 5, 100), chunks);
    q.push(frames.make_with("XYZ", 5), chunks);

    q.set_in_flight(2);
    EXPECT_FALSE(q.front_expired(200)) << "in flight: the kernel's";
    q.consume(2, lfp, chunks);  // a short write: "ab" taken
    EXPECT_FALSE(q.front_expired(200)) << "partly written: must be finished";
    RemovedFrames removed;
    EXPECT_EQ(q.take_expired_front(200, &removed, chunks), 0u);
    EXPECT_EQ(gathered(q, 8, nullptr, 200), "cdefXYZ");
    q.clear(lfp, chunks);
    EXPECT_EQ(lfp.live(), 0u);
}

TEST(OutQueue, FramesInFlightAreNotRemovedWhenTheyExpire) {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    OutQueue q;
    q.push(frames.make_with("A", 5, 100), chunks);
    q.push(frames.make_with("B", 5, 100), chunks);
    q.push(frames.make_with("C", 5, 100), chunks);
    EXPECT_EQ(gathered(q, 8, nullptr, 50), "ABC");
    q.set_in_flight(3);  // then all three expire while the send is pending
    RemovedFrames removed;
    EXPECT_EQ(q.take_expired_front(200, &removed, chunks), 0u);
    q.shed(0, 0, 200, &removed, chunks);
    EXPECT_TRUE(removed.empty()) << "the iovecs point into them";
    EXPECT_EQ(q.count(), 3u);
    q.consume(3, lfp, chunks);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(lfp.live(), 0u);
}

TEST(OutChunkPool, ReusesChunksAndCountsLive) {
    OutChunkPool pool;
    OutChunk* a = pool.get();
    OutChunk* b = pool.get();
    EXPECT_EQ(pool.live(), 2u);
    EXPECT_EQ(a->next, nullptr);
    a->next = b;
    pool.put(a);
    EXPECT_EQ(pool.live(), 1u);
    OutChunk* c = pool.get();
    EXPECT_EQ(c, a) << "a freed chunk is reused";
    EXPECT_EQ(c->next, nullptr) << "and comes back unlinked";
    pool.put(b);
    pool.put(c);
    EXPECT_EQ(pool.live(), 0u);
}

}  // namespace
}  // namespace ringcast

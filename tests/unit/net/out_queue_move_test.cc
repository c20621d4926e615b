// OutQueue's moves for virtual connections (an HTTP/2 stream's queue into its
// connection's): whole frames go by pointer with their user, a frame cut by
// the window or the frame size goes as a private copy of the slice (the only
// copy), expired frames are never counted ready behind the first, and what
// reaches the destination is the source's bytes in order.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/out_queue.h"
#include "support/frames.h"

namespace ringcast {
namespace {

using test::Frames;

std::string contents(const OutQueue& q) {
    std::vector<iovec> iov(255);
    size_t total = 0;
    unsigned n = q.gather(iov.data(), 255, &total, 0);
    std::string s;
    for (unsigned i = 0; i < n; ++i)
        s.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
    return s;
}

// Pointers of the queue's frames, in order, as gather() shows them.
std::vector<const char*> pointers(const OutQueue& q) {
    std::vector<iovec> iov(255);
    size_t total = 0;
    unsigned n = q.gather(iov.data(), 255, &total, 0);
    std::vector<const char*> v;
    for (unsigned i = 0; i < n; ++i)
        v.push_back(static_cast<const char*>(iov[i].iov_base));
    return v;
}

TEST(OutQueueMove, WholeFramesMoveByPointerWithTheirUser) {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    OutQueue child, parent;
    // One event shared by three recipients: the test holds the other two users.
    LocalFrame* event = frames.make("data: shared\n\n", 3);
    child.push(event, chunks);
    LocalFrame* second = frames.make("data: two\n\n");
    child.push(second, chunks);
    const size_t live = lfp.live();
    ASSERT_EQ(child.ready_bytes(0, 1 << 20), child.bytes());
    EXPECT_EQ(child.move_front(parent, child.bytes(), lfp, chunks), 0u) << "no copy";
    EXPECT_TRUE(child.empty());
    EXPECT_EQ(child.bytes(), 0u);
    EXPECT_EQ(parent.bytes(), 14u + 11u);
    EXPECT_EQ(lfp.live(), live) << "no LocalFrame was made";
    EXPECT_EQ(event->users, 3u) << "the child's user moved to the parent";
    EXPECT_EQ(frames.refs(0), 2u);
    const std::vector<const char*> p = pointers(parent);
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0], event->frame->data()) << "the shared bytes themselves";
    EXPECT_EQ(p[1], second->frame->data());
    parent.clear(lfp, chunks);
    EXPECT_EQ(event->users, 2u);
    lfp.drop_user(event);
    lfp.drop_user(event);
}

TEST(OutQueueMove, ACutFrameIsCopiedAsItsSlice) {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    OutQueue child, parent;
    child.push(frames.make("0123456789"), chunks);
    child.push(frames.make("abcdef"), chunks);
    // A window of 4: the first 4 bytes, copied.
    EXPECT_EQ(child.ready_bytes(0, 4), 4u);
    EXPECT_EQ(child.move_front(parent, 4, lfp, chunks), 1u);
    EXPECT_EQ(child.bytes(), 12u);
    EXPECT_EQ(child.front_bytes(), "456789");
    EXPECT_TRUE(child.partially_written());
    // The rest of the cut frame is a slice too; the next frame goes whole.
    EXPECT_EQ(child.move_front(parent, 12, lfp, chunks), 1u);
    EXPECT_TRUE(child.empty());
    EXPECT_EQ(contents(parent), "0123456789abcdef");
    EXPECT_EQ(frames.refs(0), 1u) << "the cut frame was released by the child";
    EXPECT_EQ(frames.refs(1), 2u) << "the whole frame is held by the parent";
    parent.clear(lfp, chunks);
    EXPECT_EQ(frames.refs(1), 1u);
}

TEST(OutQueueMove, ExpiredFramesAreNotReadyBehindTheFirst) {
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    OutQueue child;
    child.push(frames.make_with("live\n", 5), chunks);
    child.push(frames.make_with("old\n", 5, /*expires_at_ms=*/100), chunks);
    child.push(frames.make_with("later\n", 5), chunks);
    EXPECT_EQ(child.ready_bytes(/*now=*/200, 1 << 20), 5u) << "stops before the expired frame";
    EXPECT_EQ(child.ready_bytes(/*now=*/50, 1 << 20), 15u);
    EXPECT_EQ(child.ready_bytes(/*now=*/50, 7), 7u) << "bounded by max";
    child.clear(lfp, chunks);
}

TEST(OutQueueMove, ManyRecipientsShareOneFrameAndEachPaysOnlyItsHeader) {
    // The per-recipient cost of an h2 fan-out: each stream's queue moves the
    // event by pointer behind its own 9-byte header; the event's bytes exist once.
    LocalFramePool lfp;
    OutChunkPool chunks;
    Frames frames(lfp);
    const int streams = 100;
    LocalFrame* event = frames.make(std::string(300, 'e'), 0);
    std::vector<OutQueue> children(streams);
    OutQueue parent;
    for (OutQueue& c : children) {
        lfp.add_user(event);
        c.push(event, chunks);
    }
    Frames headers(lfp);
    unsigned copies = 0;
    for (OutQueue& c : children) {
        parent.push(headers.make("123456789"), chunks);
        copies += c.move_front(parent, c.bytes(), lfp, chunks);
    }
    EXPECT_EQ(copies, 0u);
    EXPECT_EQ(parent.bytes(), uint64_t(streams) * (9 + 300));
    EXPECT_EQ(event->users, uint32_t(streams));
    const std::vector<const char*> p = pointers(parent);
    ASSERT_EQ(p.size(), size_t(2 * streams));
    for (int i = 0; i < streams; ++i)
        EXPECT_EQ(p[size_t(2 * i + 1)], event->frame->data());
    parent.clear(lfp, chunks);
}

}  // namespace
}  // namespace ringcast

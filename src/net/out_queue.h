#pragma once
// A connection's queue of frames waiting to be written.
//
// Entries are LocalFrame pointers (8 bytes) stored in 128-byte chunks drawn from a
// per-shard pool, so queueing an event for a recipient allocates nothing in steady
// state, and an idle connection holds no chunk at all. The queue also remembers how
// far into its first frame the socket has already taken bytes (short sends), and
// how many frames from the front the send in flight covers: the kernel reads those
// frames' bytes until the send completes, so nothing may remove them.
//
// Frames leave the queue in the order they came, written or not: expired frames
// and frames a slow reader loses (shed()) are taken out, never reordered, so ids
// stay increasing on the wire whatever is dropped.
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/frame.h"

namespace ringcast {

struct OutChunk {
    static constexpr unsigned kItems = 15;
    OutChunk* next = nullptr;
    LocalFrame* items[kItems];
};
static_assert(sizeof(OutChunk) == 128);

class OutChunkPool {
public:
    OutChunkPool() = default;
    OutChunkPool(const OutChunkPool&) = delete;
    OutChunkPool& operator=(const OutChunkPool&) = delete;
    ~OutChunkPool();

    OutChunk* get();
    void put(OutChunk* c);
    size_t live() const { return _live; }

private:
    OutChunk* _free = nullptr;
    size_t _free_count = 0;
    size_t _live = 0;
};

// Frames a shed() or take_expired_front() took out of a queue. Each still holds
// the queue's user: the caller reports them, then drops those users.
struct RemovedFrames {
    std::vector<LocalFrame*> dropped;  // to make room, in queue order
    std::vector<LocalFrame*> expired;  // past their expiry, never started
    bool compacted = false;            // shed() walked the queue (else: only refused)
    bool empty() const { return dropped.empty() && expired.empty(); }
    void clear() {
        dropped.clear();
        expired.clear();
        compacted = false;
    }
};

class OutQueue {
public:
    bool empty() const { return _count == 0; }
    uint32_t count() const { return _count; }
    // Bytes not yet accepted by the socket (including the unsent tail of the
    // first frame).
    uint64_t bytes() const { return _bytes; }

    // Appends a frame; the caller has already counted this queue as a user of lf.
    void push(LocalFrame* lf, OutChunkPool& pool);

    // Fills up to max iovecs with the unsent bytes, starting at the first frame,
    // and stops before any later frame that has expired at now_wall_ms: it is not
    // written, and take_expired_front() removes it once the frames before it are
    // gone. It also stops before a frame that would take the total past
    // max_bytes. The first frame is gathered whatever its expiry or size (the
    // caller removes an expired one first; a partially written one must be
    // finished). Returns how many were filled; *total gets their byte count.
    //
    // Why stop instead of skipping: skipping would need the queue compacted
    // around the hole, or a second send list. Stopping costs one load and branch
    // per gathered frame (the expiry sits beside the size in the frame header),
    // and only a queue that holds an expired frame pays an extra send.
    unsigned gather(iovec* iov, unsigned max, size_t* total, int64_t now_wall_ms,
                    size_t max_bytes = SIZE_MAX) const;

    // The send just prepared covers the first n frames (what gather() returned).
    void set_in_flight(unsigned n) { _in_flight = uint8_t(n); }
    unsigned in_flight() const { return _in_flight; }

    // Whether the first frame expired at now_wall_ms and can still be removed
    // (nothing in flight, not started).
    bool front_expired(int64_t now_wall_ms) const {
        return _count > 0 && _in_flight == 0 && _offset == 0 &&
               front()->frame->expired(now_wall_ms);
    }
    // Removes every expired frame at the front that front_expired() allows,
    // appending them to out->expired. Returns their bytes.
    uint64_t take_expired_front(int64_t now_wall_ms, RemovedFrames* out, OutChunkPool& pool);

    // Makes room for a slow reader: removes frames that are neither in flight,
    // nor partially written, nor kept (SharedFrame::keep()), lowest priority
    // first and oldest first within a priority; the newest frame (the one just
    // pushed) is the youngest of its priority. Frames ordered before the newest
    // go while bytes() > target; frames that outrank it only while bytes() >
    // limit (the exact rule is at plan_shed() in out_queue_shed.cc). Expired
    // frames go first, whatever their priority, into out->expired; the others
    // into out->dropped, in queue order. O(count()).
    void shed(uint64_t target, uint64_t limit, int64_t now_wall_ms, RemovedFrames* out,
              OutChunkPool& pool);

    // Whether the first frame went out in part: the last send was cut short (the
    // socket filled up) and the rest of that frame is still to go.
    bool partially_written() const { return _offset > 0; }

    // A lower bound of the priorities of the frames queued that are not kept
    // (kKeepPriority when there are none): a frame below it is the lowest of all.
    uint8_t min_priority() const { return _min_priority; }

    // The socket took `n` bytes (the send in flight completed): frames fully
    // written are released (drop_user); a partially written first frame stays
    // with its offset advanced.
    void consume(size_t n, LocalFramePool& frames, OutChunkPool& pool);

    // For a virtual connection's host (net/mux_host.h; out_queue_move.cc): how
    // many bytes from the front could move now, at most max: the unsent rest of
    // the first frame, then whole or cut frames, stopping before a later frame
    // that has expired (as gather() does).
    uint64_t ready_bytes(int64_t now_wall_ms, uint64_t max) const;
    // Moves n bytes (at most ready_bytes()) from the front to the back of dst:
    // a whole frame by pointer (its user moves with it), a frame cut (n ends
    // inside it, or it was cut before) as a private copy of the slice, which
    // then carries no priority nor expiry. Returns how many copies were made.
    unsigned move_front(OutQueue& dst, uint64_t n, LocalFramePool& frames, OutChunkPool& pool);
    // The unsent bytes of the first frame (empty when the queue is).
    std::string_view front_bytes() const {
        return _count ? front()->frame->view().substr(_offset) : std::string_view();
    }

    // Releases everything (connection closing).
    void clear(LocalFramePool& frames, OutChunkPool& pool);

private:
    LocalFrame* front() const { return _head->items[_head_idx]; }
    // Takes the first frame out (its user stays with the caller); _bytes is the
    // caller's.
    LocalFrame* unlink_front(OutChunkPool& pool);
    void pop_front(LocalFramePool& frames, OutChunkPool& pool);

    // 40 bytes: the two one-byte fields fill padding that was there before them.
    OutChunk* _head = nullptr;
    OutChunk* _tail = nullptr;
    uint16_t _head_idx = 0;  // first unsent item in _head
    uint16_t _tail_idx = 0;  // next free item in _tail
    uint32_t _count = 0;
    uint32_t _offset = 0;    // bytes of front() already sent
    uint8_t _in_flight = 0;  // frames from the front the send in flight covers (<= 255)
    uint8_t _min_priority = SharedFrame::kKeepPriority;
    uint64_t _bytes = 0;
};
static_assert(sizeof(OutQueue) == 40, "OutQueue lives in every connection");

}  // namespace ringcast

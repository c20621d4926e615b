#pragma once
// A connection's queue of frames waiting to be written.
//
// Entries are LocalFrame pointers (8 bytes) stored in 128-byte chunks drawn from a
// per-shard pool, so queueing an event for a recipient allocates nothing in steady
// state, and an idle connection holds no chunk at all. The queue also remembers how
// far into its first frame the socket has already taken bytes (short sends).
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

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

class OutQueue {
public:
    bool empty() const { return _count == 0; }
    uint32_t count() const { return _count; }
    // Bytes not yet accepted by the socket (including the unsent tail of the
    // first frame).
    uint64_t bytes() const { return _bytes; }

    // Appends a frame; the caller has already counted this queue as a user of lf.
    void push(LocalFrame* lf, OutChunkPool& pool);

    // Fills up to max iovecs with the unsent bytes, starting at the first frame.
    // Returns how many were filled; *total gets their byte count.
    unsigned gather(iovec* iov, unsigned max, size_t* total) const;

    // The socket took `n` bytes: frames fully written are released (drop_user);
    // a partially written first frame stays with its offset advanced.
    void consume(size_t n, LocalFramePool& frames, OutChunkPool& pool);

    // Releases everything (connection closing).
    void clear(LocalFramePool& frames, OutChunkPool& pool);

private:
    LocalFrame* front() const { return _head->items[_head_idx]; }
    void pop_front(LocalFramePool& frames, OutChunkPool& pool);

    OutChunk* _head = nullptr;
    OutChunk* _tail = nullptr;
    uint16_t _head_idx = 0;  // first unsent item in _head
    uint16_t _tail_idx = 0;  // next free item in _tail
    uint32_t _count = 0;
    uint32_t _offset = 0;  // bytes of front() already sent
    uint64_t _bytes = 0;
};

}  // namespace ringcast

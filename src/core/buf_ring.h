#pragma once
// A provided-buffer ring (IORING_REGISTER_PBUF_RING) for multishot receives.
//
// Receives pick a buffer from this shared pool only when data actually arrives,
// so an idle connection holds no read buffer at all: ten thousand idle SSE
// streams cost zero receive memory. liburing 2.3 lacks io_uring_setup_buf_ring(),
// so we map the ring and the buffers ourselves and register them with
// io_uring_register_buf_ring(), which 2.3 does have.
//
// The memory is populated at startup (MAP_POPULATE): it is a fixed cost of the
// shard, and counting it there keeps per-connection memory figures honest.
#include <cstddef>
#include <cstdint>

#include <liburing.h>

namespace ringcast {

class BufferRing {
public:
    BufferRing() = default;
    ~BufferRing();
    BufferRing(const BufferRing&) = delete;
    BufferRing& operator=(const BufferRing&) = delete;

    // count must be a power of two <= 32768. Returns 0 or -errno.
    int init(io_uring* ring, uint16_t group_id, unsigned count, unsigned size);

    uint16_t group() const { return _group; }
    unsigned count() const { return _count; }
    char* buffer(uint16_t bid) { return _buffers + size_t(bid) * _size; }

    // Gives a buffer back to the kernel; it is visible to receives immediately.
    void recycle(uint16_t bid) {
        io_uring_buf_ring_add(_ring, buffer(bid), _size, bid, io_uring_buf_ring_mask(_count), 0);
        io_uring_buf_ring_advance(_ring, 1);
    }

private:
    io_uring* _uring = nullptr;
    io_uring_buf_ring* _ring = nullptr;
    char* _buffers = nullptr;
    size_t _ring_bytes = 0;
    size_t _buffer_bytes = 0;
    unsigned _count = 0;
    unsigned _size = 0;
    uint16_t _group = 0;
};

}  // namespace ringcast

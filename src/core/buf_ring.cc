#include "core/buf_ring.h"

#include <errno.h>
#include <sys/mman.h>

#include <cstring>

namespace ringcast {

BufferRing::~BufferRing() {
    if (_uring && _ring) io_uring_unregister_buf_ring(_uring, _group);
    if (_ring) munmap(_ring, _ring_bytes);
    if (_buffers) munmap(_buffers, _buffer_bytes);
}

int BufferRing::init(io_uring* ring, uint16_t group_id, unsigned count, unsigned size) {
    if (count == 0 || (count & (count - 1)) != 0 || count > 32768) return -EINVAL;
    _ring_bytes = sizeof(io_uring_buf) * count;
    void* r = mmap(nullptr, _ring_bytes, PROT_READ | PROT_WRITE,
                   MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE, -1, 0);
    if (r == MAP_FAILED) return -errno;
    _ring = static_cast<io_uring_buf_ring*>(r);

    _buffer_bytes = size_t(count) * size;
    void* b = mmap(nullptr, _buffer_bytes, PROT_READ | PROT_WRITE,
                   MAP_ANONYMOUS | MAP_PRIVATE | MAP_POPULATE, -1, 0);
    if (b == MAP_FAILED) return -errno;
    _buffers = static_cast<char*>(b);

    io_uring_buf_ring_init(_ring);
    io_uring_buf_reg reg;
    std::memset(&reg, 0, sizeof reg);
    reg.ring_addr = uint64_t(reinterpret_cast<uintptr_t>(_ring));
    reg.ring_entries = count;
    reg.bgid = group_id;
    int ret = io_uring_register_buf_ring(ring, &reg, 0);
    if (ret < 0) return ret;
    _uring = ring;
    _group = group_id;
    _count = count;
    _size = size;
    const int mask = io_uring_buf_ring_mask(count);
    for (unsigned i = 0; i < count; ++i)
        io_uring_buf_ring_add(_ring, buffer(uint16_t(i)), size, uint16_t(i), mask, int(i));
    io_uring_buf_ring_advance(_ring, int(count));
    return 0;
}

}  // namespace ringcast

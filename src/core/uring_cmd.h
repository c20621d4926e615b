#pragma once
// io_uring operations liburing 2.3 has no helper for, filled in by hand from the
// kernel's SQE layout (include/uapi/linux/io_uring.h).
#include <cstdint>

#include <liburing.h>

namespace ringcast {

// SOCKET_URING_OP_GETSOCKOPT (Linux 6.7): getsockopt(2) on a socket the ring
// holds, including a direct descriptor (set IOSQE_FIXED_FILE). The kernel reads
// level/optname from the union over `addr`, optval from the one over `addr3` and
// optlen from the one over `file_index`; only SOL_SOCKET options are supported.
// The completion's result is the option's length, or -errno (-EOPNOTSUPP or
// -EINVAL on older kernels).
inline void prep_getsockopt(io_uring_sqe* sqe, int fd, int level, int optname, void* optval,
                            uint32_t optlen) {
    constexpr uint32_t kSocketUringOpGetsockopt = 2;
    io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, nullptr, 0, 0);
    sqe->cmd_op = kSocketUringOpGetsockopt;
    sqe->addr = (uint64_t(uint32_t(optname)) << 32) | uint32_t(level);
    sqe->addr3 = uint64_t(reinterpret_cast<uintptr_t>(optval));
    sqe->file_index = optlen;
}

}  // namespace ringcast

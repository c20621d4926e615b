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

// IORING_OP_FIXED_FD_INSTALL (Linux 6.8): a direct descriptor of the ring
// becomes a regular file descriptor of the process (O_CLOEXEC), referring to
// the same open file; the slot keeps its own reference until it is closed. The
// completion's result is the new fd, or -errno (-EINVAL where the opcode is
// unknown). liburing 2.3 knows neither the opcode nor io_uring_prep_fixed_fd_install;
// the number is the kernel's (include/uapi/linux/io_uring.h) and never changes.
inline constexpr uint8_t kOpFixedFdInstall = 54;

inline void prep_fixed_fd_install(io_uring_sqe* sqe, int slot) {
    io_uring_prep_rw(kOpFixedFdInstall, sqe, slot, nullptr, 0, 0);
    sqe->flags = IOSQE_FIXED_FILE;  // the kernel refuses anything but a direct descriptor
    sqe->rw_flags = 0;              // install_fd_flags: 0 keeps O_CLOEXEC
}

}  // namespace ringcast

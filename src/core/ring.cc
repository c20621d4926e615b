#include "core/ring.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace ringcast {

Ring::~Ring() {
    if (_ready) io_uring_queue_exit(&_ring);
}

int Ring::init(const RingOptions& opts) {
    struct Attempt {
        unsigned flags;
        const char* mode;
    };
    const unsigned common = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
    const Attempt attempts[] = {
        {common | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "defer_taskrun"},
        {common | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, "coop_taskrun"},
        {IORING_SETUP_CQSIZE, "plain"},
    };
    int ret = -EINVAL;
    for (const Attempt& a : attempts) {
        io_uring_params p;
        std::memset(&p, 0, sizeof p);
        p.flags = a.flags;
        p.cq_entries = opts.cq_entries;
        ret = io_uring_queue_init_params(opts.sq_entries, &_ring, &p);
        if (ret == 0) {
            _ready = true;
            _cq_entries = p.cq_entries;
            _mode = a.mode;
            return 0;
        }
        if (ret != -EINVAL) return ret;  // EPERM, ENOMEM, ENOSYS: no point retrying
    }
    return ret;
}

io_uring_sqe* Ring::sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&_ring);
    if (s) return s;
    // SQ full: hand what we have to the kernel without waiting.
    for (int attempt = 0; attempt < 3 && !s; ++attempt) {
        int r = enter(0, UINT64_MAX);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) break;
        s = io_uring_get_sqe(&_ring);
    }
    return s;
}

// liburing 2.3 has no "submit and get events without waiting" helper, so we
// publish the SQ tail ourselves (as __io_uring_flush_sq does) and call
// io_uring_enter with the flags we need, using EXT_ARG for the timeout so that no
// timeout SQE is needed.
int Ring::enter(unsigned wait_nr, uint64_t timeout_ns) {
    io_uring_sq* sq = &_ring.sq;
    unsigned tail = sq->sqe_tail;
    if (sq->sqe_head != tail) {
        sq->sqe_head = tail;
        io_uring_smp_store_release(sq->ktail, tail);
    }
    unsigned to_submit = tail - io_uring_smp_load_acquire(sq->khead);

    unsigned flags = IORING_ENTER_GETEVENTS;
    __kernel_timespec ts;
    io_uring_getevents_arg arg;
    void* argp = nullptr;
    size_t argsz = 0;
    if (wait_nr > 0 && timeout_ns != UINT64_MAX) {
        ts.tv_sec = int64_t(timeout_ns / 1'000'000'000u);
        ts.tv_nsec = int64_t(timeout_ns % 1'000'000'000u);
        std::memset(&arg, 0, sizeof arg);
        arg.sigmask_sz = _NSIG / 8;
        arg.ts = uint64_t(reinterpret_cast<uintptr_t>(&ts));
        flags |= IORING_ENTER_EXT_ARG;
        argp = &arg;
        argsz = sizeof arg;
    }
    long r = syscall(__NR_io_uring_enter, _ring.ring_fd, to_submit, wait_nr, flags, argp, argsz);
    if (r < 0) {
        int e = errno;
        return e == ETIME ? 0 : -e;
    }
    return int(r);
}

}  // namespace ringcast

#include "core/ring.h"

#include <errno.h>

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
        int r = submit();
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) break;
        s = io_uring_get_sqe(&_ring);
    }
    return s;
}

// Every call enters the kernel with IORING_ENTER_GETEVENTS, waiting or not:
// under DEFER_TASKRUN that is what runs the completions the kernel has
// deferred to us, so even a turn that must not sleep collects them.
// - wait_nr 0: io_uring_submit_and_get_events() always enters, with GETEVENTS.
// - a timeout: io_uring_submit_and_wait_timeout() passes it as EXT_ARG (every
//   kernel with DEFER_TASKRUN has EXT_ARG; without it liburing would queue a
//   timeout SQE, whose completion nobody here would look at). It looks at the
//   CQ first and does not sleep if a completion is already there; the reactor
//   only waits with an empty CQ.
// - no timeout: io_uring_submit_and_wait(), one enter that sleeps until
//   wait_nr completions are there.
// The reactor's sleep/wake handshake (reactor.cc) does not depend on which: a
// doorbell is a completion, and any of these returns when one is posted.
int Ring::enter(unsigned wait_nr, uint64_t timeout_ns) {
    int r;
    if (wait_nr == 0) {
        r = io_uring_submit_and_get_events(&_ring);
    } else if (timeout_ns != UINT64_MAX) {
        __kernel_timespec ts;
        ts.tv_sec = int64_t(timeout_ns / 1'000'000'000u);
        ts.tv_nsec = int64_t(timeout_ns % 1'000'000'000u);
        io_uring_cqe* cqe = nullptr;
        r = io_uring_submit_and_wait_timeout(&_ring, &cqe, wait_nr, &ts, nullptr);
    } else {
        r = io_uring_submit_and_wait(&_ring, wait_nr);
    }
    return r == -ETIME ? 0 : r;
}

}  // namespace ringcast

#pragma once
// One io_uring instance, owned by one shard thread.
//
// Setup flags, and why:
// - SINGLE_ISSUER: only the shard thread ever submits to its ring, so the kernel
//   may skip the locking that concurrent submitters would need.
// - DEFER_TASKRUN: completions are only run when we ask for them (GETEVENTS), in
//   our own thread and in one batch, instead of interrupting whatever the shard is
//   doing. This is the cheapest completion mode for a loop that calls enter anyway.
// - COOP_TASKRUN + TASKRUN_FLAG (fallback when DEFER_TASKRUN is unavailable): no
//   inter-processor interrupt to run task work; the flag tells us work is pending.
// - SUBMIT_ALL: one bad SQE must not stop the rest of the batch from being
//   submitted (a fan-out prepares thousands of sends in one go).
// - CQSIZE: the completion queue is sized for fan-out (many sends complete in one
//   enter), independently of the submission queue.
//
// The shard calls enter() once per loop iteration: it submits everything prepared,
// runs deferred completions and, when there is nothing else to do, sleeps until a
// completion arrives or the timeout passes. Both go through liburing's own
// helpers (io_uring_submit_and_get_events, io_uring_submit_and_wait[_timeout]);
// the timeout travels as IORING_ENTER_EXT_ARG, so no timeout SQE is queued.
#include <cstdint>
#include <string>

#include <liburing.h>

namespace ringcast {

struct RingOptions {
    unsigned sq_entries = 4096;
    unsigned cq_entries = 65536;
};

class Ring {
public:
    Ring() = default;
    ~Ring();
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;

    // Creates the ring in the calling thread (SINGLE_ISSUER binds it to this
    // thread). Returns 0 or -errno.
    int init(const RingOptions& opts);

    // A free SQE, submitting what is queued first if the SQ is full. Returns
    // nullptr only if the kernel refuses to take submissions right now.
    io_uring_sqe* sqe();
    unsigned sq_space() const { return io_uring_sq_space_left(const_cast<io_uring*>(&_ring)); }

    // Submits what is prepared now, mid-turn (the SQ is full, or an operation
    // needs more SQEs than are left), and runs deferred completions, without
    // waiting. Returns the number of SQEs submitted, or -errno.
    int submit() { return enter(0, UINT64_MAX); }

    // Submits prepared SQEs, runs deferred completions, and waits for at least
    // `wait_nr` completions or `timeout_ns` (UINT64_MAX: no timeout).
    // Returns the number of SQEs submitted, or -errno (-ETIME on timeout is
    // reported as 0).
    int enter(unsigned wait_nr, uint64_t timeout_ns);

    // Calls f(const io_uring_cqe&) for every completion available, then frees them.
    template <typename F>
    unsigned drain(F&& f) {
        unsigned head, n = 0;
        io_uring_cqe* cqe;
        io_uring_for_each_cqe(&_ring, head, cqe) {
            f(*cqe);
            ++n;
        }
        io_uring_cq_advance(&_ring, n);
        return n;
    }
    unsigned cq_ready() const { return io_uring_cq_ready(&_ring); }

    int fd() const { return _ring.ring_fd; }
    io_uring* raw() { return &_ring; }
    unsigned cq_entries() const { return _cq_entries; }
    // Completions the kernel could not post because the CQ was full (its own
    // counter in the shared ring; it wraps at 2^32). Each one is an operation
    // whose result came late, from the kernel's overflow list.
    uint32_t cq_overflow() const {
        return _ring.cq.koverflow ? __atomic_load_n(_ring.cq.koverflow, __ATOMIC_RELAXED) : 0;
    }
    // "defer_taskrun", "coop_taskrun" or "plain": which setup the kernel took.
    const char* mode() const { return _mode; }

private:
    io_uring _ring{};
    bool _ready = false;
    unsigned _cq_entries = 0;
    const char* _mode = "none";
};

}  // namespace ringcast

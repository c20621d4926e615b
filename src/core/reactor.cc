#include "core/reactor.h"

#include <errno.h>

#include <algorithm>
#include <atomic>

#include "core/blocking_worker.h"
#include "core/clock.h"
#include "core/mesh_kinds.h"
#include "core/user_data.h"

namespace ringcast {

Reactor::Reactor(unsigned id, Mesh& mesh)
    : _id(id)
    , _mesh(mesh)
    , _timers(mono_ms())
    , _overflow(mesh.shards())
    , _dirty(mesh.shards(), 0) {}

Reactor::~Reactor() {
    for (const MeshMsg& m : _local)
        delete from_word<ShardCall>(m.a);
}

int Reactor::init(const ReactorOptions& opts, const char** what) {
    // What runs before the loop's first turn (the streams an upgrade hands
    // over are opened then) reads a real clock, not 0.
    _now_ms = mono_ms();
    *what = "io_uring setup";
    int r = _ring.init(opts.ring);
    if (r < 0) return r;
    *what = "provided buffer ring registration";
    r = _buffers.init(_ring.raw(), kRecvBufferGroup, opts.recv_buffers, opts.recv_buffer_size);
    if (r < 0) return r;
    if (opts.direct_files > 0) {
        *what = "direct descriptor table registration";
        r = io_uring_register_files_sparse(_ring.raw(), opts.direct_files);
        if (r < 0) return r;
        _direct_files = opts.direct_files;
    }
    _mesh.set_ring_fd(_id, _ring.fd());
    return 0;
}

void Reactor::call(unsigned to, std::unique_ptr<ShardCall> c) {
    c->_asker = _id;
    MeshMsg m{uint16_t(MeshKind::call), uint16_t(_id), 0, to_word(c.release()), 0};
    if (to == _id) {
        _local.push_back(m);
    } else {
        ++_awaiting;
        send(to, m);
    }
}

void Reactor::post(unsigned to, std::unique_ptr<ShardCall> c) {
    MeshMsg m{uint16_t(MeshKind::post), uint16_t(_id), 0, to_word(c.release()), 0};
    if (to == _id) {
        _local.push_back(m);
    } else {
        send(to, m);
    }
}

void Reactor::answer(ShardCall* c) {
    MeshMsg m{uint16_t(MeshKind::call_done), uint16_t(_id), 0, to_word(c), 0};
    if (c->_asker == _id) {
        _local.push_back(m);
    } else {
        send(c->_asker, m);
    }
}

bool Reactor::on_call_message(const MeshMsg& m) {
    switch (MeshKind(m.kind)) {
        case MeshKind::call: {
            auto* c = from_word<ShardCall>(m.a);
            if (c->run(*this)) answer(c);
            return true;
        }
        case MeshKind::call_done: {
            std::unique_ptr<ShardCall> c(from_word<ShardCall>(m.a));
            if (m.from != _id) --_awaiting;
            c->complete();
            return true;
        }
        case MeshKind::post: {
            std::unique_ptr<ShardCall> c(from_word<ShardCall>(m.a));
            c->run(*this);
            return true;
        }
        default: return false;
    }
}

void Reactor::run_local_calls() {
    // What these calls queue locally runs in this same pass: a local call and
    // its answer complete within one drain.
    while (!_local.empty()) {
        MeshMsg m = _local.front();
        _local.pop_front();
        on_call_message(m);
    }
}

void Reactor::send(unsigned to, MeshMsg msg) {
    msg.from = uint16_t(_id);
    auto& overflow = _overflow[to];
    // Once anything overflowed, later messages queue behind it: per-pair FIFO
    // order is what keeps every channel's events in order on every shard.
    if (!overflow.empty() || !_mesh.ring(_id, to).try_push(msg)) {
        overflow.push_back(msg);
        ++_mesh_overflows;
    }
    _dirty[to] = 1;
}

// Producer half of the sleep/wake handshake. The consumer stores sleeping=true,
// issues a full fence, then checks its rings; we publish the tail, issue a full
// fence, then check sleeping. With both fences at least one side sees the other's
// store, so a message is never left unseen by a sleeping shard: either the consumer
// notices it before sleeping, or we see the flag and ring the doorbell (a MSG_RING
// CQE that wakes the target's io_uring_enter).
void Reactor::flush_outbox() {
    for (unsigned to = 0; to < _mesh.shards(); ++to) {
        if (!_dirty[to]) continue;
        auto& ring = _mesh.ring(_id, to);
        auto& overflow = _overflow[to];
        while (!overflow.empty() && ring.try_push(overflow.front()))
            overflow.pop_front();
        _dirty[to] = overflow.empty() ? 0 : 1;
        if (!ring.publish()) continue;
        std::atomic_thread_fence(std::memory_order_seq_cst);
        auto& sleeping = _mesh.sleeping(to);
        if (sleeping.load(std::memory_order_relaxed) && sleeping.exchange(false)) {
            io_uring_sqe* sqe = _ring.sqe();
            if (!sqe) {
                sleeping.store(true);  // try again next turn
                _dirty[to] = 1;
                continue;
            }
            io_uring_prep_msg_ring(sqe, _mesh.ring_fd(to), 0, tag(Op::doorbell), 0);
            io_uring_sqe_set_data64(sqe, tag(Op::ignore));
            sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
        }
    }
}

bool Reactor::inbox_empty() const {
    for (unsigned from = 0; from < _mesh.shards(); ++from)
        if (from != _id && !_mesh.ring(from, _id).empty_for_consumer()) return false;
    return true;
}

void Reactor::drain_inbox(ReactorHooks& hooks) {
    run_local_calls();
    for (unsigned from = 0; from < _mesh.shards(); ++from) {
        if (from == _id) continue;
        _mesh.ring(from, _id).consume([&](const MeshMsg& m) {
            if (!on_call_message(m)) hooks.on_message(m);
        });
    }
    run_local_calls();  // what the messages above called locally
}

// The turn that began at _woke_ns ends at now_ns (about to enter the kernel).
void Reactor::note_busy(uint64_t now_ns) {
    const uint64_t busy = now_ns - _woke_ns;
    _busy_ns += busy;
    const uint64_t window = now_ns / (kLagWindowMs * 1'000'000u);
    if (window != _lag_window) {
        _lag_ns[1] = window == _lag_window + 1 ? _lag_ns[0] : 0;
        _lag_ns[0] = 0;
        _lag_window = window;
    }
    if (busy > _lag_ns[0]) _lag_ns[0] = busy;
}

uint64_t Reactor::loop_lag_us() const {
    // Windows that passed while the shard slept had no busy turn.
    const uint64_t window = mono_ns() / (kLagWindowMs * 1'000'000u);
    uint64_t lag = 0;
    if (window == _lag_window)
        lag = std::max(_lag_ns[0], _lag_ns[1]);
    else if (window == _lag_window + 1)
        lag = _lag_ns[0];
    return lag / 1000;
}

void Reactor::run(ReactorHooks& hooks) {
    auto& sleeping = _mesh.sleeping(_id);
    _woke_ns = mono_ns();
    while (_running) {
        ++_turns;
        _now_ms = mono_ms();
        _mesh.turned(_id, _now_ms);
        drain_inbox(hooks);
        _timers.advance(_now_ms, [&](TimerNode* n) { hooks.on_timer(n); });
        // Mesh messages first: other shards can start their part of a fan-out
        // (or send a reply) while this shard submits its own sends.
        flush_outbox();
        hooks.before_sleep();

        bool block = !hooks.has_pending_work() && _ring.cq_ready() == 0 && _local.empty();
        for (unsigned to = 0; block && to < _dirty.size(); ++to)
            if (_dirty[to]) block = false;  // overflow left to push: keep turning
        if (block) {
            sleeping.store(true, std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_seq_cst);
            if (!inbox_empty()) block = false;
        }
        uint64_t timeout_ns = UINT64_MAX;
        if (block) {
            uint64_t due = _timers.next_due();
            if (due != TimerWheel::kNever) {
                uint64_t now = mono_ms();
                timeout_ns = due > now ? (due - now) * 1'000'000u : 0;
            }
        }
        note_busy(mono_ns());
        int r = _ring.enter(block && timeout_ns != 0 ? 1 : 0, timeout_ns);
        if (block) sleeping.store(false, std::memory_order_relaxed);
        (void)r;  // -EINTR/-EBUSY: nothing to do but drain and go round again
        // We may have slept for a long time: completions must see the time they
        // arrive at, not the time the turn began (deadlines are computed from it).
        _woke_ns = mono_ns();
        _now_ms = _woke_ns / 1'000'000u;

        _ring.drain([&](const io_uring_cqe& cqe) {
            switch (op_of(cqe.user_data)) {
                case Op::doorbell:
                case Op::ignore:
                case Op::cancel: return;
                case Op::stop: hooks.on_stop_requested(payload_of(cqe.user_data)); return;
                case Op::reload: hooks.on_reload_requested(); return;
                case Op::job_done: {
                    std::unique_ptr<BlockingJob> job(pointer_of<BlockingJob>(cqe.user_data));
                    job->complete();
                    return;
                }
                default: hooks.on_completion(cqe);
            }
        });
    }
}

}  // namespace ringcast

#pragma once
// The per-shard event loop: one thread, one io_uring, one timer wheel, one inbox.
//
// The loop is deliberately small (Redis's ae.c is the model). Each turn it:
//   1. drains the inbox (messages other shards pushed through the mesh),
//   2. fires due timers,
//   3. publishes outgoing mesh messages and rings doorbells for sleeping shards
//      (first, so other shards can work in parallel with step 4),
//   4. lets the layer above flush what it queued (before_sleep: writes go out in
//      one batch per turn, not one per event),
//   5. enters the kernel once: submit, run deferred completions, and sleep if
//      there is nothing left to do,
//   6. dispatches completions.
// The layer above (the server's Shard) implements ReactorHooks; the reactor knows
// nothing about connections, HTTP or channels.
#include <cstdint>
#include <deque>
#include <vector>

#include "core/buf_ring.h"
#include "core/frame.h"
#include "core/mesh.h"
#include "core/ring.h"
#include "core/shard_call.h"
#include "core/timer_wheel.h"

namespace ringcast {

class ReactorHooks {
public:
    virtual ~ReactorHooks() = default;
    virtual void on_completion(const io_uring_cqe& cqe) = 0;
    virtual void on_message(const MeshMsg& msg) = 0;
    virtual void on_timer(TimerNode* node) = 0;
    // Called once per loop turn before the kernel is entered.
    virtual void before_sleep() = 0;
    // True if the loop must not block (work is waiting for SQ space, say).
    virtual bool has_pending_work() = 0;
    // The main thread sent Op::stop with a phase (see the daemon): 0 = drain,
    // 1 = exit. The shard calls Reactor::finish() when it is done.
    virtual void on_stop_requested(uint64_t phase) = 0;
    // The main thread sent Op::reload: a reloaded configuration waits for
    // this shard (server/reload.h).
    virtual void on_reload_requested() {}
};

struct ReactorOptions {
    RingOptions ring;
    unsigned recv_buffers = 512;       // provided buffers per shard (power of two)
    unsigned recv_buffer_size = 4096;  // bytes each
    unsigned direct_files = 0;         // size of the direct-descriptor table
};

class Reactor {
public:
    static constexpr uint16_t kRecvBufferGroup = 1;

    Reactor(unsigned id, Mesh& mesh);
    ~Reactor();  // frees shard calls to itself that never ran (the loop stopped first)
    Reactor(const Reactor&) = delete;
    Reactor& operator=(const Reactor&) = delete;

    // Must run on the shard thread (the ring is bound to its creator). Returns 0
    // or -errno; `what` names the step that failed.
    int init(const ReactorOptions& opts, const char** what);

    void run(ReactorHooks& hooks);
    void finish() { _running = false; }

    // Queues a message for another shard; it is published at the end of the turn.
    void send(unsigned to, MeshMsg msg);

    // Answers this shard waits for from other shards: its calls in flight and its
    // publish tickets with reports outstanding. While there are any, the
    // transport starts fewer sends per turn, so that the loop comes back to read
    // them sooner (engine.sends_per_turn_awaiting).
    void awaiting(int delta) { _awaiting += delta; }
    bool awaiting_answers() const { return _awaiting > 0; }

    // Shard calls (core/shard_call.h): `c` runs on shard `to` (this one included),
    // then completes here; the reactor deletes it after complete().
    void call(unsigned to, std::unique_ptr<ShardCall> c);
    // One way: `c` runs on shard `to` and is deleted there.
    void post(unsigned to, std::unique_ptr<ShardCall> c);
    // A call whose run() returned false, answered now (on this, its target shard).
    void answer(ShardCall* c);
    // Runs `then` on this shard later in the loop, never inside the caller.
    void defer(std::function<void()> then) {
        call(_id, std::make_unique<Deferred>(std::move(then)));
    }
    // This shard's objects for calls that run here (ShardLocals::provide, before run()).
    ShardLocals& locals() { return _locals; }
    template <typename T>
    T& local() const {
        return _locals.get<T>();
    }

    unsigned id() const { return _id; }
    unsigned shards() const { return _mesh.shards(); }
    // The io_uring fd of another shard: the target of MSG_RING operations.
    int peer_ring_fd(unsigned shard) const { return _mesh.ring_fd(shard); }
    Ring& ring() { return _ring; }
    // Slots of the ring's direct-descriptor table; 0 if none was registered.
    unsigned direct_files() const { return _direct_files; }
    BufferRing& buffers() { return _buffers; }
    TimerWheel& timers() { return _timers; }
    LocalFramePool& frames() { return _frames; }
    uint64_t now_ms() const { return _now_ms; }
    uint64_t loop_turns() const { return _turns; }
    // Loop lag: the longest time one turn kept the shard from its completions
    // (the turn's work, the kernel's wait excluded), over the current and the
    // previous kLagWindowMs window, so a scrape every window sees every stall.
    static constexpr uint64_t kLagWindowMs = 10'000;
    uint64_t loop_lag_us() const;
    // Time spent working (the kernel's wait excluded), ever.
    uint64_t busy_us() const { return _busy_ns / 1000; }
    Mesh& mesh() { return _mesh; }
    // Messages that found their ring full and waited in the local overflow queue.
    uint64_t mesh_overflows() const { return _mesh_overflows; }

private:
    void drain_inbox(ReactorHooks& hooks);
    bool inbox_empty() const;
    void flush_outbox();
    // The shard-call kinds (MeshKind::call, call_done, post); false for others.
    bool on_call_message(const MeshMsg& m);
    // Calls this shard made to itself, and their answers: run at the next inbox
    // drain, never inside call().
    void run_local_calls();
    void note_busy(uint64_t now_ns);

    unsigned _id;
    Mesh& _mesh;
    Ring _ring;
    BufferRing _buffers;
    TimerWheel _timers;
    LocalFramePool _frames;
    std::vector<std::deque<MeshMsg>> _overflow;  // per target, when its ring is full
    std::vector<uint8_t> _dirty;                 // per target: pushed since last flush
    ShardLocals _locals;
    // Local calls: to run here (kCall to ourselves), answered here (kCallDone).
    std::deque<MeshMsg> _local;
    unsigned _direct_files = 0;
    bool _running = true;
    uint64_t _now_ms = 0;
    uint64_t _turns = 0;
    uint64_t _woke_ns = 0;     // when the kernel last returned to the loop
    uint64_t _busy_ns = 0;     // busy_us(), in ns
    uint64_t _lag_window = 0;  // now / kLagWindowMs of the current window
    uint64_t _lag_ns[2] = {};  // the longest turn in the current and previous window
    uint64_t _mesh_overflows = 0;
    int64_t _awaiting = 0;
};

}  // namespace ringcast

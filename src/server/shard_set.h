#pragma once
// The shard threads and what they share, from start to join.
//
// start() makes the control ring first: the main thread's only way into a
// shard's ring (see ControlRing in shard_set.cc), so nothing starts that could
// not be stopped. Then one pinned thread per shard, each building its Shard on
// itself and handing it its listeners, and start() returns once every shard
// has initialized. The destructor stops every shard that runs and joins every
// thread, whatever happened in between: a daemon step that fails after the
// threads started unwinds through it instead of destroying joinable threads.
#include <atomic>
#include <cstdint>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "core/mesh.h"
#include "http/stream_limit.h"
#include "net/load_board.h"
#include "pubsub/presence.h"
#include "server/listener_set.h"
#include "server/shard.h"

namespace ringcast {

class ControlRing;

class ShardSet {
public:
    // Builds what the shards share; nothing runs yet.
    ShardSet(unsigned shards, size_t mesh_ring_capacity, uint64_t max_streams);
    // Stops (phase 1) and joins every thread still there.
    ~ShardSet();
    ShardSet(const ShardSet&) = delete;
    ShardSet& operator=(const ShardSet&) = delete;

    // Starts shard i on cpus[i % cpus.size()] with `opts`, taking its listeners
    // from `listeners` (which must outlive the set), and waits until each has
    // initialized. False, after logging which step of which shard failed and
    // what to change, if the control ring or any shard could not start; the
    // shards that did start stop when the set goes.
    bool start(const ShardOptions& opts, const std::vector<int>& cpus, ListenerSet& listeners,
               uint64_t started_ms);

    // Asks every running shard to stop: phase 0 drains (stop accepting, finish
    // what is in flight, close streams after what is queued), phase 1 ends the
    // loop. See docs/architecture.md#shutdown.
    void stop(uint64_t phase);
    // Phase 1, then joins every thread. Idempotent.
    void stop_and_join();

    // Hands `next` (a reloaded configuration's options) to every running
    // shard, which applies what may change while it runs, and sets the stream
    // limit. Waits up to `wait_ms` for them; returns how many applied it.
    unsigned reload(std::shared_ptr<const ShardOptions> next, uint64_t max_streams,
                    uint64_t wait_ms);

    unsigned size() const { return _size; }
    // Shards that reported their connections closed after phase 0.
    unsigned drained() const { return _shutdown.drained.load(); }
    // An upgrade (server/handover_give.h): shards past kStopQuiesce and
    // kStopExport, and the streams they handed over with the log's position.
    unsigned quiesced() const { return _shutdown.quiesced.load(); }
    unsigned exported() const { return _shutdown.exported.load(); }
    std::vector<HandedStream> take_handed(std::string* epoch, uint64_t* last_sequence);
    uint64_t max_streams() const { return _streams.max(); }
    // Shard 0's ring setup mode ("defer_taskrun", "coop_taskrun", "plain").
    const char* ring_mode() const;
    // Each shard's beat and figures (server/shard_pulse.h). Set its interval
    // before start().
    PulseBoard& pulses() { return _pulses; }
    // Each shard's metrics snapshot (ops/metrics_board.h).
    MetricsBoard& metrics() { return _metrics; }

private:
    struct Thread {
        std::thread thread;
        std::atomic<int> init_result{0};  // 0, or -errno of the step that failed
        const char* init_step = "";
        const char* ring_mode = "";
    };

    void run_shard(unsigned i, int cpu, Thread* self, ListenerSet& listeners, uint64_t started_ms);
    bool check_initialized() const;

    const unsigned _size;
    Mesh _mesh;
    LoadBoard _board;
    StreamLimit _streams;
    ChannelPresence _presence;
    ShutdownState _shutdown;
    PulseBoard _pulses;
    MetricsBoard _metrics;
    ReloadSlot _reload;
    BlockingWorker _worker;  // stopped before the shards' loops end (its completions go there)
    const ShardShared _shared;
    ShardOptions _opts;
    std::unique_ptr<ControlRing> _control;
    std::vector<std::unique_ptr<Thread>> _threads;  // shard i's at [i]
    std::latch _ready;  // counted down by each shard once it has initialized
    bool _joined = false;
};

}  // namespace ringcast

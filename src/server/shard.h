#pragma once
// One shard: the objects a shard thread owns, wired together, and the reactor
// hooks that dispatch to them.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alerts/alert_feed.h"
#include "alerts/alert_service.h"
#include "cluster/alert_share.h"
#include "cluster/cluster_bus.h"
#include "cluster/cluster_node.h"
#include "cluster/node_registry.h"
#include "cluster/redis_link.h"
#include "cluster/user_caps.h"
#include "core/blocking_worker.h"
#include "core/reactor.h"
#include "http/http_server.h"
#include "net/transport.h"
#include "ops/directory.h"
#include "ops/limiter.h"
#include "ops/metrics_board.h"
#include "ops/publish_flow.h"
#include "ops/stats.h"
#include "publish/publish_server.h"
#include "pubsub/channel_index.h"
#include "pubsub/hub.h"
#include "pubsub/presence.h"
#include "server/shard_pulse.h"
#include "store/event_store.h"
#include "store/snapshot.h"

namespace ringcast {

// What the main thread asks of a shard (Op::stop's payload).
enum StopPhase : uint64_t {
    kStopDrain = 0,  // shutdown: stop accepting, finish what is in flight, close streams
    kStopExit = 1,   // end the loop
    // An upgrade, on the old daemon (server/handover_give.h):
    kStopQuiesce = 2,  // stop accepting; finish and close everything but the streams
    kStopExport = 3,   // hand the streams over (http/stream_export.h)
};

// How this daemon hands its streams over when a new one takes over ([upgrade]).
struct HandoverOptions {
    bool carry = true;  // hand streams over (false: end each with a randomised retry)
    uint64_t flush_timeout_ms = 5000;  // for a stream's queued bytes to be written
    uint32_t retry_spread_ms = 5000;   // retry hints are spread over 0..this
};

struct ShardOptions {
    ReactorOptions reactor;
    TransportOptions transport;
    HttpOptions http;
    PublishOptions publish;
    PublishRules publish_rules;  // publish.rate_limit (by key) and user_rate_limit
    // The log shard's (pubsub/event_log.h): its keeps, the numbering it
    // continues, and the store that mirrors it (nullptr: nothing survives).
    EventLogOptions log;
    std::string epoch;  // names the numbering (pubsub/event_id.h)
    uint64_t next_sequence = 1;
    EventStore* store = nullptr;  // the log's Journal; its figures go into stats
    // What the store loaded, rebuilt by the log shard in init() (the caller
    // keeps it alive until every shard is initialized), and the history floor.
    const StoreSnapshot* restore = nullptr;
    uint64_t restore_floor = 0;
    uint64_t shutdown_timeout_ms = 5000;
    // [alerts]: what the daemon loaded from alerts.db (every shard's feed starts
    // with it) and the file, used by the home shard's service on the worker.
    AlertOptions alerts;
    AlertSnapshot alerts_loaded;
    AlertDb* alert_db = nullptr;
    // In a cluster the set comes from Redis: the feeds start empty, and what
    // alerts.db holds is only put in a Redis that holds no set yet.
    AlertSnapshot alerts_seed;
    std::vector<std::string> metric_channels;      // [metrics] channels
    uint64_t metrics_snapshot_interval_ms = 1000;  // [metrics] snapshot_interval
    HandoverOptions handover;
    // [cluster] redis: each shard keeps a link to Redis (src/cluster); this
    // node's identity there, shared by the shards; and the log shard takes the
    // cluster's order through its link (cluster/cluster_bus.h).
    bool redis_enabled = false;
    RedisLinkOptions redis;
    std::shared_ptr<ClusterNode> cluster_node;
    ClusterBusOptions cluster;
    // Streams handed over by the daemon this one replaces, by shard (nullptr:
    // none), and the position they resume from (handed_stream.h).
    std::vector<std::vector<HandedStream>>* adopt = nullptr;
    std::string resume_id;
};

// Shared by the main thread and every shard during shutdown.
struct ShutdownState {
    std::atomic<unsigned> drained{0};  // shards whose connections are all closed
    // An upgrade: shards with nothing left but streams (kStopQuiesce), and
    // shards whose streams are all handed over or ended (kStopExport).
    std::atomic<unsigned> quiesced{0};
    std::atomic<unsigned> exported{0};
    std::mutex handed_mutex;  // guards what follows
    std::vector<HandedStream> handed;
    std::string epoch;           // the log shard's numbering at the export
    uint64_t last_sequence = 0;  // (nothing is numbered after it)
};

// A reloaded configuration on its way to the shards (server/reload.h): the
// main thread leaves the options here and rings each shard, which takes them
// on its own thread and counts itself done.
struct ReloadSlot {
    std::mutex mutex;
    std::shared_ptr<const ShardOptions> next;
    std::atomic<unsigned> applied{0};
};

// What all shards share. Each piece is touched off the hot path (connects,
// subscriptions, shutdown) or through lock-free rings (the mesh).
struct ShardShared {
    Mesh& mesh;
    LoadBoard& board;
    StreamLimit& streams;
    ChannelPresence& presence;
    ShutdownState& shutdown;
    BlockingWorker& worker;  // blocking work (the alerts' commits, Redis host names)
    PulseBoard& pulses;      // each shard's beat and figures, for the main thread
    MetricsBoard& metrics;   // each shard's metrics snapshot, for GET /metrics
    ReloadSlot& reload;
};

class Shard final : public ReactorHooks {
public:
    Shard(unsigned id, const ShardShared& shared, const ShardOptions& opts, uint64_t started_ms);
    // Frees the connections a stop without a drain left open, while their
    // protocols still exist.
    ~Shard() override { _transport.destroy_all(); }

    // On the shard thread, before run(). 0 or -errno; *what names the failed step.
    // The log shard also rebuilds its keeps from opts.restore here.
    int init(const char** what);
    // Protocols spoken on this shard's connections.
    enum Protocol : uint8_t { kHttp = 0, kPublish = 1, kMetrics = 2 };
    void add_listener(int fd, Protocol p, bool balance) { _transport.add_listener(fd, p, balance); }
    // HTTPS ([tls] listen): HTTP over TLS, the handler the same (net/transport_tls.cc).
    void add_https_listener(int fd, bool balance) {
        _transport.add_listener(fd, kHttp | Transport::kTlsFlag, balance);
    }
    void run() { _reactor.run(*this); }
    // Before run(): registers the sockets of streams handed over by the daemon
    // this one replaces in this shard's table, and rebuilds each stream; the
    // fds are closed (the table holds the sockets).
    void adopt_streams(std::vector<HandedStream>& streams, const std::string& resume_id);
    const char* ring_mode() { return _reactor.ring().mode(); }

    // ReactorHooks
    void on_completion(const io_uring_cqe& cqe) override;
    void on_message(const MeshMsg& m) override;
    void on_timer(TimerNode* node) override;
    void before_sleep() override;
    bool has_pending_work() override { return _transport.has_pending_work(); }
    void on_stop_requested(uint64_t phase) override;
    void on_reload_requested() override;

private:
    void restore_keeps();
    void beat();
    void publish_metrics();
    // [cluster] redis: the link made and started (init), and its changes logged.
    void start_redis();
    // This node's summary for the cluster (cluster/node_registry.h): the
    // shards' pulses summed.
    SummaryFields cluster_summary() const;
    // kStopQuiesce and kStopExport; their progress, once per turn.
    void begin_handover(uint64_t phase);
    void handover_progress();

    ShardOptions _opts;
    ShutdownState& _shutdown;
    ReloadSlot& _reload;
    BlockingWorker& _worker;
    Reactor _reactor;
    ChannelIndex _index;
    Audience _audience;
    Transport _transport;
    std::unique_ptr<EventLog> _log;  // the log shard's; nullptr elsewhere
    Hub _hub;
    StatsCollector _stats;
    Directory _directory;
    Limiter _limiter;
    PublishFlow _flow;  // one publish path for HTTP and the socket
    AlertFeed _alerts;  // this shard's alerts and its streams' alert events
    // The home shard's (alerts/alert_service.h), when alerts are enabled.
    std::unique_ptr<AlertService> _alert_service;
    HttpServer _http;
    PublishServer _publish;
    std::unique_ptr<RedisLink> _redis;         // with [cluster] redis
    std::unique_ptr<UserCaps> _user_caps;      // with [cluster] redis
    std::unique_ptr<NodeRegistry> _registry;   // the home shard's, with [cluster] redis
    std::unique_ptr<ClusterBus> _bus;          // the log shard's, with [cluster] redis
    std::unique_ptr<AlertShare> _alert_share;  // the alerts' home shard's, with [cluster] redis
    TimerNode _drain_timer;
    TimerNode _expiry_timer;  // the log shard: ages its keeps, every second
    PulseBoard& _pulses;
    TimerNode _pulse_timer;    // every _pulses.interval_ms(): beat()
    TimerNode _metrics_timer;  // every metrics_snapshot_interval_ms: publish_metrics()
    // Every second: sums up log lines the rate limit held back (core/log_event.h),
    // also after the flood that caused them stopped.
    TimerNode _log_report_timer;
    uint64_t _started_ms;  // monotonic: the daemon's start
    bool _draining = false;
    bool _drained = false;
    bool _quiescing = false;  // an upgrade: see StopPhase
    bool _quiesced = false;
    bool _exporting = false;
    bool _exported = false;
};

}  // namespace ringcast

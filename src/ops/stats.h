#pragma once
// Statistics gathered from every shard.
//
// A stats request is answered like a publish: the shard that was asked sends a
// request through the mesh to every other shard, each one fills a ShardSnapshot of
// its own state (no shard reads another's data structures), and the asking shard
// renders the merged result once all have answered.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cluster/redis_link.h"
#include "core/latency_histogram.h"
#include "core/mesh.h"
#include "core/reactor.h"
#include "http2/h2_options.h"
#include "net/transport.h"
#include "ops/directory.h"
#include "ops/publish_flow.h"
#include "pubsub/channel_index.h"
#include "pubsub/hub.h"

namespace ringcast {

class MetricsBoard;

// What streams got before going live (history, cache, mail), on one shard.
struct CatchUpStats {
    uint64_t streams = 0;   // streams that got something: events, or a history-gap refresh
    uint64_t resumes = 0;   // streams opened with a Last-Event-ID, owed something or not
    uint64_t gaps = 0;      // streams told history-gap (a resume that missed events, a trim)
    uint64_t replayed = 0;  // events queued before going live (history, cache, mail)
    uint64_t trimmed = 0;   // catch-ups cut to half of delivery.queue_limit (then told history-gap)
};

// Requests a shard answered with a refusal, by kind (every refusal is counted).
struct RefusalStats {
    uint64_t bad_request = 0;   // 400 (stream requests)
    uint64_t unauthorized = 0;  // 401
    uint64_t forbidden = 0;     // 403
    uint64_t rate_limited = 0;  // 429
    uint64_t unavailable = 0;   // 503
};

// The store's figures (src/store), as the log shard reads them.
// A shard's link to Redis ([cluster] redis; src/cluster), for readiness.
struct RedisFigures {
    bool enabled = false;
    bool up = false;
    uint64_t down_for_ms = 0;  // while down: since the link was lost (or started)
    std::string last_error;    // why the last attempt or connection failed
    // The home shard's: why this node is not registered in the cluster ("":
    // it is; cluster/node_registry.h), and the live nodes at its last beat.
    std::string node_problem;
    uint64_t cluster_nodes = 0;
    RedisLinkStats link;  // the link's counters, for /metrics
};

// The log shard's place in a cluster's order (cluster/cluster_bus.h).
struct ClusterFigures {
    bool enabled = false;
    bool live = false;  // joined, delivering the cluster's events as they come
    std::string epoch;
    std::string instance;
    uint64_t last_sequence = 0;
    uint64_t submitted = 0, refused = 0, applied = 0, remote = 0, read = 0, catch_ups = 0,
             missed = 0, bad = 0, reports_sent = 0, reports_received = 0, unanswered = 0,
             probes_failed = 0;
};

struct StoreFigures {
    bool enabled = false;
    std::string path;
    uint64_t written = 0, commits = 0, failed_commits = 0, given_up = 0, pending = 0;
    int64_t last_commit_ms = 0;
    uint64_t last_commit_us = 0, database_bytes = 0;
    int64_t failing_since_ms = 0;  // the first of the failed commits in a row; 0: none
    LatencyHistogram commit_latency;
};

// Streams by endpoint and the bytes queued to every connection, counted when a
// snapshot is taken (a walk over the shard's connections: nothing on the hot path).
struct StreamCensus {
    std::vector<uint64_t> by_endpoint;  // in the order of the [[endpoint]] tables
    uint64_t queued_bytes = 0;          // every connection's output queue
};

// What the metrics need beyond the statistics (ops/metrics.h).
struct ShardMetricFigures {
    uint64_t published_http = 0;    // messages handed to the publish flow by HTTP
    uint64_t published_socket = 0;  // ... by the Unix socket
    LatencyHistogram delivery;      // pubsub/hub.h: accepted -> sends submitted
    LatencyHistogram publish_ack;   // ops/publish_flow.h: accepted -> every shard reported
    uint64_t loop_lag_us = 0;       // core/reactor.h
    uint64_t loop_busy_us = 0;
    uint64_t cq_overflows = 0;  // the ring's own counter (core/ring.h)
    StreamCensus census;
};

// Events a shard's streams lost in their output queues, one per recipient
// (dropped by priority, or expired). Counted by the protocol layer, which knows what a frame is;
// the transport's policy decides (net/queue_policy.h).
struct QueueLossStats {
    uint64_t events_dropped = 0;  // dropped to make room for a slow reader
    uint64_t events_expired = 0;  // ttl passed while queued: removed, never written
};

// The alert events a shard sent (alerts/alert_feed.h): `alerts-update` events
// queued to streams, and the distinct lists serialized for them (one frame per
// distinct list: the streams that see the same alerts share its bytes).
struct AlertEventStats {
    uint64_t updates = 0;
    uint64_t lists = 0;
};

// One channel as one shard sees it.
struct ChannelFigures {
    std::string name;
    uint64_t subscribers = 0;
    uint64_t dropped = 0;
    uint64_t expired = 0;
    uint64_t slow_disconnects = 0;
};

struct ShardSnapshot {
    unsigned shard = 0;
    uint64_t taken_ns = 0;  // when it was taken (core/clock.h mono_ns); 0: never
    uint64_t sockets = 0;   // every connection, streams and API requests alike
    uint64_t streams = 0;   // SSE streams
    uint64_t loop_turns = 0;
    uint64_t mesh_overflows = 0;
    HubStats hub;
    TransportStats transport;
    RefusalStats refused;
    CatchUpStats catch_up;  // streams that caught up here
    H2Stats http2;          // HTTP/2 connections and their streams
    // The log shard's keeps (only the log fills them).
    bool has_log = false;
    EventLogStats log;
    KeyedLogStats history, cache, mailbox;
    uint64_t pending_mail = 0;
    StoreFigures store;
    ClusterFigures cluster;
    QueueLossStats losses;
    AlertEventStats alerts;
    std::vector<ChannelFigures> channels;
    std::vector<std::pair<std::string, uint64_t>> users;  // user -> local streams
    ShardMetricFigures metrics;                           // only with SnapshotScope::metrics
    RedisFigures redis;  // [cluster] redis, only with SnapshotScope::metrics
    // Publishes that started here in the last minute, and per channel (those
    // with any; pubsub/publish_rate.h).
    uint64_t messages_per_minute = 0;
    std::vector<std::pair<std::string, uint64_t>> channel_rates;
};

// What a snapshot holds beyond the counters: GET /api/stats wants every channel
// and user; /metrics wants neither (its labels are bounded) but the census of streams.
enum class SnapshotScope : uint8_t { stats, metrics };

// How many channels (busiestChannels) and users (connectionsByUser) the stats
// list by name; the rest are summed (otherChannels, otherUsers), so that the
// reply stays small however many there are.
constexpr size_t kStatsTopN = 20;

// Process-wide figures read from the kernel (RSS, CPU time) and, when the
// daemon runs on mimalloc, from the allocator.
struct ProcessStats {
    uint64_t rss_bytes = 0;
    uint64_t peak_rss_bytes = 0;  // VmHWM: the most resident memory ever
    bool has_heap = false;        // built with mimalloc: the two below are read
    uint64_t heap_committed = 0;  // memory mimalloc has committed from the OS now
    uint64_t heap_peak_committed = 0;
    double cpu_user_s = 0;
    double cpu_system_s = 0;
};
ProcessStats read_process_stats();

class StatsCollector {
public:
    StatsCollector(Reactor& reactor, Transport& transport, ChannelIndex& index, Hub& hub);
    // Where this shard's count of SSE streams lives (owned by the protocol layer).
    void set_stream_counter(const uint64_t* streams) { _streams = streams; }
    // Where this shard's refusals are counted (HTTP, the publish socket): summed.
    void set_refusals(const RefusalStats* refused, const RefusalStats* more = nullptr) {
        _refused = refused;
        _more_refused = more;
    }
    // Where this shard counts streams that caught up (the HTTP layer).
    void set_catch_ups(const CatchUpStats* c) { _catch_ups = c; }
    // Where this shard counts its HTTP/2 connections (the HTTP layer).
    void set_h2_stats(const H2Stats* h) { _h2 = h; }
    // The log shard: how to read the store's figures (thread-safe).
    void set_store(std::function<StoreFigures()> read) { _store = std::move(read); }
    // The store's figures now (enabled = false on every shard but the log, or without a store).
    StoreFigures store_figures() const { return _store ? _store() : StoreFigures{}; }
    // This shard's Redis link, read on this shard (the readiness probe's call).
    void set_redis(std::function<RedisFigures()> read) { _redis = std::move(read); }
    // The log shard in a cluster: its place in the cluster's order.
    void set_cluster(std::function<ClusterFigures()> read) { _cluster = std::move(read); }
    // [cluster] redis: the cluster's statistics (cluster/cluster_stats.h), asked
    // of Redis by this shard's link; `done` gets the JSON, or nullopt and why.
    using ClusterAnswer = std::function<void(const std::string* json, std::string_view error)>;
    void set_cluster_stats(std::function<void(ClusterAnswer)> ask) {
        _cluster_stats = std::move(ask);
    }
    bool cluster_stats_enabled() const { return bool(_cluster_stats); }
    void cluster_stats(ClusterAnswer done) const { _cluster_stats(std::move(done)); }
    RedisFigures redis_figures() const { return _redis ? _redis() : RedisFigures{}; }
    // Who describes streams (their users); none: no per-user figures.
    void set_catalog(const StreamCatalog* catalog) { _catalog = catalog; }
    // Where this shard's queue losses are counted (the HTTP side).
    void set_queue_losses(const QueueLossStats* losses) { _losses = losses; }
    // Where this shard counts its alert events (the alert feed).
    void set_alert_stats(std::function<AlertEventStats()> read) { _alerts = std::move(read); }
    // Who counts streams by endpoint and queued bytes (the HTTP side), and where
    // publishes are counted by protocol and their acknowledgements timed.
    void set_census(std::function<StreamCensus()> census) { _census = std::move(census); }
    void set_publish_flow(const PublishFlow* flow) { _flow = flow; }
    // The channels /metrics names ([metrics] channels); no other channel is named.
    void set_metric_channels(std::vector<std::string> names) {
        _metric_channels = std::move(names);
    }

    // Where every shard leaves its metric snapshot (ops/metrics_board.h).
    void set_metrics_board(MetricsBoard* board) { _board = board; }
    // On the shard's snapshot timer: this shard's metrics snapshot into its
    // slot of the board. False if a scrape was reading the buffer it would
    // overwrite (nothing written: call again shortly).
    bool publish_metrics();
    // Every shard's latest metrics snapshot, read from the board without
    // asking any shard; in shard order.
    std::vector<ShardSnapshot> latest_metrics() const;

    // Asks every shard for its snapshot (a shard call each); `done` runs on this
    // shard with them, in shard order, never inside collect().
    void collect(std::function<void(std::vector<ShardSnapshot>& shards)> done,
                 SnapshotScope scope = SnapshotScope::stats);
    // This shard's figures (on its own thread).
    ShardSnapshot snapshot(SnapshotScope scope = SnapshotScope::stats) const;
    Reactor& reactor() const { return _reactor; }

private:
    void fill_metrics(ShardSnapshot* s) const;

    Reactor& _reactor;
    Transport& _transport;
    ChannelIndex& _index;
    Hub& _hub;
    const uint64_t* _streams = nullptr;
    const RefusalStats* _refused = nullptr;
    const RefusalStats* _more_refused = nullptr;
    const CatchUpStats* _catch_ups = nullptr;
    const H2Stats* _h2 = nullptr;
    std::function<StoreFigures()> _store;
    std::function<RedisFigures()> _redis;
    std::function<ClusterFigures()> _cluster;
    std::function<void(ClusterAnswer)> _cluster_stats;
    const StreamCatalog* _catalog = nullptr;
    const QueueLossStats* _losses = nullptr;
    std::function<StreamCensus()> _census;
    std::function<AlertEventStats()> _alerts;
    const PublishFlow* _flow = nullptr;
    std::vector<std::string> _metric_channels;
    MetricsBoard* _board = nullptr;
};

// The TLS counters of every shard summed (the rest of the result is zero), for
// the "tls" object of the stats and the ringcast_tls_* metrics alike.
TransportStats tls_totals(const std::vector<ShardSnapshot>& shards);

// {"totalConnections": ..., "channels": {...}, "shards": [...], ...}
std::string render_stats_json(const std::vector<ShardSnapshot>& shards, double uptime_s,
                              const ProcessStats& p);

}  // namespace ringcast

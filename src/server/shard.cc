#include "server/shard.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "cluster/cluster_stats.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "core/log_event.h"
#include "core/user_data.h"

namespace ringcast {

namespace {
constexpr uint64_t kExpirySweepMs = 1000;
constexpr uint64_t kLogReportMs = 1000;
// The shard whose link keeps this node's heartbeat (cluster/node_registry.h).
constexpr unsigned kClusterHomeShard = 0;
// A scrape was copying the buffer a snapshot would overwrite (microseconds):
// the snapshot is taken again this soon rather than a whole interval later.
constexpr uint64_t kMetricsRetryMs = 1;
}  // namespace

Shard::Shard(unsigned id, const ShardShared& shared, const ShardOptions& opts, uint64_t started_ms)
    : _opts(opts)
    , _shutdown(shared.shutdown)
    , _reload(shared.reload)
    , _worker(shared.worker)
    , _reactor(id, shared.mesh)
    , _index(&shared.presence, id)
    , _transport(_reactor, shared.board, opts.transport)
    , _log(id == Hub::log_shard(shared.mesh.shards())
               ? std::make_unique<EventLog>(opts.log, opts.epoch, opts.next_sequence, opts.store)
               : nullptr)
    , _hub(_reactor, _transport, _index, _audience, shared.presence, _log.get())
    , _stats(_reactor, _transport, _index, _hub)
    , _directory(_reactor, _transport)
    , _limiter(_reactor)
    , _flow(_hub, _limiter, opts.publish_rules)
    , _alerts(_reactor, _transport, _index, _audience, _opts.alerts, opts.alerts_loaded)
    , _alert_service(id == AlertService::kHomeShard && opts.alerts.enabled && opts.alert_db
                         ? std::make_unique<AlertService>(_reactor, _hub, shared.worker,
                                                          *opts.alert_db, _opts.alerts,
                                                          opts.alerts_loaded)
                         : nullptr)
    , _http(_reactor, _transport, _index, _audience, _limiter, _hub, _stats, _directory, _flow,
            shared.streams, shared.worker, opts.http, started_ms, kHttp)
    , _publish(_reactor, _transport, _hub, _stats, _directory, _flow, opts.publish, started_ms,
               kPublish)
    , _pulses(shared.pulses)
    , _started_ms(started_ms) {
    _stats.set_stream_counter(&_http.streams().stream_count());
    _stats.set_h2_stats(&_http.h2_stats());
    _stats.set_refusals(&_http.refusals(), &_publish.refusals());
    _stats.set_catch_ups(&_http.streams().catch_ups());
    if (_log && opts.store)
        _stats.set_store([store = opts.store] {
            StoreStats st = store->stats();
            StoreFigures f;
            f.enabled = true;
            f.path = store->path();
            f.written = st.records_written;
            f.commits = st.commits;
            f.failed_commits = st.failed_commits;
            f.given_up = st.given_up;
            f.pending = st.pending;
            f.last_commit_ms = st.last_commit_ms;
            f.last_commit_us = st.last_commit_us;
            f.database_bytes = st.database_bytes;
            f.failing_since_ms = st.failing_since_ms;
            f.commit_latency = st.commit_latency;
            return f;
        });
    _stats.set_queue_losses(&_http.streams().queue_losses());
    _stats.set_census([this] { return _http.streams().census(); });
    _stats.set_alert_stats([this] {
        return AlertEventStats{_alerts.stats().updates, _alerts.stats().lists};
    });
    _stats.set_publish_flow(&_flow);
    _stats.set_metric_channels(opts.metric_channels);
    _stats.set_metrics_board(&shared.metrics);
    _stats.set_catalog(&_http.streams());
    _directory.set_catalog(&_http.streams());
    _transport.set_protocol(kHttp, _http);
    _transport.set_protocol(kPublish, _publish);
    // The metrics listener's connections are HTTP, limited to /metrics and /healthz/*.
    _transport.set_protocol(kMetrics, _http);
    _http.serve_metrics_listener(kMetrics);
    // What shard calls from other shards find here (core/shard_call.h).
    ShardLocals& locals = _reactor.locals();
    locals.provide(_hub);
    locals.provide(_stats);
    locals.provide(_directory);
    locals.provide(_limiter);
    locals.provide(_alerts);
    if (_alert_service) locals.provide(*_alert_service);
}

int Shard::init(const char** what) {
    int rc = _reactor.init(_opts.reactor, what);
    if (rc == 0) beat();  // the first beat: this shard is up
    if (rc == 0) _reactor.timers().schedule(&_log_report_timer, _reactor.now_ms() + kLogReportMs);
    if (rc == 0 && _log) {
        restore_keeps();
        _reactor.timers().schedule(&_expiry_timer, _reactor.now_ms() + kExpirySweepMs);
    }
    if (rc == 0 && _opts.redis_enabled) start_redis();
    if (rc == 0 && _alert_service) _alert_service->start();  // in a cluster, after start_redis
    // The first snapshot, before any loop runs: no scrape finds a slot empty.
    if (rc == 0) publish_metrics();
    return rc;
}

void Shard::start_redis() {
    RedisLinkOptions o = _opts.redis;
    o.name = fmt::format("shard {} redis", _reactor.id());
    _redis = std::make_unique<RedisLink>(_reactor, &_worker, RedisRole::commands, o);
    const std::string where = o.endpoint.describe();
    _redis->on_state([this, where](bool up, std::string_view why) {
        if (_user_caps) _user_caps->link_changed(up);
        if (_registry && up) _registry->link_up();
        if (up)
            spdlog::info("shard {}: linked to Redis at {}", _reactor.id(), where);
        else
            spdlog::warn(
                "shard {}: no link to Redis at {}: {}; retrying with backoff (/healthz/ready "
                "fails until it is back)",
                _reactor.id(), where, why);
    });
    _hub.set_clustered();
    if (_log) {
        RedisLinkOptions sub = _opts.redis;
        sub.name = fmt::format("shard {} redis bus", _reactor.id());
        ClusterBusOptions bus = _opts.cluster;
        bus.instance = _opts.cluster_node->instance;
        _bus = std::make_unique<ClusterBus>(_reactor, _hub, *_log, *_redis, &_worker, sub,
                                            std::move(bus));
        _hub.set_order(_bus.get());
        _stats.set_cluster([this] {
            ClusterFigures f;
            f.enabled = true;
            f.live = _bus->live();
            f.epoch = std::string(_bus->epoch());
            f.instance = std::string(_bus->instance());
            f.last_sequence = _bus->last_applied();
            const ClusterBusStats& st = _bus->stats();
            f.submitted = st.submitted;
            f.refused = st.refused;
            f.applied = st.applied;
            f.remote = st.remote;
            f.read = st.read;
            f.catch_ups = st.catch_ups;
            f.missed = st.missed;
            f.bad = st.bad;
            f.reports_sent = st.reports_sent;
            f.reports_received = st.reports_received;
            f.unanswered = st.unanswered;
            f.probes_failed = st.probes_failed;
            return f;
        });
    }
    if (_alert_service) {
        // The alerts' home shard keeps the cluster's alert set (alerts/alert_service.h).
        RedisLinkOptions sub = _opts.redis;
        sub.name = fmt::format("shard {} redis alerts", _reactor.id());
        _alert_share =
            std::make_unique<AlertShare>(_reactor, &_worker, *_redis, sub, _opts.cluster.prefix);
        _alert_service->share(_alert_share.get(), _opts.alerts_seed);
    }
    _stats.set_redis([this] {
        RedisFigures f;
        f.enabled = true;
        // Ready in a cluster: linked, (the log shard) in the cluster's order,
        // and (the alerts' home shard) holding the cluster's alerts.
        const bool alerts = !_alert_service || _alert_service->in_step();
        f.up = _redis->up() && (!_bus || _bus->live()) && alerts;
        const RedisLinkStats& st = _redis->stats();
        if (!f.up && st.down_since_ms && _reactor.now_ms() > st.down_since_ms)
            f.down_for_ms = _reactor.now_ms() - st.down_since_ms;
        if (!f.up) f.last_error = st.last_error;
        if (!f.up && _redis->up())
            f.last_error = alerts ? "not yet in the cluster's order (joining, or reading what it "
                                    "missed)"
                                  : "not yet holding the cluster's alerts (reading them from "
                                    "Redis)";
        if (_registry) f.node_problem = _registry->problem();
        f.link = st;
        if (_registry) f.cluster_nodes = _registry->live_nodes();
        return f;
    });
    ClusterNode& node = *_opts.cluster_node;
    _user_caps = std::make_unique<UserCaps>(_reactor, *_redis, node);
    _http.streams().set_cluster(_user_caps.get(), _redis.get(), _opts.cluster_node.get());
    if (_reactor.id() == kClusterHomeShard)
        _registry = std::make_unique<NodeRegistry>(_reactor, *_redis, node,
                                                   [this] { return cluster_summary(); });
    _stats.set_cluster_stats([this](StatsCollector::ClusterAnswer done) {
        list_nodes(*_redis, *_opts.cluster_node, [this, done = std::move(done)](NodeList& list) {
            if (!list.ok) {
                done(nullptr, list.error);
                return;
            }
            const std::string json = render_cluster_stats(list, *_opts.cluster_node);
            done(&json, {});
        });
    });
    _redis->start();
    if (_bus) _bus->start();
    if (_alert_share) _alert_share->start();
    if (_registry) _registry->start();
}

SummaryFields Shard::cluster_summary() const {
    PulseFigures sum;
    for (unsigned s = 0; s < _pulses.shards(); ++s) {
        PulseFigures f = _pulses.read(s);
        sum.streams += f.streams;
        sum.published += f.published;
        sum.deliveries += f.deliveries;
    }
    const uint64_t now = _reactor.now_ms();
    return {{"instance", _opts.cluster_node->instance},
            {"at", std::to_string(wall_ms())},
            {"uptimeMs", std::to_string(now - std::min(now, _started_ms))},
            {"shards", std::to_string(_pulses.shards())},
            {"streams", std::to_string(sum.streams)},
            {"published", std::to_string(sum.published)},
            {"deliveries", std::to_string(sum.deliveries)}};
}

void Shard::on_completion(const io_uring_cqe& cqe) {
    switch (op_of(cqe.user_data)) {
        case Op::redis_connect:
        case Op::redis_send:
        case Op::redis_recv: pointer_of<RedisLink>(cqe.user_data)->on_completion(cqe); return;
        default: _transport.on_completion(cqe);
    }
}

void Shard::restore_keeps() {
    const int64_t now = wall_ms();
    if (const StoreSnapshot* snap = _opts.restore) {
        for (const StoredEvent& s : snap->events)
            _log->restore(s.event, s.in_history, s.in_cache, s.mailbox_users, now);
        for (const auto& [channel, seq] : snap->history_evicted)
            _log->history().log().restore_lost(channel, seq);
        _log->history().log().restore_floor(snap->history_floor);
    }
    if (_opts.restore_floor > _log->history().log().floor()) {
        _log->history().log().restore_floor(_opts.restore_floor);
        if (_opts.store) _opts.store->history_floor(_opts.restore_floor);
    }
}

// The main thread's proof that this loop turns, and the figures of systemd's
// STATUS line (server/shard_pulse.h).
void Shard::beat() {
    HubStats hub = _hub.stats();
    _pulses.beat(_reactor.id(), _http.streams().stream_count(), hub.published, hub.deliveries);
    _reactor.timers().schedule(&_pulse_timer, _reactor.now_ms() + _pulses.interval_ms());
}

// This shard's figures for GET /metrics, left in its slot of the board
// (ops/metrics_board.h) every [metrics] snapshot_interval: scrapes read them
// there and never ask this loop. The cost is one snapshot (counters, the
// histograms, one walk over the connections for the census) per interval,
// scraped or not (bench/micro/metrics_bench.cc).
void Shard::publish_metrics() {
    const uint64_t next =
        _stats.publish_metrics() ? _opts.metrics_snapshot_interval_ms : kMetricsRetryMs;
    _reactor.timers().schedule(&_metrics_timer, _reactor.now_ms() + next);
}

void Shard::on_message(const MeshMsg& m) {
    if (_hub.on_message(m)) return;  // shard calls are the reactor's own
    spdlog::error("shard {}: unknown mesh message kind {} from shard {}", _reactor.id(), m.kind,
                  m.from);
}

void Shard::on_timer(TimerNode* node) {
    if (node == &_drain_timer) {
        // The drain took too long: cut whatever is left.
        size_t left = _transport.connection_count();
        if (left > 0)
            spdlog::warn(
                "shard {}: shutdown timeout ({} ms): closing {} connections with unsent data",
                _reactor.id(), _opts.shutdown_timeout_ms, left);
        _transport.for_each_connection([&](Connection& c) { _transport.close(c, false); });
        return;
    }
    if (_redis && _redis->owns(node)) {
        _redis->on_timer(node);
        return;
    }
    if (_bus && _bus->owns(node)) {
        _bus->on_timer(node);
        return;
    }
    if (_registry && _registry->owns(node)) {
        _registry->on_timer();
        return;
    }
    if (_alerts.owns(node)) {
        _alerts.on_timer();
        return;
    }
    if (_alert_service && _alert_service->owns(node)) {
        _alert_service->on_timer(node);
        return;
    }
    if (node == &_pulse_timer) {
        beat();
        return;
    }
    if (node == &_metrics_timer) {
        publish_metrics();
        return;
    }
    if (node == &_log_report_timer) {
        flush_log_summaries();
        if (_user_caps) _user_caps->tick();  // counts Redis may have missed, written again
        _reactor.timers().schedule(&_log_report_timer, _reactor.now_ms() + kLogReportMs);
        return;
    }
    if (node == &_expiry_timer) {
        _hub.expire(wall_ms());
        _reactor.timers().schedule(&_expiry_timer, _reactor.now_ms() + kExpirySweepMs);
        return;
    }
    _transport.on_timer(node);
}

void Shard::before_sleep() {
    if (_log && _opts.store) _opts.store->poll();
    _publish.flush();  // replies produced this turn, then every write in one batch
    if (_quiescing) handover_progress();
    if (_bus) {
        _bus->flush();  // this turn's delivery reports
        _bus->subscriber().flush();
    }
    if (_alert_share) _alert_share->flush();
    if (_redis) _redis->flush();  // this turn's commands, in one send
    _transport.flush();
    _hub.after_flush(_transport.sends_waiting());  // delivery latency (pubsub/hub.h)
    if (_draining && !_drained && _transport.connection_count() == 0 &&
        (!_redis || _redis->stopped()) && (!_bus || _bus->stopped()) &&
        (!_alert_share || _alert_share->stopped())) {
        _drained = true;
        _reactor.timers().cancel(&_drain_timer);
        _shutdown.drained.fetch_add(1);
    }
}

void Shard::on_reload_requested() {
    std::shared_ptr<const ShardOptions> next;
    {
        std::lock_guard lock(_reload.mutex);
        next = _reload.next;
    }
    if (!next) return;
    // What may change while the shard runs (server/reload.h keeps the rest,
    // rings, tables, the store, as they started). Between two loop turns:
    // nothing of this shard is half-way through a request or a fan-out.
    _opts.shutdown_timeout_ms = next->shutdown_timeout_ms;
    _opts.alerts = next->alerts;  // the feed and the service read these
    _transport.apply(next->transport);
    _http.apply(next->http);
    _publish.apply(next->publish);
    _flow.apply(next->publish_rules);
    if (_log) _log->set_limits(next->log, wall_ms());
    _stats.set_metric_channels(next->metric_channels);
    if (next->metrics_snapshot_interval_ms != _opts.metrics_snapshot_interval_ms) {
        // A snapshot now, and the next ones by the new interval.
        _opts.metrics_snapshot_interval_ms = next->metrics_snapshot_interval_ms;
        publish_metrics();
    }
    _reload.applied.fetch_add(1);
}

void Shard::on_stop_requested(uint64_t phase) {
    if (phase == kStopQuiesce || phase == kStopExport) {
        begin_handover(phase);
        return;
    }
    if (phase == kStopDrain) {
        if (_draining) return;
        _draining = true;
        _transport.stop_accepting();
        _http.begin_shutdown();
        _publish.begin_shutdown();
        if (_bus) _bus->stop();
        if (_alert_share) _alert_share->stop();
        if (_registry)  // the name given up first, then the link stops (not
                        // inside the link's own completion: deferred)
            _registry->leave([this] { _reactor.defer([this] { _redis->stop(); }); });
        else if (_redis)
            _redis->stop();
        _reactor.timers().schedule(&_drain_timer, _reactor.now_ms() + _opts.shutdown_timeout_ms);
    } else {
        _reactor.finish();
    }
}

void Shard::begin_handover(uint64_t phase) {
    if (_draining) return;
    if (phase == kStopQuiesce && !_quiescing) {
        _quiescing = true;
        // The new daemon takes the name over (at its next beat); the link
        // stays for what the streams still release.
        if (_registry) _registry->leave([] {});
        _transport.stop_accepting();
        _http.begin_handover();
        _publish.begin_shutdown();
    } else if (phase == kStopExport && _quiescing && !_exporting) {
        _exporting = true;
        if (_log) {
            std::lock_guard lock(_shutdown.handed_mutex);
            _shutdown.epoch = std::string(_log->epoch());
            _shutdown.last_sequence = _log->last_sequence();
        }
        _http.handover().begin(_opts.handover.carry, _opts.handover.flush_timeout_ms,
                               _opts.handover.retry_spread_ms);
    }
}

// Quiesced: only streams are left (every publish answered, so every event
// numbered has been queued to its streams). Exported: every stream handed over
// or ended, and every connection gone.
void Shard::handover_progress() {
    // An HTTP/2 connection is no stream, but stays as long as its streams do.
    if (!_quiesced && _transport.connection_count() + _transport.virtual_count() ==
                          _http.streams().stream_count() + _http.h2_stats().connections) {
        _quiesced = true;
        _shutdown.quiesced.fetch_add(1);
    }
    if (!_exporting || _exported) return;
    StreamExport& out = _http.handover();
    out.poll();
    if (!out.done() || _transport.connection_count() != 0) return;
    _exported = true;
    std::vector<HandedStream> mine = out.take();
    {
        std::lock_guard lock(_shutdown.handed_mutex);
        for (HandedStream& h : mine)
            _shutdown.handed.push_back(std::move(h));
    }
    _shutdown.exported.fetch_add(1);
}

void Shard::adopt_streams(std::vector<HandedStream>& streams, const std::string& resume_id) {
    // Every socket goes into the table (slots from 0 up: the table is empty)
    // before the first stream is rebuilt. Rebuilding arms a receive per stream,
    // and a full submission queue is submitted on the spot; were an accept
    // among those SQEs, it could take a connection waiting in the backlog into
    // the next free slot, which the registration of the following stream would
    // then overwrite (one stream lost, its socket held by a connection object
    // that is not its own). The caller adds the listeners only after this, and
    // one registration call for all of them is also one syscall, not one a stream.
    const uint32_t n = uint32_t(std::min<size_t>(streams.size(), _reactor.direct_files()));
    std::vector<int> fds;
    fds.reserve(n);
    for (uint32_t i = 0; i < n; ++i)
        fds.push_back(streams[i].fd);
    int registered =
        n ? io_uring_register_files_update(_reactor.ring().raw(), 0, fds.data(), n) : 0;
    if (registered < 0) {
        spdlog::warn(
            "shard {}: the handed-over streams could not be registered ({}): they reconnect",
            _reactor.id(), std::strerror(-registered));
        registered = 0;
    } else if (size_t(registered) < streams.size()) {
        spdlog::warn("shard {}: {} of {} handed-over streams found no slot: they reconnect",
                     _reactor.id(), streams.size() - size_t(registered), streams.size());
    }
    for (size_t i = 0; i < streams.size(); ++i) {
        HandedStream& s = streams[i];
        const int fd = s.fd;
        s.fd = -1;
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        const bool named = getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0;
        ::close(fd);  // the table holds the socket now (or it was not taken: it closes)
        if (i >= size_t(registered)) continue;
        Connection* c = _transport.adopt_registered(
            uint32_t(i), kHttp, named ? PeerAddress::from(ss, len) : PeerAddress{});
        if (c) _http.adopt_stream(*c, s, resume_id);
    }
}

}  // namespace ringcast

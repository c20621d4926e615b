#include "run.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "clock.h"
#include "run_phases.h"
#include "unix_publisher.h"

namespace ringcast::load {

// One GET /api/stats, tried up to three times: a failed read must not sink a
// whole run, but it is worth knowing about (it may be a daemon bug), so a
// retry leaves a warning in the report. Also runs on the window-start thread,
// while the main thread is inside run_publisher() and leaves _r alone.
std::optional<DaemonStats> Run::stats(const char* when, std::string* error) {
    std::string first_error;
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (attempt) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        auto st = read_stats(_target, _o.api_key, _o.stats_timeout_ms, error);
        if (st) {
            if (attempt)
                _r.warnings.push_back(
                    fmt::format("GET /api/stats {} failed and was retried: {}", when, first_error));
            return st;
        }
        if (first_error.empty()) first_error = *error;
    }
    return std::nullopt;
}

uint64_t Run::planned_run_ns() const {
    // A resume burst waits for the replays as long as for the connects.
    double s = _o.connect_timeout_s * (_o.resume() ? 2 : 1) + _o.settle_timeout_s + _o.idle_s +
               _o.warmup_s +
               (_o.idle() ? 0 : _o.duration_s * 2 + _o.ack_timeout_s + _o.drain_timeout_s);
    // A takeover adds the handover, and a publish that waited for the new daemon.
    if (_o.takeover_mode()) s += _o.handover_timeout_s + _o.ack_timeout_s;
    return sec_to_ns(s) + 6 * kControlSlackNs;
}

std::vector<WorkerConfig> Run::worker_configs(uint64_t connect_deadline, uint64_t watchdog) const {
    // One request per audience (--audiences: its stream token in ?token=), or one.
    std::vector<StreamRequest> requests;
    const size_t variants = std::max<size_t>(1, _audiences.tokens.size());
    for (size_t a = 0; a < variants; ++a) {
        StreamRequest& r = requests.emplace_back();
        r.path = fmt::format(
            "{}{}channels={}{}", _o.path, _o.path.find('?') == std::string::npos ? "?" : "&",
            _o.channel,
            _audiences.tokens.empty() ? std::string() : "&token=" + _audiences.tokens[a]);
        r.authority = _o.tls_target.empty() ? _o.target : _o.tls_target;
        r.fields = {{"accept", "text/event-stream"}, {"cache-control", "no-cache"}};
        if (!_last_event_id.empty()) r.fields.emplace_back("last-event-id", _last_event_id);
    }
    std::vector<sockaddr_in> sources;
    if (is_loopback(_stream_target)) sources = loopback_sources(_o.sources);
    std::vector<WorkerConfig> out;
    const uint64_t n = _o.connections;
    // The sockets are shared out; with --h2 a worker takes whole connections,
    // each of h2_streams streams (the last one of the run may have fewer).
    const uint64_t sockets = _o.sockets(), per = _o.h2_streams ? _o.h2_streams : 1;
    for (unsigned w = 0; w < _o.procs; ++w) {
        uint64_t first = std::min(n, sockets * w / _o.procs * per);
        uint64_t last = std::min(n, sockets * (w + 1) / _o.procs * per);
        WorkerConfig c;
        c.pool.first_index = first;
        c.pool.count = uint32_t(last - first);
        c.pool.target = _stream_target.addr;
        c.pool.tls = !_o.tls_target.empty();
        c.pool.tls_ca = _o.tls_ca;
        c.pool.tls_resume = _o.tls_resume;
        c.pool.h2_streams = _o.h2_streams;
        c.pool.sources = sources;
        c.pool.requests = requests;
        c.pool.concurrency = std::max(1u, _o.connect_concurrency / _o.procs);
        c.pool.handshake_timeout_ns = sec_to_ns(_o.handshake_timeout_s);
        c.pool.retries = _o.connect_retries;
        c.pool.event_name = _o.event;
        c.pool.publishers = _o.publishers;
        c.nice = _o.subscriber_nice;
        c.pool.warmup_events = _o.warmup_events;
        c.pool.planned_events = _o.total_events();
        c.pool.arrival = _o.arrival;
        c.pool.run_start_ns = _start_ns;
        c.pool.watch = _o.takeover_mode();
        if (_o.resume()) {
            // Seq 0 is the event the streams resume after: never theirs.
            c.pool.seq_base = 1;
            c.pool.replay_events = _o.resume_burst;
        }
        c.connect_deadline_ns = connect_deadline;
        c.watchdog_ns = watchdog;
        out.push_back(std::move(c));
    }
    return out;
}

bool Run::connect_phase() {
    const double own_cpu_start = processes_cpu_seconds({getpid()});
    uint64_t start = now_ns();
    uint64_t connect_deadline = start + sec_to_ns(_o.connect_timeout_s);
    std::string error;
    note(_o.h2_streams
             ? fmt::format("opening {} streams over {} HTTP/2 connections to {} from {} processes",
                           _o.connections, _o.sockets(),
                           _o.tls_target.empty() ? _o.target : _o.tls_target, _o.procs)
             : fmt::format("opening {} connections to {} from {} processes", _o.connections,
                           _o.target, _o.procs));
    if (!_workers.spawn(worker_configs(connect_deadline, start + planned_run_ns()), &error))
        return fail(error);
    auto progress = [&](uint64_t n) {
        note(fmt::format("  {} of {} connected", n, _o.connections));
    };
    // The workers enforce the connect deadline themselves and say why it was
    // missed; the slack here only covers a worker that stopped talking.
    if (!_workers.wait_connected(connect_deadline + kControlSlackNs, progress, &error))
        return fail("connecting: " + error);
    _r.connected_all = true;
    _r.connected = _o.connections;
    _r.connect_retries = _workers.retries();
    _r.server = _workers.server();
    _r.connect_time_s = double(_workers.last_connected_ns() - _workers.first_attempt_ns()) / 1e9;
    std::vector<pid_t> generator_pids = _workers.pids();
    generator_pids.push_back(getpid());
    _r.generator_connect_cpu_s = processes_cpu_seconds(generator_pids) - own_cpu_start;
    note(fmt::format("all {} connected in {:.3f} s", _o.connections, _r.connect_time_s));
    return true;
}

// Reads the daemon's RSS until two consecutive reads agree (allocations from
// the connect burst may still be settling), within --settle-timeout.
bool Run::settle_memory() {
    std::string error;
    uint64_t deadline = now_ns() + sec_to_ns(_o.settle_timeout_s);
    std::optional<DaemonStats> prev;
    for (;;) {
        auto st = stats("after connecting", &error);
        if (!st) return fail("reading stats after connecting: " + error);
        if (!prev) {
            _r.daemon_connect_cpu_s = st->cpu_s() - _before.cpu_s();
            _r.connect_cpu_measured = true;
        }
        if (prev && prev->rss_bytes == st->rss_bytes) {
            _r.rss_settled = true;
            _after = *st;
            break;
        }
        prev = st;
        _after = *st;
        if (now_ns() + kSettleIntervalNs > deadline) break;
        std::this_thread::sleep_for(std::chrono::nanoseconds(kSettleIntervalNs));
    }
    _r.memory_measured = true;
    _r.rss_after = _after.rss_bytes;
    _r.daemon_connections_after = _after.total_connections;
    _r.rss_per_connection =
        (double(_after.rss_bytes) - double(_before.rss_bytes)) / double(_o.connections);
    if (_after.rss_bytes < _before.rss_bytes)
        _r.warnings.push_back(
            "the daemon's RSS went down while connecting (memory from earlier "
            "activity was reused or returned): start it fresh for RSS per "
            "connection");
    if (!_r.rss_settled)
        _r.warnings.push_back(
            fmt::format("daemon RSS still changing after {:.1f} s; RSS per "
                        "connection is approximate",
                        _o.settle_timeout_s));
    uint64_t delta = _after.total_connections - _before.total_connections;
    if (_after.total_connections < _before.total_connections || delta != _o.connections)
        _r.warnings.push_back(fmt::format("the daemon counts {} -> {} connections, we opened {}",
                                          _before.total_connections, _after.total_connections,
                                          _o.connections));
    note(fmt::format("daemon RSS {:.1f} -> {:.1f} MiB: {:.0f} bytes per connection",
                     double(_before.rss_bytes) / 1048576.0, double(_after.rss_bytes) / 1048576.0,
                     _r.rss_per_connection));
    return true;
}

bool Run::hold_phase() {
    note(fmt::format("holding {} idle connections for {:.1f} s", _o.connections, _o.idle_s));
    std::string error;
    if (!_workers.watch(now_ns() + sec_to_ns(_o.idle_s), &error)) return fail("holding: " + error);
    _workers.broadcast("end 0 0");
    WorkerResult w;
    if (!_workers.collect(now_ns() + kControlSlackNs, &w, &error)) return fail("results: " + error);
    fill_delivery(w);
    return true;
}

PublisherConfig Run::publisher_config() const {
    PublisherConfig pc;
    pc.target = _target;
    pc.path = _o.publish_path;
    pc.api_key = _o.api_key;
    pc.channel = _o.channel;
    pc.event = _o.event;
    pc.payload = _o.payload;
    pc.persistent = _o.persistent;
    pc.alerts = _o.alerts;
    pc.subscribers = _o.connections;
    pc.connections = _o.publishers;
    pc.pipeline = _o.pipeline;
    pc.rate = _o.rate;
    pc.ack_timeout_ns = sec_to_ns(_o.ack_timeout_s);
    return pc;
}

PublishResult Run::publish(const PublisherConfig& pc) const {
    return _o.publish_unix.empty() ? run_publisher(pc) : run_unix_publisher(pc, _o.publish_unix);
}

void Run::share_cpu(const MachineCpu& start, const MachineCpu& end, double seconds,
                    double daemon_cpu_s, double generator_cpu_s) {
    _r.cpus = online_cpus();
    _r.machine_busy = busy_fraction(start, end);
    _r.daemon_cores = daemon_cpu_s / seconds;
    _r.generator_cores = generator_cpu_s / seconds;
    _r.other_cores =
        std::max(0.0, _r.machine_busy * _r.cpus - _r.daemon_cores - _r.generator_cores);
    if (_r.other_cores > 0.25) {
        _r.warnings.push_back(fmt::format(
            "other processes used {:.2f} of {} cores during the window: latency figures may "
            "include waiting for the CPU",
            _r.other_cores, _r.cpus));
    } else if (_r.machine_busy > 0.95) {
        _r.warnings.push_back(fmt::format(
            "the daemon and the generator kept all {} cores busy: latency figures include "
            "their contention for the CPU",
            _r.cpus));
    }
}

// What the daemon's log did over the window (ringcastd only): the keeps it
// holds at the end and what its store wrote meanwhile, so that a report says
// whether history, cache and store were in play.
void Run::fill_log(const DaemonStats& start, const DaemonStats& end) {
    if (!end.has_log) return;
    _r.log_known = true;
    _r.history_events = end.history_events;
    _r.cache_events = end.cache_events;
    _r.store_enabled = end.store_enabled;
    _r.store_written = end.store_written - start.store_written;
    _r.store_commits = end.store_commits - start.store_commits;
    _r.store_pending = end.store_pending;
}

bool Run::publish_phase() {
    PublisherConfig pc = publisher_config();
    pc.warmup_events = _o.warmup_events;
    pc.total_events = _o.total_events();
    pc.start_ns = now_ns() + kPublishLeadNs;
    uint64_t planned_end = scheduled_ns(pc.start_ns, pc.rate, pc.total_events);
    pc.send_deadline_ns = planned_end + std::max(10 * kNsPerSec, (planned_end - pc.start_ns) / 2);
    const uint64_t window_start = scheduled_ns(pc.start_ns, pc.rate, _o.warmup_events);

    // The window's first stats read happens when the first measured event is
    // due, on its own thread so the publisher's schedule does not wait for it.
    std::optional<DaemonStats> start_stats;
    std::optional<MachineCpu> start_cpu;
    std::string start_error;
    std::vector<pid_t> generator_pids = _workers.pids();
    generator_pids.push_back(getpid());
    double start_generator_cpu = 0;
    uint64_t start_cpu_ns = 0;
    std::thread stats_thread([&] {
        timespec ts{time_t(window_start / kNsPerSec), long(window_start % kNsPerSec)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
        }
        start_cpu = read_machine_cpu();
        start_cpu_ns = now_ns();
        start_generator_cpu = processes_cpu_seconds(generator_pids);
        start_stats = stats("at the start of the window", &start_error);
    });
    note(fmt::format("publishing {} events at {} /s ({} warmup), {} B payload", pc.total_events,
                     _o.rate, _o.warmup_events, _o.payload));
    PublishResult pr = publish(pc);
    stats_thread.join();
    _r.published = true;

    _r.events_written = pr.written;
    if (pr.written > _o.warmup_events && pr.last_write_ns >= window_start) {
        // On schedule, the last of m events is written (m-1)/rate after the
        // first: m / ((m-1)/rate + 1/rate) is exactly the rate.
        double m = double(pr.written - _o.warmup_events);
        _r.achieved_rate = m / (double(pr.last_write_ns - window_start) / 1e9 + 1.0 / _o.rate);
        if (_r.achieved_rate < 0.95 * _o.rate)
            _r.warnings.push_back(fmt::format(
                "the publisher achieved {:.1f} events/s of the {} asked: deliveries/s and CPU "
                "figures are for the lower rate (raise --pipeline or --publishers if the acks "
                "were the limit)",
                _r.achieved_rate, _o.rate));
    }
    _r.events_published = pr.acked_measured;
    _r.ack_failures = pr.ack_failures;
    _r.daemon_sent = pr.daemon_sent;
    _r.daemon_failed = pr.daemon_failed;
    _r.publish_lag_p99_us = pr.lag_us.quantile(0.99);
    _r.publish_lag_max_us = pr.lag_us.max();
    _r.ack_p50_us = pr.ack_us.quantile(0.5);
    _r.ack_p99_us = pr.ack_us.quantile(0.99);
    _r.ack_max_us = pr.ack_us.max();
    _r.expected_deliveries = pr.acked_measured * _o.connections;
    if (!pr.error.empty()) _r.errors.push_back("publishing: " + pr.error);

    note(fmt::format("published {} events; waiting up to {:.1f} s for deliveries", pr.written,
                     _o.drain_timeout_s));
    std::string error;
    _workers.broadcast(fmt::format("end {} {}", pr.written, uint64_t(_o.drain_timeout_s * 1000)));
    WorkerResult w;
    if (!_workers.collect(now_ns() + sec_to_ns(_o.drain_timeout_s) + kControlSlackNs, &w, &error))
        return fail("results: " + error);
    fill_delivery(w);

    // Window: from when the first measured event was due to when the last
    // measured delivery arrived.
    if (w.last_rx_ns > window_start) {
        _r.window_s = double(w.last_rx_ns - window_start) / 1e9;
        _r.deliveries_per_s = double(_r.received_deliveries) / _r.window_s;
    }
    auto end_cpu = read_machine_cpu();
    uint64_t end_cpu_ns = now_ns();
    double end_generator_cpu = processes_cpu_seconds(generator_pids);
    auto end_stats = stats("at the end of the window", &error);
    if (start_cpu && end_cpu && start_stats && end_stats && end_cpu_ns > start_cpu_ns) {
        // Who used the machine during the window: the daemon (its own
        // rusage), the generator (its processes), and everything else.
        share_cpu(*start_cpu, *end_cpu, double(end_cpu_ns - start_cpu_ns) / 1e9,
                  end_stats->cpu_s() - start_stats->cpu_s(),
                  end_generator_cpu - start_generator_cpu);
    }
    if (start_stats && end_stats) fill_log(*start_stats, *end_stats);
    if (!start_stats || !end_stats) {
        _r.warnings.push_back("daemon CPU per delivery not measured: " +
                              (!start_stats ? start_error : error));
    } else if (end_stats->deliveries > start_stats->deliveries ||
               (_o.alerts && _r.expected_deliveries > 0)) {
        _r.cpu_measured = true;
        _r.daemon_cpu_s = end_stats->cpu_s() - start_stats->cpu_s();
        // An alert's alerts-update is not a published event's delivery in the
        // daemon's figures: the window's changes times the streams, each told.
        _r.daemon_deliveries =
            _o.alerts ? _r.expected_deliveries : end_stats->deliveries - start_stats->deliveries;
        _r.cpu_per_delivery_us = _r.daemon_cpu_s * 1e6 / double(_r.daemon_deliveries);
    }
    return true;
}

void Run::fill_delivery(const WorkerResult& w) {
    const DeliveryCounters& d = w.delivery;
    _r.received_deliveries = d.received;
    _r.lost = d.lost;
    _r.lost_warmup = d.lost_warmup;
    _r.duplicates = d.duplicates;
    _r.out_of_order = d.out_of_order;
    _r.too_late = d.too_late;
    _r.unexpected = d.unexpected;
    _r.malformed = w.malformed;
    _r.tls_handshakes = w.tls_handshakes;
    _r.tls_resumed = w.tls_resumed;
    _r.disconnects = w.disconnects;
    _r.heartbeats = w.heartbeats;
    _r.other_events = w.other_events;
    // --alerts: the alert's creation reached every stream as an earlier run's event.
    _r.earlier_runs =
        w.earlier_runs - std::min<uint64_t>(w.earlier_runs, _o.alerts ? _o.connections : 0);
    _r.latency_count = w.latency_us.count();
    _r.latency_p50_us = w.latency_us.quantile(0.5);
    _r.latency_p99_us = w.latency_us.quantile(0.99);
    _r.latency_p999_us = w.latency_us.quantile(0.999);
    _r.latency_max_us = w.latency_us.max();
    _r.latency_mean_us = w.latency_us.mean();
    _r.arrival_p50_us = w.arrival_us.quantile(0.5);
    _r.arrival_p99_us = w.arrival_us.quantile(0.99);
    _r.arrival_p999_us = w.arrival_us.quantile(0.999);
    _r.arrival_max_us = w.arrival_us.max();
    _r.generator_cpu_s += double(w.cpu_us) / 1e6;
}

void Run::check_results() {
    auto error_if = [&](bool bad, const std::string& msg) {
        if (bad) _r.errors.push_back(msg);
    };
    error_if(_r.disconnects > 0,
             fmt::format("{} subscriber streams were ended by the server", _r.disconnects));
    if (_r.earlier_runs > 0)
        _r.warnings.push_back(fmt::format(
            "{} events published before this run arrived (the daemon's cache of persistent "
            "events from an earlier run; they are not counted): start the daemon fresh",
            _r.earlier_runs));
    if (_r.mode != "idle") {
        error_if(_r.lost + _r.lost_warmup > 0,
                 fmt::format("{} deliveries lost ({} in the window, {} in the warmup){}",
                             _r.lost + _r.lost_warmup, _r.lost, _r.lost_warmup,
                             _r.ack_failures ? fmt::format("; this counts the {} events whose "
                                                           "publish was not acknowledged",
                                                           _r.ack_failures)
                                             : std::string()));
        error_if(_r.duplicates > 0, fmt::format("{} duplicate deliveries", _r.duplicates));
        error_if(_r.out_of_order + _r.too_late > 0,
                 fmt::format("{} deliveries out of order", _r.out_of_order + _r.too_late));
        error_if(_r.unexpected + _r.malformed > 0,
                 fmt::format("{} events that were never published or could not be decoded",
                             _r.unexpected + _r.malformed));
        if (_r.received_deliveries + _r.lost != _r.expected_deliveries && _r.ack_failures == 0)
            _r.warnings.push_back(fmt::format("received {} + lost {} != expected {}",
                                              _r.received_deliveries, _r.lost,
                                              _r.expected_deliveries));
    }
    if (_r.mode == "resume") check_resume();
    if (_r.mode == "publish") {
        if (_r.daemon_sent != _r.expected_deliveries)
            _r.warnings.push_back(fmt::format(
                "the daemon's acks add up to {} deliveries ({} failed), {} x {} subscribers = {} "
                "expected",
                _r.daemon_sent, _r.daemon_failed, _r.events_published, _r.connections,
                _r.expected_deliveries));
        if (_r.publish_lag_max_us > 100'000)
            _r.warnings.push_back(
                fmt::format("the publisher was up to {:.1f} ms behind schedule "
                            "(the machine may be saturated)",
                            double(_r.publish_lag_max_us) / 1000.0));
    }
    _r.ok = _r.errors.empty();
}

RunReport Run::go() {
    _start_ns = now_ns();
    _r.mode = _o.idle()            ? "idle"
              : _o.resume()        ? "resume"
              : _o.takeover_mode() ? "takeover"
                                   : "publish";
    _r.takeover_command = _o.takeover;
    _r.old_pid = _o.old_pid;
    _r.target = _o.target;
    _r.label = _o.label;
    _r.connections = _o.connections;
    if (_o.h2_streams) {
        _r.protocol = _o.tls_target.empty() ? "h2c" : "h2";
        _r.streams_per_connection = _o.h2_streams;
    }
    _r.stream_connections = _o.sockets();
    _r.procs = _o.procs;
    _r.sources = _o.sources;
    _r.subscriber_nice = _o.subscriber_nice;
    _r.audiences = _o.audiences;
    _r.publishers = _o.publishers;
    _r.publish_via = _o.publish_unix.empty() ? "http" : "unix:" + _o.publish_unix;
    _r.pipeline = _o.pipeline;
    _r.payload = _o.payload;
    _r.persistent = _o.persistent;
    _r.rate = _o.rate;
    _r.duration_s = _o.duration_s;
    _r.warmup_s = _o.warmup_s;
    _r.warmup_events = _o.warmup_events;
    _r.hold_s = _o.idle_s;

    std::string error;
    auto target = parse_endpoint(_o.target, &error);
    if (!target) {
        fail("--target: " + error);
        return _r;
    }
    _target = *target;
    _stream_target = _target;
    if (!_o.tls_target.empty()) {
        auto tls = parse_endpoint(_o.tls_target, &error);
        if (!tls) {
            fail("--tls-target: " + error);
            return _r;
        }
        _stream_target = *tls;
        _r.tls_target = _o.tls_target;
    }
    if (!is_loopback(_stream_target)) _r.sources = 0;
    if (_o.audiences && _o.connections > 0 &&
        !prepare_audiences(_target, _o.api_key, _o.audiences, _o.alerts, _o.stats_timeout_ms,
                           &_audiences, &error)) {
        fail(error);
        return _r;
    }
    auto before = stats("before connecting", &error);
    if (!before) {
        fail("cannot read the daemon's stats before connecting: " + error);
        return _r;
    }
    _before = *before;
    _r.rss_before = _before.rss_bytes;
    _r.daemon_connections_before = _before.total_connections;

    // -n 0 measures publishing alone: no subscribers, no memory per connection.
    bool subscribers = _o.connections > 0;
    bool ok = _o.resume() ? resume_phase()
                          : (!subscribers || (connect_phase() && settle_memory())) &&
                                (_o.idle()            ? hold_phase()
                                 : _o.takeover_mode() ? takeover_phase()
                                                      : publish_phase());
    (void)ok;  // errors are in the report
    _workers.shutdown();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    _r.generator_cpu_s += double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                          double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    check_results();
    return _r;
}

RunReport run_load(const LoadOptions& opts) {
    Run run(opts);
    return run.go();
}

}  // namespace ringcast::load

// The resume-burst mode of ringcast-load (--resume-burst K): how fast the
// daemon serves a crowd of clients that come back at once with a
// Last-Event-ID, each needing the same K events replayed from history
// (docs/protocol.md, "Resuming with Last-Event-ID"; docs/load-generator.md,
// "Resume-burst mode").
//
//   1. prime   publish event 0 (the one the streams resume after) and the K
//              events 1..K, over one connection, in order; keep event 0's id
//   2. burst   connect the N subscribers with Last-Event-ID: <that id>; each
//              must get events 1..K, in order, right after its `connected`
//   3. memory  the daemon's RSS once it settles
//   4. live    publish event K+1: each stream must get it once, after its
//              replay, which shows it went live with nothing lost at the seam
//
// The daemon's stats are read just before the first connect and as soon as
// every worker reported its streams past their replay, so its CPU and its
// catchUp counters cover the burst (the connects included) and nothing else.
#include <unistd.h>

#include <fmt/format.h>

#include "run_phases.h"

namespace ringcast::load {

namespace {

// The prime and the live event are published as fast as they are
// acknowledged: there is no schedule to keep.
constexpr double kAsFastAsAcked = 1e6;
constexpr uint64_t kPublishDeadlineNs = 30 * kNsPerSec;

}  // namespace

bool Run::resume_phase() {
    const uint64_t k = _o.resume_burst;
    const uint64_t n = _o.connections;
    _r.resume_events = k;

    // 1. prime
    PublisherConfig pc = publisher_config();
    pc.rate = kAsFastAsAcked;
    pc.total_events = k + 1;
    pc.start_ns = now_ns();
    pc.send_deadline_ns = pc.start_ns + kPublishDeadlineNs;
    note(fmt::format("publishing the {} events to replay, after one to resume from", k));
    PublishResult prime = publish(pc);
    if (!prime.error.empty()) return fail("publishing the events to replay: " + prime.error);
    if (prime.acked != k + 1)
        return fail(
            fmt::format("{} of the {} events to replay were acknowledged", prime.acked, k + 1));
    if (prime.first_id.empty())
        return fail(
            "the publish replies carry no event id to resume from (is the target "
            "ringcastd?)");
    _last_event_id = prime.first_id;
    _r.resume_from = prime.first_id;

    // 2. burst
    std::string error;
    auto start_stats = stats("before the burst", &error);
    if (!start_stats) return fail("reading stats before the burst: " + error);
    _before = *start_stats;  // RSS per connection: the history is already in it
    _r.rss_before = _before.rss_bytes;
    _r.daemon_connections_before = _before.total_connections;
    auto start_cpu = read_machine_cpu();
    const uint64_t start_ns = now_ns();
    const double start_own_cpu = processes_cpu_seconds({getpid()});
    if (!connect_phase()) return false;
    note(fmt::format("waiting for {} streams to have their {} events", n, k));
    // A replay longer than the connect timeout counts as hung; the workers'
    // counts (step 4) still say what was missing.
    bool replayed = _workers.wait_replayed(now_ns() + sec_to_ns(_o.connect_timeout_s), &error);
    if (!replayed) fail("replaying: " + error);
    auto end_cpu = read_machine_cpu();
    const uint64_t end_ns = now_ns();
    std::vector<pid_t> generator_pids = _workers.pids();
    generator_pids.push_back(getpid());
    const double generator_cpu = processes_cpu_seconds(generator_pids) - start_own_cpu;
    auto end_stats = stats("after the burst", &error);
    if (!end_stats) {
        _r.warnings.push_back("daemon CPU and catch-up counters over the burst not measured: " +
                              error);
    } else {
        _r.burst_window_s = double(end_ns - start_ns) / 1e9;
        _r.burst_daemon_cpu_s = end_stats->cpu_s() - start_stats->cpu_s();
        if (start_cpu && end_cpu)
            share_cpu(*start_cpu, *end_cpu, _r.burst_window_s, _r.burst_daemon_cpu_s,
                      generator_cpu);
        if (end_stats->has_log) {
            _r.catch_up_known = true;
            _r.catch_up = end_stats->catch_up - start_stats->catch_up;
        }
        fill_log(*start_stats, *end_stats);
    }

    // 3. memory, 4. live
    uint64_t total = k;
    if (replayed && settle_memory()) {
        PublisherConfig live = publisher_config();
        live.rate = kAsFastAsAcked;
        live.first_seq = k + 1;
        live.total_events = 1;
        live.start_ns = now_ns();
        live.send_deadline_ns = live.start_ns + kPublishDeadlineNs;
        PublishResult pr = publish(live);
        _r.published = true;
        if (pr.error.empty()) {
            total = k + 1;
            _r.tail_sent = pr.daemon_sent;
        } else {
            _r.errors.push_back("publishing the live event after the replay: " + pr.error);
        }
    }
    _workers.broadcast(fmt::format("end {} {}", total, uint64_t(_o.drain_timeout_s * 1000)));
    WorkerResult w;
    if (!_workers.collect(now_ns() + sec_to_ns(_o.drain_timeout_s) + kControlSlackNs, &w, &error))
        return fail("results: " + error);
    fill_delivery(w);
    _r.expected_deliveries = n * total;
    _r.refreshes = w.refreshes;
    _r.before_connected = w.before_connected;
    _r.replay_streams = w.replay_us.count();
    _r.replay_p50_us = w.replay_us.quantile(0.5);
    _r.replay_p90_us = w.replay_us.quantile(0.9);
    _r.replay_p99_us = w.replay_us.quantile(0.99);
    _r.replay_max_us = w.replay_us.max();
    if (replayed && w.first_attempt_ns && w.last_replayed_ns > w.first_attempt_ns) {
        _r.burst_time_s = double(w.last_replayed_ns - w.first_attempt_ns) / 1e9;
        _r.replayed_per_s = double(n * k) / _r.burst_time_s;
    }
    return true;
}

// What only a resume burst can get wrong, beyond the loss, duplicate and order
// checks every run has. The daemon's own counters must agree with what the
// streams saw; when connects were retried, a failed attempt may have been
// counted too, so a mismatch is then only a warning.
void Run::check_resume() {
    auto error_if = [&](bool bad, const std::string& msg) {
        if (bad) _r.errors.push_back(msg);
    };
    const uint64_t n = _r.connections, k = _r.resume_events;
    error_if(_r.refreshes > 0,
             fmt::format("{} refresh events: streams told of a history gap instead of replayed",
                         _r.refreshes));
    error_if(_r.before_connected > 0,
             fmt::format("{} events arrived before their stream's connected event",
                         _r.before_connected));
    if (_r.published && _r.tail_sent != n)
        _r.warnings.push_back(fmt::format(
            "the live event after the replay was queued for {} streams, {} are connected",
            _r.tail_sent, n));
    if (!_r.catch_up_known) {
        if (_r.burst_window_s > 0)
            _r.warnings.push_back("the daemon's stats have no catchUp counters (not ringcastd?)");
        return;
    }
    const CatchUpCounters& c = _r.catch_up;
    auto expect = [&](uint64_t got, uint64_t want, const char* what) {
        if (got == want) return;
        std::string msg =
            fmt::format("the daemon counts {} {} over the burst, expected {}", got, what, want);
        if (_r.connect_retries) {
            _r.warnings.push_back(msg +
                                  fmt::format(" ({} connects were retried)", _r.connect_retries));
        } else {
            _r.errors.push_back(msg);
        }
    };
    expect(c.resumes, n, "resumes (catchUp.resumes)");
    expect(c.gaps, 0, "gaps (catchUp.gaps)");
    expect(c.replayed, n * k, "replayed events (catchUp.replayed)");
    expect(c.trimmed, 0, "trimmed catch-ups (catchUp.trimmed)");
}

}  // namespace ringcast::load

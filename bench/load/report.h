#pragma once
// The figures of one ringcast-load run, as a readable table or as one JSON
// object (--json). Everything printed comes from this struct, so the two
// forms always agree.
#include <cstdint>
#include <string>
#include <vector>

#include "stats_client.h"
#include "takeover_tracker.h"

namespace ringcast::load {

struct RunReport {
    // what ran
    std::string mode;  // "publish", "idle", "resume" or "takeover"
    std::string target;
    std::string server;  // the Server header of the SSE responses
    std::string label;
    uint64_t connections = 0;
    unsigned procs = 0;
    unsigned sources = 0;
    int subscriber_nice = 0;
    unsigned audiences = 0;  // --audiences: distinct identities of the streams (0: anonymous)
    unsigned publishers = 0;
    unsigned pipeline = 0;
    unsigned payload = 0;
    bool persistent = false;  // events published with "persistent": true
    double rate = 0;
    double duration_s = 0;  // planned measured publishing
    double warmup_s = 0;
    double hold_s = 0;  // idle mode

    // connecting
    bool connected_all = false;
    uint64_t connected = 0;
    double connect_time_s = 0;
    uint64_t connect_retries = 0;
    // How the streams travel: "http/1.1" (one per connection), "h2c" (HTTP/2
    // with prior knowledge) or "h2" (HTTP/2 by ALPN over TLS), over how many
    // connections of how many streams each (the last may have fewer).
    std::string protocol = "http/1.1";
    uint64_t streams_per_connection = 1;
    uint64_t stream_connections = 0;
    std::string tls_target;       // --tls-target ("" = plain streams)
    uint64_t tls_handshakes = 0;  // TLS handshakes completed, of which resumed:
    uint64_t tls_resumed = 0;
    // CPU spent from the first connect to the last `connected` (and, for the
    // daemon, to the first stats read after it): on a machine the two share,
    // the connect time is bounded by their sum over the cores.
    bool connect_cpu_measured = false;
    double daemon_connect_cpu_s = 0;
    double generator_connect_cpu_s = 0;

    // daemon memory
    bool memory_measured = false;
    uint64_t rss_before = 0;
    uint64_t rss_after = 0;
    bool rss_settled = false;
    double rss_per_connection = 0;
    uint64_t daemon_connections_before = 0;
    uint64_t daemon_connections_after = 0;

    // publishing and delivery (measurement window only, unless said otherwise)
    bool published = false;  // the publish phase ran (maybe with errors)
    uint64_t warmup_events = 0;
    std::string publish_via;        // "http" or "unix:PATH"
    uint64_t events_written = 0;    // including the warmup
    double achieved_rate = 0;       // measured events written per second
    uint64_t events_published = 0;  // measured events acknowledged with 200
    uint64_t ack_failures = 0;
    uint64_t daemon_sent = 0;  // sum of "sent" in the acks of measured events
    uint64_t daemon_failed = 0;
    uint64_t expected_deliveries = 0;
    uint64_t received_deliveries = 0;
    double window_s = 0;
    double deliveries_per_s = 0;
    uint64_t latency_count = 0;
    uint64_t latency_p50_us = 0, latency_p99_us = 0, latency_p999_us = 0, latency_max_us = 0;
    double latency_mean_us = 0;
    // Same, to the arrival at the subscriber's socket (kernel receive timestamp).
    uint64_t arrival_p50_us = 0, arrival_p99_us = 0, arrival_p999_us = 0, arrival_max_us = 0;
    uint64_t lost = 0, lost_warmup = 0, duplicates = 0, out_of_order = 0, too_late = 0;
    uint64_t unexpected = 0, malformed = 0, disconnects = 0, heartbeats = 0, other_events = 0;
    uint64_t earlier_runs = 0;  // events published before the run (not counted anywhere else)
    uint64_t publish_lag_p99_us = 0, publish_lag_max_us = 0;
    uint64_t ack_p50_us = 0, ack_p99_us = 0, ack_max_us = 0;

    // daemon CPU over the window
    bool cpu_measured = false;
    double daemon_cpu_s = 0;
    uint64_t daemon_deliveries = 0;  // Δ stats "deliveries"
    double cpu_per_delivery_us = 0;

    // the daemon's log at the end of the window (ringcastd only)
    bool log_known = false;
    uint64_t history_events = 0;  // held in history, all channels
    uint64_t cache_events = 0;    // held in the persistent-event cache
    bool store_enabled = false;
    uint64_t store_written = 0;  // records the store committed over the window
    uint64_t store_commits = 0;
    uint64_t store_pending = 0;  // records still waiting for the writer at the end

    // resume-burst mode (the CPU shares above then cover the burst)
    uint64_t resume_events = 0;   // K: events replayed to every stream
    std::string resume_from;      // the Last-Event-ID the streams sent
    double burst_time_s = 0;      // first connect -> last stream with its K-th event
    double replayed_per_s = 0;    // N x K / burst_time_s
    uint64_t replay_streams = 0;  // streams timed (past their replay)
    uint64_t replay_p50_us = 0, replay_p90_us = 0, replay_p99_us = 0, replay_max_us = 0;
    uint64_t refreshes = 0;         // `refresh` events received
    uint64_t before_connected = 0;  // events received before a stream's `connected`
    bool catch_up_known = false;
    CatchUpCounters catch_up;       // Δ of the daemon's catchUp over the burst
    double burst_window_s = 0;      // between the two stats reads around the burst
    double burst_daemon_cpu_s = 0;  // Δ daemon CPU over that window
    uint64_t tail_sent = 0;         // streams the live event after the replay was queued for

    // takeover mode (takeover.cc says what they measure)
    std::string takeover_command;
    int old_pid = 0;
    int new_pid = 0;                // the command's pid: the new daemon, unless the command exited
    bool command_exited = false;    // the command exited (then it was not the daemon)
    bool old_exited = false;        // within --handover-timeout
    double handover_s = 0;          // command started -> old daemon gone
    uint64_t resent = 0;            // publish attempts made again
    uint64_t acked_at_request = 0;  // events 0..n-1 were acknowledged before the request
    uint64_t acked_at_exit = 0;     // ... before the old daemon's exit
    uint64_t events_total = 0;      // acknowledged in the whole run
    uint64_t pause_max_us = 0, pause_median_us = 0;  // per stream's longest, from the request on
    uint64_t delay_max_us = 0, delay_median_us = 0;  // per stream's longest, from the request on
    uint64_t warm_delay_max_us = 0, warm_delay_median_us = 0;  // the same before it
    bool old_cpu_known = false;
    double old_cpu_s = 0;  // old daemon, request -> exit
    bool new_cpu_known = false;
    double new_cpu_at_exit_s = 0;  // new daemon, start -> the old one's exit
    double new_cpu_end_s = 0;      // new daemon, start -> the end of the run
    LossLog losses;                // which streams lost which events

    double generator_cpu_s = 0;  // the load generator's own, all processes
    double machine_busy = -1;    // all cores' busy fraction over the window; <0: unknown
    unsigned cpus = 0;
    double daemon_cores = 0;  // CPU used over the window, in cores
    double generator_cores = 0;
    double other_cores = 0;  // everything else on the machine

    bool ok = false;
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
};

std::string format_table(const RunReport& r);
std::string format_json(const RunReport& r);

}  // namespace ringcast::load

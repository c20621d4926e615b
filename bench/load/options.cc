#include "options.h"

#include <algorithm>
#include <cmath>

#include <CLI/CLI.hpp>

namespace ringcast::load {

namespace {

// Per process: the subscriber sockets plus a few (control pipe, epoll, stats).
constexpr unsigned kSpareFds = 32;
constexpr unsigned kConnsPerProc = 5000;
// The default ephemeral range (32768-60999) has ~28k ports per source address;
// stay well inside it so TIME_WAIT leftovers of a previous run do not matter.
constexpr unsigned kConnsPerSource = 10000;
constexpr unsigned kMaxSources = 250;

}  // namespace

void add_flags(CLI::App& app, LoadOptions& o) {
    app.add_option("--target", o.target, "daemon address HOST:PORT")->capture_default_str();
    app.add_option("--path", o.path, "SSE stream path (?channels=CHANNEL is appended)")
        ->capture_default_str();
    app.add_option("--publish-unix", o.publish_unix,
                   "publish over the daemon's Unix socket at this path (the socket protocol, "
                   "with the C++ client) instead of HTTP");
    app.add_option("--api-key", o.api_key,
                   "sent as X-API-Key with publishes and GET /api/stats (one of the daemon's "
                   "publish.api_keys)")
        ->envname("RINGCAST_API_KEY");
    app.add_option("--publish-path", o.publish_path, "publish endpoint path")
        ->capture_default_str();
    app.add_option("--channel", o.channel, "channel to subscribe and publish to")
        ->capture_default_str();
    app.add_option("--event", o.event, "event name of the published events")->capture_default_str();
    app.add_option("--label", o.label,
                   "free text copied into the report (e.g. the server's flags)");

    app.add_option("-n,--connections", o.connections,
                   "subscriber streams to open, one connection each (with --h2, STREAMS per "
                   "connection); 0: publish to a channel nobody listens to, to measure "
                   "acknowledged publishes alone")
        ->capture_default_str()
        ->check(CLI::Range(0u, 1000000u));
    app.add_option("--procs", o.procs,
                   "subscriber worker processes (default: ceil(connections/5000); each holds at "
                   "most open-files-limit connections)");
    app.add_option("--sources", o.sources,
                   "source addresses 127.0.0.2.. to spread connections over (default: one per "
                   "10000 connections, at least 2; ignored for a non-loopback target)");
    app.add_option("--connect-concurrency", o.connect_concurrency,
                   "streams being set up at once, over all workers (bounds the server's accept "
                   "backlog; with --h2, a connection starts whenever fewer streams than this "
                   "are being set up)")
        ->capture_default_str()
        ->check(CLI::Range(1u, 100000u));
    app.add_option("--connect-timeout", o.connect_timeout_s,
                   "seconds for all connections to receive their 'connected' event")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--handshake-timeout", o.handshake_timeout_s,
                   "seconds one connection attempt may take before it is retried (with --h2, "
                   "until every stream of the connection has its 'connected' event)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--connect-retries", o.connect_retries,
                   "retries of a failed connection attempt (refused, reset, timed out)")
        ->capture_default_str()
        ->check(CLI::Range(0u, 100u));

    app.add_option("-r,--rate", o.rate, "events published per second (absolute schedule)")
        ->capture_default_str()
        ->check(CLI::Range(0.001, 10'000'000.0));
    app.add_option("-p,--payload", o.payload,
                   "size in bytes of each event's JSON data value (seq, timestamp, padding)")
        ->capture_default_str()
        ->check(CLI::Range(kMinPayload, kMaxPayload));
    app.add_option("-d,--duration", o.duration_s, "seconds of measured publishing")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("-e,--events", o.events, "measured events to publish (overrides --duration)")
        ->check(CLI::Range(uint64_t(1), uint64_t(1) << 32));
    app.add_option("-w,--warmup", o.warmup_s,
                   "seconds of publishing before the measurement window (0: none)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--publishers", o.publishers,
                   "keep-alive publisher connections (order is checked per publisher)")
        ->capture_default_str()
        ->check(CLI::Range(1u, kMaxPublishers));
    app.add_option("--subscriber-nice", o.subscriber_nice,
                   "niceness of the subscriber processes: on a machine where they share the "
                   "cores with the daemon, 19 leaves the daemon and the publisher the CPU first "
                   "(a stand-in for browsers on other machines), so that the publish "
                   "acknowledgement measures the daemon rather than the generator")
        ->capture_default_str()
        ->check(CLI::Range(0, 19));
    app.add_option("--pipeline", o.pipeline, "publish requests in flight per publisher connection")
        ->capture_default_str()
        ->check(CLI::Range(1u, 4096u));
    app.add_flag("--alerts", o.alerts,
                 "each event changes one alert (created first: PATCH /api/alerts/{id} with the "
                 "payload in its metadata) instead of being published; subscribers are on "
                 "channel alerts and read alerts-update (one publisher, pipeline 1: each change "
                 "names the version it edits)");
    app.add_option("--audiences", o.audiences,
                   "subscribers present stream tokens (POST /api/tokens) of N audiences, a user "
                   "and a role each, subscriber k in audience k mod N; with --alerts each "
                   "audience also gets an alert of its own, so that a change gives N distinct "
                   "lists (0: anonymous streams)")
        ->capture_default_str()
        ->check(CLI::Range(0u, 1000u));
    app.add_flag("--persistent", o.persistent,
                 "publish every event with \"persistent\": true, so that the daemon keeps it in "
                 "its cache of persistent events (and its store) as well as in history");
    app.add_option("--ack-timeout", o.ack_timeout_s,
                   "seconds to wait for outstanding publish replies after the last event")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--drain-timeout", o.drain_timeout_s,
                   "seconds to wait for stragglers after publishing (ends early when all arrived)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);

    app.add_option("--idle", o.idle_s,
                   "idle mode: connect, measure memory, hold this many seconds, disconnect; no "
                   "publishing")
        ->check(CLI::PositiveNumber);
    app.add_option("--resume-burst", o.resume_burst,
                   "resume-burst mode: publish K events to --channel first, then connect the N "
                   "subscribers with Last-Event-ID set to the event before them; each must get "
                   "exactly those K events, in order, then one live event. Measures the burst "
                   "completion time and replayed events/s (ringcastd only)")
        ->check(CLI::Range(1u, kMaxResumeBurst));
    app.add_option("--takeover", o.takeover,
                   "takeover mode: hold the N streams, publish --rate events/s over "
                   "--publish-unix (each acknowledged; one refused as unavailable or left "
                   "unanswered is sent again), run this command (through /bin/sh) after --warmup "
                   "s, publish --duration s more once the daemon of --old-pid exited, and report "
                   "reconnects, lost and duplicated events, the longest pause, publish -> arrival "
                   "delays, where losses fell, the CPU of both daemons and the new daemon's pid "
                   "(which keeps running)");
    app.add_option("--old-pid", o.old_pid, "takeover mode: pid of the running daemon")
        ->check(CLI::PositiveNumber);
    app.add_option("--takeover-log", o.takeover_log,
                   "takeover mode: append the new daemon's stdout and stderr to this file "
                   "(default: they are ringcast-load's, so a pipe reading ringcast-load's output "
                   "stays open as long as the new daemon runs)");
    app.add_option("--handover-timeout", o.handover_timeout_s,
                   "takeover mode: at most this many seconds from running the command to the old "
                   "daemon's exit")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--settle-timeout", o.settle_timeout_s,
                   "at most this many seconds for the daemon's RSS to settle after connecting")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--stats-timeout-ms", o.stats_timeout_ms, "deadline of one GET /api/stats")
        ->capture_default_str()
        ->check(CLI::Range(10u, 600000u));
    app.add_flag("--json", o.json, "print one JSON object instead of the table");
    app.add_option("--tls-target", o.tls_target,
                   "open the SSE streams over TLS to this HOST:PORT (the daemon's [tls] "
                   "listener); stats and HTTP publishes stay on --target");
    app.add_option("--tls-ca", o.tls_ca,
                   "with --tls-target: verify the server's certificate against this CA file "
                   "(default: no verification)");
    app.add_flag("--tls-resume", o.tls_resume,
                 "with --tls-target: each worker offers the session of its last handshake, so "
                 "every connection after a worker's first resumes (measures resumed handshakes)");
    app.add_option("--h2", o.h2_streams,
                   "HTTP/2: open the -n streams over ceil(n/STREAMS) connections of STREAMS "
                   "streams each (the last may have fewer): h2c with prior knowledge to "
                   "--target, or h2 by ALPN to --tls-target (default: HTTP/1.1, one stream "
                   "per connection)")
        ->type_name("STREAMS")
        ->check(CLI::Range(1u, kMaxH2Streams));
    app.add_flag("--arrival", o.arrival,
                 "also measure latency to the arrival of the bytes at each subscriber socket "
                 "(kernel receive timestamps). Enabling them timestamps every packet on the "
                 "machine, which costs the server CPU: measure CPU per delivery without it");
    app.add_flag("-q,--quiet", o.quiet, "no progress messages on stderr");
}

bool finalize(LoadOptions& o, uint64_t nofile_limit, std::string* error) {
    const unsigned n = o.connections;
    if (n == 0 && o.idle()) {
        *error = "--idle needs subscriber connections (-n)";
        return false;
    }
    if (o.resume() && (n == 0 || o.idle())) {
        *error = "--resume-burst needs subscriber connections (-n) and no --idle";
        return false;
    }
    if (o.resume() && o.publishers != 1) {
        // The replay is one ordered sequence; its order is checked as one publisher's.
        *error = "--resume-burst publishes over one connection (no --publishers)";
        return false;
    }
    if (o.takeover_mode()) {
        if (n == 0 || o.idle() || o.resume() || o.alerts || o.publishers != 1 || o.events ||
            o.publish_unix.empty() || o.old_pid <= 0) {
            *error =
                "--takeover needs subscriber connections (-n), --publish-unix (the daemon's "
                "socket) and --old-pid, and takes no --idle, --resume-burst, --alerts, "
                "--publishers or --events (it publishes for --duration s after the handover)";
            return false;
        }
    }
    if (o.h2_streams && o.takeover_mode()) {
        *error =
            "--takeover hands HTTP/1.1 streams over; HTTP/2 connections are drained instead "
            "(docs/operations.md): no --h2";
        return false;
    }
    // Processes and source addresses are for sockets: with --h2, connections.
    const unsigned sockets = o.sockets();
    if (o.procs == 0) o.procs = (sockets + kConnsPerProc - 1) / kConnsPerProc;
    o.procs = n == 0 ? 0 : std::clamp(o.procs, 1u, sockets);
    unsigned per_proc = n == 0 ? 0 : (sockets + o.procs - 1) / o.procs;
    if (uint64_t(per_proc) + kSpareFds > nofile_limit) {
        *error = "--connections " + std::to_string(n) + " over " + std::to_string(o.procs) +
                 " processes is " + std::to_string(per_proc) +
                 " sockets per process, above the open-files limit of " +
                 std::to_string(nofile_limit) + " (minus " + std::to_string(kSpareFds) +
                 "); use a larger --procs";
        return false;
    }
    if (o.sources == 0) o.sources = std::max(2u, (sockets + kConnsPerSource - 1) / kConnsPerSource);
    if (o.sources > kMaxSources) {
        *error = "--sources is at most " + std::to_string(kMaxSources);
        return false;
    }
    if (o.connect_concurrency < o.procs) o.connect_concurrency = o.procs;
    if (o.path.empty() || o.path[0] != '/') {
        *error = "--path must start with '/'";
        return false;
    }
    if (o.audiences && o.api_key.empty()) {
        *error = "--audiences asks the daemon for stream tokens: it needs --api-key";
        return false;
    }
    if (o.alerts) {
        if (o.publishers != 1 || o.pipeline != 1 || !o.publish_unix.empty() || o.resume()) {
            *error =
                "--alerts changes one alert version by version: it takes one HTTP "
                "publisher with --pipeline 1, and no --resume-burst";
            return false;
        }
        o.channel = "alerts";
        o.event = "alerts-update";
    }
    if (o.idle()) {
        o.warmup_events = o.measured_events = 0;
        return true;
    }
    if (o.resume()) {
        // The K replayed events and the live one after them; no warmup, no
        // schedule (they are published as fast as they are acknowledged).
        o.warmup_events = 0;
        o.measured_events = uint64_t(o.resume_burst) + 1;
        return true;
    }
    if (o.takeover_mode()) {
        // Published until the end: the count is known then. Every event is
        // measured; this bound only sizes the subscribers' check for numbers
        // never published (at most one event per interval can be due).
        o.warmup_events = 0;
        o.measured_events =
            uint64_t(std::ceil(o.rate * (o.warmup_s + o.handover_timeout_s + o.duration_s +
                                         2 * o.ack_timeout_s + 60))) +
            1;
        return true;
    }
    o.warmup_events = uint64_t(std::ceil(o.warmup_s * o.rate));
    o.measured_events = o.events ? o.events : uint64_t(std::llround(o.duration_s * o.rate));
    if (o.measured_events == 0) {
        *error = "--duration x --rate gives no event to publish; raise one of them or use --events";
        return false;
    }
    if (o.total_events() > (uint64_t(1) << 32)) {
        *error = "more than 2^32 events in one run; lower --rate, --duration or --warmup";
        return false;
    }
    o.duration_s = double(o.measured_events) / o.rate;
    return true;
}

}  // namespace ringcast::load

#pragma once
// Command-line options of ringcast-load and the figures derived from them
// (process count, source addresses, event counts of each phase).
#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace ringcast::load {

struct LoadOptions {
    // what to load
    std::string target = "127.0.0.1:8080";
    std::string path = "/api/sse/stream";
    std::string publish_path = "/api/publish";
    std::string api_key;       // X-API-Key for publishes and stats (publish.api_keys)
    std::string publish_unix;  // publish over this Unix socket instead of HTTP
    std::string channel = "bench";
    std::string event = "tick";
    std::string label;  // free text copied into the report

    // subscribers
    unsigned connections = 1000;
    unsigned procs = 0;    // 0: ceil(connections / 5000)
    unsigned sources = 0;  // 0: enough 127.0.0.x addresses for the port range
    unsigned connect_concurrency = 512;
    double connect_timeout_s = 60;
    double handshake_timeout_s = 10;
    unsigned connect_retries = 2;
    // Niceness of the subscriber processes (0: as the generator's). On a machine
    // where generator and daemon share the cores, a positive value stands in for
    // browsers on other machines: the daemon and the publisher run first.
    int subscriber_nice = 0;

    // publishing
    double rate = 100;
    unsigned payload = 256;
    double duration_s = 10;
    uint64_t events = 0;  // overrides duration when set
    double warmup_s = 1;
    unsigned publishers = 1;
    unsigned pipeline = 16;
    bool persistent = false;  // events carry "persistent": true (the cache and the store)
    // Each event is a change of one alert (PATCH /api/alerts/{id}), read by the
    // subscribers as alerts-update on the alerts channel, instead of a publish.
    bool alerts = false;
    // Subscribers present stream tokens of this many audiences (a user and a
    // role each; subscriber k is in audience k mod N); 0: anonymous streams.
    // With --alerts, each audience also gets an alert of its own, so that a
    // change of the measured alert gives N distinct lists (audiences.h).
    unsigned audiences = 0;
    double ack_timeout_s = 10;
    bool arrival = false;  // also measure arrival at the socket (SO_TIMESTAMPNS)
    // The streams over TLS to this HOST:PORT (the daemon's [tls] listener);
    // stats and HTTP publishes stay on --target. "" = plain streams to --target.
    std::string tls_target;
    std::string tls_ca;       // verify the server against this CA ("" = no verification)
    bool tls_resume = false;  // each worker offers its last session (resumed handshakes)
    // HTTP/2: this many streams per connection (h2c with prior knowledge to
    // --target, h2 by ALPN to --tls-target); 0 = HTTP/1.1, one per connection.
    unsigned h2_streams = 0;
    double drain_timeout_s = 5;

    // idle mode (no publishing) when > 0
    double idle_s = 0;
    // resume-burst mode when > 0: this many events are replayed to every
    // subscriber, which connects with Last-Event-ID (resume_burst.cc)
    unsigned resume_burst = 0;
    // takeover mode when non-empty (takeover.cc): the command that starts
    // `ringcastd --takeover`, run through /bin/sh while the streams are held and
    // events published over --publish-unix; the running daemon's pid.
    std::string takeover;
    int old_pid = 0;
    std::string takeover_log;         // the new daemon's stdout and stderr (empty: ours)
    double handover_timeout_s = 120;  // request -> the old daemon's exit

    double settle_timeout_s = 5;
    uint32_t stats_timeout_ms = 5000;
    bool json = false;
    bool quiet = false;

    // --- derived by finalize() ---
    uint64_t warmup_events = 0;    // events 0 .. warmup_events-1 are not measured
    uint64_t measured_events = 0;  // events after the warmup
    uint64_t total_events() const { return warmup_events + measured_events; }
    bool idle() const { return idle_s > 0; }
    bool resume() const { return resume_burst > 0; }
    bool takeover_mode() const { return !takeover.empty(); }
    // The subscriber sockets: one per stream, or per h2_streams streams.
    unsigned sockets() const {
        return h2_streams ? (connections + h2_streams - 1) / h2_streams : connections;
    }
};

// Smallest --payload: the fixed part of {"seq":..,"ts":..,"pad":""} at its widest.
constexpr unsigned kMinPayload = 64;
constexpr unsigned kMaxPayload = 512 * 1024;
constexpr unsigned kMaxPublishers = 16;
// A catch-up is capped at the daemon's delivery.queue_limit (1 MiB by default)
// and history keeps 1000 events per channel by default.
constexpr unsigned kMaxResumeBurst = 100000;
constexpr unsigned kMaxH2Streams = 10000;

void add_flags(CLI::App& app, LoadOptions& o);

// Checks the options and fills in defaults and derived values; false with a
// message in *error when they cannot work (e.g. too many connections per process
// for the open-files limit).
bool finalize(LoadOptions& o, uint64_t nofile_limit, std::string* error);

}  // namespace ringcast::load

#include "ops/metrics.h"

#include <string_view>

#if RINGCAST_MIMALLOC
#include <mimalloc.h>
#endif

#include "ops/metrics_cluster.h"
#include "ops/metrics_text.h"
#include "tls/ktls_probe.h"

namespace ringcast {

namespace {

// The shards' figures added up, where a metric has no shard label.
struct Totals {
    uint64_t accepted = 0, accept_errors = 0, closed = 0;
    RefusalStats refused;
    uint64_t published_http = 0, published_socket = 0, sequenced = 0;
    uint64_t deliveries = 0, failures = 0, hub_expired = 0;
    QueueLossStats losses;
    uint64_t slow_soft = 0, slow_hard = 0, stalled = 0;
    uint64_t bytes_sent = 0, sends = 0, queued_bytes = 0;
    LatencyHistogram delivery, publish_ack;
    CatchUpStats catch_up;
    std::vector<uint64_t> by_endpoint;
    const ShardSnapshot* log = nullptr;
};

Totals add_up(const std::vector<ShardSnapshot>& shards) {
    Totals t;
    for (const ShardSnapshot& s : shards) {
        if (s.has_log) t.log = &s;
        t.accepted += s.transport.accepted;
        t.accept_errors += s.transport.accept_errors;
        t.closed += s.transport.closed;
        t.refused.bad_request += s.refused.bad_request;
        t.refused.unauthorized += s.refused.unauthorized;
        t.refused.forbidden += s.refused.forbidden;
        t.refused.rate_limited += s.refused.rate_limited;
        t.refused.unavailable += s.refused.unavailable;
        t.published_http += s.metrics.published_http;
        t.published_socket += s.metrics.published_socket;
        t.sequenced += s.hub.sequenced;
        t.deliveries += s.hub.deliveries;
        t.failures += s.hub.failures;
        t.hub_expired += s.hub.expired;
        t.losses.events_dropped += s.losses.events_dropped;
        t.losses.events_expired += s.losses.events_expired;
        t.slow_soft += s.transport.slow_disconnects;
        t.slow_hard += s.transport.dropped_slow;
        t.stalled += s.transport.dropped_stalled;
        t.bytes_sent += s.transport.bytes_sent;
        t.sends += s.transport.sends;
        t.queued_bytes += s.metrics.census.queued_bytes;
        t.delivery.add(s.metrics.delivery);
        t.publish_ack.add(s.metrics.publish_ack);
        t.catch_up.streams += s.catch_up.streams;
        t.catch_up.resumes += s.catch_up.resumes;
        t.catch_up.gaps += s.catch_up.gaps;
        t.catch_up.replayed += s.catch_up.replayed;
        t.catch_up.trimmed += s.catch_up.trimmed;
        const std::vector<uint64_t>& e = s.metrics.census.by_endpoint;
        if (t.by_endpoint.size() < e.size()) t.by_endpoint.resize(e.size());
        for (size_t i = 0; i < e.size(); ++i)
            t.by_endpoint[i] += e[i];
    }
    return t;
}

double seconds(uint64_t us) {
    return double(us) / 1e6;
}

// How old each shard's snapshot is: the scrape's numbers for that shard are
// this stale. It stays under [metrics] snapshot_interval while the shard's loop
// turns; a loop that is stuck stops taking snapshots, and its age grows.
void write_ages(MetricsText& m, const std::vector<ShardSnapshot>& shards,
                const MetricsContext& ctx) {
    m.family("ringcast_metrics_snapshot_age_seconds", "gauge",
             "Age of the shard's snapshot this scrape shows (taken every "
             "metrics.snapshot_interval by the shard's own loop; it grows while the loop is "
             "stuck).");
    for (const ShardSnapshot& s : shards) {
        const uint64_t age_ns = s.taken_ns && ctx.now_ns > s.taken_ns ? ctx.now_ns - s.taken_ns : 0;
        m.sample("ringcast_metrics_snapshot_age_seconds", {{"shard", std::to_string(s.shard)}},
                 double(age_ns) / 1e9);
    }
}

void write_shards(MetricsText& m, const std::vector<ShardSnapshot>& shards) {
    struct PerShard {
        const char* name;
        const char* type;
        const char* help;
        uint64_t (*get)(const ShardSnapshot&);
    };
    static constexpr PerShard kPerShard[] = {
        {"ringcast_connections", "gauge", "SSE streams open, by shard.",
         [](const ShardSnapshot& s) { return s.streams; }},
        {"ringcast_sockets", "gauge",
         "Connections open (streams, API requests, publishers), by shard.",
         [](const ShardSnapshot& s) { return s.sockets; }},
        {"ringcast_http2_connections", "gauge", "HTTP/2 connections open, by shard.",
         [](const ShardSnapshot& s) { return s.http2.connections; }},
        {"ringcast_http2_streams", "gauge",
         "HTTP/2 streams open (SSE streams and requests), by shard.",
         [](const ShardSnapshot& s) { return s.http2.streams; }},
        {"ringcast_http2_streams_total", "counter", "HTTP/2 streams opened, by shard.",
         [](const ShardSnapshot& s) { return s.http2.streams_total; }},
        {"ringcast_http2_streams_reset_total", "counter",
         "HTTP/2 streams this side ended with RST_STREAM (refused, malformed, lost events), by "
         "shard.",
         [](const ShardSnapshot& s) { return s.http2.streams_reset; }},
        {"ringcast_http2_connection_errors_total", "counter",
         "HTTP/2 connections closed with a GOAWAY carrying an error (protocol errors, floods), by "
         "shard.",
         [](const ShardSnapshot& s) { return s.http2.connection_errors; }},
        {"ringcast_shard_loop_turns_total", "counter", "Turns of the shard's loop.",
         [](const ShardSnapshot& s) { return s.loop_turns; }},
        {"ringcast_shard_mesh_queued_total", "counter",
         "Messages to another shard that found its ring full and waited in order.",
         [](const ShardSnapshot& s) { return s.mesh_overflows; }},
        {"ringcast_io_uring_cq_overflow_total", "counter",
         "Completions the kernel could not post because the shard's completion queue was full "
         "(the ring's own counter; it wraps at 2^32).",
         [](const ShardSnapshot& s) { return s.metrics.cq_overflows; }},
    };
    for (const PerShard& f : kPerShard) {
        m.family(f.name, f.type, f.help);
        for (const ShardSnapshot& s : shards)
            m.sample(f.name, {{"shard", std::to_string(s.shard)}}, f.get(s));
    }
    m.family("ringcast_shard_loop_lag_seconds", "gauge",
             "The longest single turn of the shard's loop (its work, the kernel's wait excluded) "
             "in the current and the previous 10 s: how long a completion or a message could wait "
             "for the shard.");
    for (const ShardSnapshot& s : shards)
        m.sample("ringcast_shard_loop_lag_seconds", {{"shard", std::to_string(s.shard)}},
                 seconds(s.metrics.loop_lag_us));
    m.family("ringcast_shard_busy_seconds_total", "counter",
             "Time the shard's loop spent working, the kernel's wait excluded.");
    for (const ShardSnapshot& s : shards)
        m.sample("ringcast_shard_busy_seconds_total", {{"shard", std::to_string(s.shard)}},
                 seconds(s.metrics.loop_busy_us));
}

// HTTPS ([tls]): which path encrypts, and the handshakes by outcome.
void write_tls(MetricsText& m, const std::vector<ShardSnapshot>& shards) {
    const TransportStats t = tls_totals(shards);
    m.family("ringcast_tls_info", "gauge",
             "How new TLS connections are encrypted (path: ktls, sealer or userspace) and whether "
             "the kernel has the tls ULP.");
    m.sample("ringcast_tls_info",
             {{"path", tls_path(t.tls_ktls_enabled, t.tls_seal_enabled)},
              {"kernel_tls", kernel_tls().kernel_tls ? "true" : "false"}},
             uint64_t(1));
    m.family("ringcast_tls_connections", "gauge",
             "TLS connections open, handshake done, by who encrypts what they send (kernel: "
             "kTLS, tls.ktls; sealer: ringcastd's own records, tls.seal; userspace: OpenSSL's "
             "SSL_write).");
    m.sample("ringcast_tls_connections", {{"encrypts", "userspace"}},
             t.tls_open - t.tls_ktls - t.tls_sealed);
    m.sample("ringcast_tls_connections", {{"encrypts", "sealer"}}, t.tls_sealed);
    m.sample("ringcast_tls_connections", {{"encrypts", "kernel"}}, t.tls_ktls);
    m.family("ringcast_tls_ktls_fallbacks_total", "counter",
             "TLS connections that could have handed their sending to the kernel and stayed in "
             "user space (TLS 1.2 or another suite, or the kernel refused; the log says why).");
    m.sample("ringcast_tls_ktls_fallbacks_total", {}, t.tls_ktls_fallbacks);
    m.family("ringcast_tls_handshakes_in_progress", "gauge", "TLS handshakes under way.");
    m.sample("ringcast_tls_handshakes_in_progress", {}, t.tls_handshaking);
    m.family("ringcast_tls_handshakes_total", "counter",
             "TLS handshakes completed, full or resumed with a session ticket.");
    m.sample("ringcast_tls_handshakes_total", {{"resumed", "false"}},
             t.tls_handshakes - t.tls_resumed);
    m.sample("ringcast_tls_handshakes_total", {{"resumed", "true"}}, t.tls_resumed);
    m.family("ringcast_tls_handshake_failures_total", "counter",
             "TLS connections closed before their handshake was done: a bad or garbled "
             "handshake or a peer gone (error), past tls.handshake_timeout (timeout), or refused "
             "at once past tls.max_handshakes (refused).");
    m.sample("ringcast_tls_handshake_failures_total", {{"reason", "error"}},
             t.tls_handshake_failures);
    m.sample("ringcast_tls_handshake_failures_total", {{"reason", "timeout"}},
             t.tls_handshake_timeouts);
    m.sample("ringcast_tls_handshake_failures_total", {{"reason", "refused"}}, t.tls_refused);
    m.family("ringcast_tls_errors_total", "counter",
             "Established TLS connections ended by a TLS error (a bad record, say).");
    m.sample("ringcast_tls_errors_total", {}, t.tls_errors);
}

void write_traffic(MetricsText& m, const Totals& t, const MetricsContext& ctx) {
    m.family("ringcast_endpoint_connections", "gauge", "SSE streams open, by endpoint path.");
    for (size_t i = 0; i < ctx.endpoints.size(); ++i)
        m.sample("ringcast_endpoint_connections", {{"endpoint", ctx.endpoints[i]}},
                 i < t.by_endpoint.size() ? t.by_endpoint[i] : 0);
    m.family("ringcast_connections_accepted_total", "counter",
             "Connections accepted by the listeners (HTTP and the publishing socket).");
    m.sample("ringcast_connections_accepted_total", {}, t.accepted);
    m.family("ringcast_connections_closed_total", "counter", "Connections closed.");
    m.sample("ringcast_connections_closed_total", {}, t.closed);
    m.family("ringcast_accept_errors_total", "counter",
             "Accepts the kernel failed (out of file descriptors, a full connection table...).");
    m.sample("ringcast_accept_errors_total", {}, t.accept_errors);
    m.family("ringcast_requests_refused_total", "counter",
             "Requests and streams refused, by reason: bad_request (400), unauthorized (401: "
             "credentials missing or invalid), forbidden (403: a gate), rate_limited (429: a "
             "connection or publish limit), unavailable (503: the connection limit, draining).");
    const std::pair<const char*, uint64_t> refusals[] = {
        {"bad_request", t.refused.bad_request}, {"unauthorized", t.refused.unauthorized},
        {"forbidden", t.refused.forbidden},     {"rate_limited", t.refused.rate_limited},
        {"unavailable", t.refused.unavailable},
    };
    for (const auto& [reason, n] : refusals)
        m.sample("ringcast_requests_refused_total", {{"reason", reason}}, n);
    m.family("ringcast_events_published_total", "counter",
             "Messages handed to the publish flow, by the way they came: http (POST "
             "/api/publish) or socket (the Unix socket).");
    m.sample("ringcast_events_published_total", {{"via", "http"}}, t.published_http);
    m.sample("ringcast_events_published_total", {{"via", "socket"}}, t.published_socket);
    m.family("ringcast_events_sequenced_total", "counter",
             "Events numbered by the log shard (published and not refused).");
    m.sample("ringcast_events_sequenced_total", {}, t.sequenced);
    m.family("ringcast_deliveries_total", "counter",
             "Events queued to a subscriber (one per recipient).");
    m.sample("ringcast_deliveries_total", {}, t.deliveries);
    m.family("ringcast_delivery_failures_total", "counter",
             "Recipients that could not take an event (closing, or closed as too slow).");
    m.sample("ringcast_delivery_failures_total", {}, t.failures);
    m.family("ringcast_events_dropped_total", "counter",
             "Events a recipient did not get, by reason: shed (dropped from a slow reader's "
             "queue, lowest priority first), expired_in_queue (ttl passed while queued), "
             "expired (ttl passed before it reached the shard; one per shard).");
    m.sample("ringcast_events_dropped_total", {{"reason", "shed"}}, t.losses.events_dropped);
    m.sample("ringcast_events_dropped_total", {{"reason", "expired_in_queue"}},
             t.losses.events_expired);
    m.sample("ringcast_events_dropped_total", {{"reason", "expired"}}, t.hub_expired);
    m.family("ringcast_slow_reader_disconnects_total", "counter",
             "Connections closed for not reading, by reason: queue_limit (over "
             "delivery.queue_limit with slow_reader = \"disconnect\"), max_queue (over "
             "delivery.max_queue), write_timeout (one write pending past delivery.write_timeout).");
    m.sample("ringcast_slow_reader_disconnects_total", {{"reason", "queue_limit"}}, t.slow_soft);
    m.sample("ringcast_slow_reader_disconnects_total", {{"reason", "max_queue"}}, t.slow_hard);
    m.sample("ringcast_slow_reader_disconnects_total", {{"reason", "write_timeout"}}, t.stalled);
    m.family("ringcast_sent_bytes_total", "counter", "Bytes the kernel took from every send.");
    m.sample("ringcast_sent_bytes_total", {}, t.bytes_sent);
    m.family("ringcast_sends_total", "counter", "Send operations (one SEND or SENDMSG each).");
    m.sample("ringcast_sends_total", {}, t.sends);
    m.family("ringcast_queued_bytes", "gauge", "Bytes waiting in every connection's output queue.");
    m.sample("ringcast_queued_bytes", {}, t.queued_bytes);
    m.family("ringcast_delivery_latency_seconds", "histogram",
             "From a publish accepted (its event built) to the sends of all its recipients on a "
             "shard handed to the kernel: observed when a loop turn has started a send for every "
             "connection with frames queued (a recipient with a send already in flight follows "
             "when it completes). One observation per event per shard that had recipients.");
    m.histogram("ringcast_delivery_latency_seconds", {}, t.delivery);
    m.family("ringcast_publish_ack_latency_seconds", "histogram",
             "From a counted publish accepted (its event built) to every shard's report, when "
             "its acknowledgement is written (HTTP answers, socket replies with \"req\").");
    m.histogram("ringcast_publish_ack_latency_seconds", {}, t.publish_ack);
}

void write_catch_up(MetricsText& m, const CatchUpStats& c) {
    const struct {
        const char* name;
        const char* help;
        uint64_t value;
    } families[] = {
        {"ringcast_resumes_total", "Streams opened with a Last-Event-ID.", c.resumes},
        {"ringcast_catch_up_streams_total",
         "Streams that got something before going live: events (history, cache, mail) or a "
         "history-gap.",
         c.streams},
        {"ringcast_catch_up_gaps_total",
         "Streams told history-gap: a resume past what history keeps, or a trimmed catch-up.",
         c.gaps},
        {"ringcast_catch_up_trimmed_total",
         "Catch-ups cut to half of delivery.queue_limit (then told history-gap).", c.trimmed},
        {"ringcast_catch_up_replayed_events_total",
         "Events queued to streams before they went live (history, cache, mail).", c.replayed},
    };
    for (const auto& f : families) {
        m.family(f.name, "counter", f.help);
        m.sample(f.name, {}, f.value);
    }
}

void write_keeps(MetricsText& m, const ShardSnapshot& log) {
    const std::pair<const char*, const KeyedLogStats*> keeps[] = {
        {"history", &log.history}, {"cache", &log.cache}, {"mailbox", &log.mailbox}};
    const struct {
        const char* name;
        const char* type;
        const char* help;
        uint64_t KeyedLogStats::*field;
    } families[] = {
        {"ringcast_keep_keys", "gauge",
         "Keys in each keep of the log shard: channels (history, cache) or users (mailbox).",
         &KeyedLogStats::keys},
        {"ringcast_keep_events", "gauge", "Events in each keep.", &KeyedLogStats::events},
        {"ringcast_keep_bytes", "gauge", "Bytes of the events in each keep.",
         &KeyedLogStats::bytes},
        {"ringcast_keep_evicted_total", "counter",
         "Events a keep let go for its count or byte bounds.", &KeyedLogStats::evicted},
        {"ringcast_keep_expired_total", "counter", "Events a keep let go for their age or ttl.",
         &KeyedLogStats::aged},
    };
    for (const auto& f : families) {
        m.family(f.name, f.type, f.help);
        for (const auto& [keep, k] : keeps)
            m.sample(f.name, {{"keep", keep}}, uint64_t(k->*f.field));
    }
    m.family("ringcast_mail_pending", "gauge",
             "Retryable user-specific events waiting for delivery reports before they are mailed.");
    m.sample("ringcast_mail_pending", {}, log.pending_mail);
}

void write_store(MetricsText& m, const StoreFigures& st) {
    m.family("ringcast_store_enabled", "gauge", "1 if events are written to the store ([store]).");
    m.sample("ringcast_store_enabled", {}, uint64_t(st.enabled));
    if (!st.enabled) return;
    m.family("ringcast_store_records_written_total", "counter", "Records committed to the store.");
    m.sample("ringcast_store_records_written_total", {}, st.written);
    m.family("ringcast_store_commits_total", "counter",
             "Store transactions, by result: ok, or failed (rolled back and retried).");
    m.sample("ringcast_store_commits_total", {{"result", "ok"}}, st.commits);
    m.sample("ringcast_store_commits_total", {{"result", "failed"}}, st.failed_commits);
    m.family("ringcast_store_records_given_up_total", "counter",
             "Records dropped beyond store.max_pending (the disk could not keep up).");
    m.sample("ringcast_store_records_given_up_total", {}, st.given_up);
    m.family("ringcast_store_pending_records", "gauge",
             "Records handed to the store and not committed yet.");
    m.sample("ringcast_store_pending_records", {}, st.pending);
    m.family("ringcast_store_database_bytes", "gauge", "Size of the store's database file.");
    m.sample("ringcast_store_database_bytes", {}, st.database_bytes);
    m.family("ringcast_store_commit_duration_seconds", "histogram",
             "Time each successful store transaction took, applying and committing.");
    m.histogram("ringcast_store_commit_duration_seconds", {}, st.commit_latency);
}

void write_channels(MetricsText& m, const std::vector<ShardSnapshot>& shards) {
    // The [metrics] channels, in their order; every shard lists the same names.
    std::vector<ChannelFigures> sums;
    for (const ShardSnapshot& s : shards) {
        if (sums.empty()) sums.resize(s.channels.size());
        for (size_t i = 0; i < s.channels.size() && i < sums.size(); ++i) {
            sums[i].name = s.channels[i].name;
            sums[i].subscribers += s.channels[i].subscribers;
            sums[i].dropped += s.channels[i].dropped;
            sums[i].expired += s.channels[i].expired;
            sums[i].slow_disconnects += s.channels[i].slow_disconnects;
        }
    }
    if (sums.empty()) return;
    m.family("ringcast_channel_subscribers", "gauge",
             "Streams subscribed to each channel named in [metrics] channels.");
    for (const ChannelFigures& c : sums)
        m.sample("ringcast_channel_subscribers", {{"channel", c.name}}, c.subscribers);
    m.family("ringcast_channel_events_dropped_total", "counter",
             "Events of the channel a recipient did not get: shed or expired_in_queue.");
    for (const ChannelFigures& c : sums) {
        m.sample("ringcast_channel_events_dropped_total", {{"channel", c.name}, {"reason", "shed"}},
                 c.dropped);
        m.sample("ringcast_channel_events_dropped_total",
                 {{"channel", c.name}, {"reason", "expired_in_queue"}}, c.expired);
    }
    m.family("ringcast_channel_slow_reader_disconnects_total", "counter",
             "Subscribers of the channel closed for not reading.");
    for (const ChannelFigures& c : sums)
        m.sample("ringcast_channel_slow_reader_disconnects_total", {{"channel", c.name}},
                 c.slow_disconnects);
}

void write_process(MetricsText& m, const MetricsContext& ctx) {
    m.family("ringcast_build_info", "gauge", "Always 1; the version is a label.");
    m.sample("ringcast_build_info", {{"version", RINGCAST_VERSION}}, uint64_t(1));
    m.family("ringcast_uptime_seconds", "gauge", "Time since the daemon started.");
    m.sample("ringcast_uptime_seconds", {}, ctx.uptime_s);
    m.family("ringcast_process_resident_memory_bytes", "gauge",
             "Resident set size of the process (/proc/self/statm).");
    m.sample("ringcast_process_resident_memory_bytes", {}, ctx.process.rss_bytes);
    m.family("ringcast_process_cpu_seconds_total", "counter",
             "CPU time of the process, by mode: user or system.");
    m.sample("ringcast_process_cpu_seconds_total", {{"mode", "user"}}, ctx.process.cpu_user_s);
    m.sample("ringcast_process_cpu_seconds_total", {{"mode", "system"}}, ctx.process.cpu_system_s);
    uint64_t committed = 0;
    if (read_allocator_committed(&committed)) {
        m.family("ringcast_allocator_committed_bytes", "gauge",
                 "Memory mimalloc has committed from the kernel for the whole process.");
        m.sample("ringcast_allocator_committed_bytes", {}, committed);
    }
}

}  // namespace

bool read_allocator_committed(uint64_t* bytes) {
#if RINGCAST_MIMALLOC
    size_t elapsed, user, sys, rss, peak_rss, commit = 0, peak_commit, faults;
    mi_process_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
    *bytes = commit;
    return commit > 0;
#else
    (void)bytes;
    return false;
#endif
}

std::string render_metrics(const std::vector<ShardSnapshot>& shards, const MetricsContext& ctx) {
    const Totals t = add_up(shards);
    MetricsText m;
    write_process(m, ctx);
    write_ages(m, shards, ctx);
    write_shards(m, shards);
    write_traffic(m, t, ctx);
    write_tls(m, shards);
    write_catch_up(m, t.catch_up);
    static const ShardSnapshot kNoLog;
    const ShardSnapshot& log = t.log ? *t.log : kNoLog;
    write_keeps(m, log);
    write_store(m, log.store);
    write_channels(m, shards);
    write_cluster(m, shards);
    return m.take();
}

}  // namespace ringcast

#include "report.h"

#include <fmt/format.h>

namespace ringcast::load {

namespace {

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += fmt::format("\\u{:04x}", c);
                } else {
                    out += char(c);
                }
        }
    }
    return out + "\"";
}

std::string mib(uint64_t bytes) {
    return fmt::format("{:.1f} MiB", double(bytes) / 1048576.0);
}

// Appends "key":value pairs, comma-separated, to a JSON object under construction.
class JsonFields {
public:
    explicit JsonFields(std::string& out) : _out(out) {}
    void raw(std::string_view key, const std::string& value) {
        _out += _first ? "" : ",";
        _first = false;
        _out += json_string(key);
        _out += ':';
        _out += value;
    }
    void num(std::string_view key, uint64_t v) { raw(key, std::to_string(v)); }
    void num(std::string_view key, double v) { raw(key, fmt::format("{:.6g}", v)); }
    void str(std::string_view key, std::string_view v) { raw(key, json_string(v)); }
    void boolean(std::string_view key, bool v) { raw(key, v ? "true" : "false"); }

private:
    std::string& _out;
    bool _first = true;
};

std::string string_array(const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i)
        out += (i ? "," : "") + json_string(v[i]);
    return out + "]";
}

std::string log_summary(const RunReport& r) {
    std::string store = "store off";
    if (r.store_enabled)
        store = fmt::format("store wrote {} records in {} commits ({} pending)", r.store_written,
                            r.store_commits, r.store_pending);
    return fmt::format("history holds {} events, cache {}; {}", r.history_events, r.cache_events,
                       store);
}

// The resume-burst mode's rows (resume_burst.cc says what they measure).
template <typename Row>
void resume_rows(const RunReport& r, Row& row) {
    if (r.resume_events == 0) return;
    row("replay", fmt::format("{} events of {} B to each stream, after {}", r.resume_events,
                              r.payload, r.resume_from.empty() ? "-" : r.resume_from));
    if (r.burst_time_s > 0) {
        row("burst completion", fmt::format("{:.3f} s (first connect -> last stream with its "
                                            "{}th event)",
                                            r.burst_time_s, r.resume_events));
        row("replayed events/s", fmt::format("{:.0f} ({} x {} / burst completion)",
                                             r.replayed_per_s, r.connections, r.resume_events));
    }
    row("per stream p50 / p90 / p99",
        fmt::format("{:.1f} / {:.1f} / {:.1f} ms (connect start -> whole replay)",
                    double(r.replay_p50_us) / 1000, double(r.replay_p90_us) / 1000,
                    double(r.replay_p99_us) / 1000));
    row("per stream max", fmt::format("{:.1f} ms, {} streams timed", double(r.replay_max_us) / 1000,
                                      r.replay_streams));
    if (r.catch_up_known) {
        const CatchUpCounters& c = r.catch_up;
        row("daemon catchUp (burst)",
            fmt::format("streams {} resumes {} gaps {} replayed {} trimmed {} buffered {} "
                        "deferred {}",
                        c.streams, c.resumes, c.gaps, c.replayed, c.trimmed, c.buffered,
                        c.deferred));
    }
    if (r.burst_window_s > 0) {
        double replayed = double(r.connections * r.resume_events);
        row("daemon CPU over the burst",
            fmt::format("{:.3f} s in {:.3f} s ({:.2f} us per replayed event, connects included)",
                        r.burst_daemon_cpu_s, r.burst_window_s,
                        r.burst_daemon_cpu_s * 1e6 / replayed));
    }
    if (r.machine_busy >= 0)
        row("CPU over the burst", fmt::format("{:.0f}% of {} cores busy: daemon {:.2f}, "
                                              "generator {:.2f}, other {:.2f} cores",
                                              r.machine_busy * 100, r.cpus, r.daemon_cores,
                                              r.generator_cores, r.other_cores));
    row("deliveries expected",
        fmt::format("{} ({} replayed + {} live)", r.expected_deliveries,
                    r.connections * r.resume_events, r.published ? r.connections : 0));
    row("deliveries received", fmt::format("{}", r.received_deliveries));
    if (r.published)
        row("live event after", fmt::format("queued for {} streams; latency p50 / max {} / {} us",
                                            r.tail_sent, r.latency_p50_us, r.latency_max_us));
    row("lost / dup / out-of-order",
        fmt::format("{} / {} / {} (too late {}, unexpected {}, malformed {}, refresh {}, "
                    "before connected {})",
                    r.lost, r.duplicates, r.out_of_order, r.too_late, r.unexpected, r.malformed,
                    r.refreshes, r.before_connected));
    row("disconnects", fmt::format("{}", r.disconnects));
}

std::string ms(uint64_t us) {
    return fmt::format("{:.0f} ms", double(us) / 1000);
}

// "event: streams, ..." of the events some stream lost.
std::string lost_events(const LossLog& log) {
    std::string out;
    for (const auto& [event, streams] : log.events)
        out += fmt::format("{}{}: {}", out.empty() ? "" : ", ", event, streams);
    return out;
}

std::string stream_list(const LossLog& log) {
    std::string out;
    for (uint64_t i : log.named)
        out += fmt::format("{}{}", out.empty() ? "" : ", ", i);
    return out + (log.streams > log.named.size() ? ", ..." : "");
}

// The takeover mode's rows (takeover.cc says what they measure).
template <typename Row>
void takeover_rows(const RunReport& r, Row& row) {
    row("takeover",
        fmt::format("'{}': old pid {}{}", r.takeover_command, r.old_pid,
                    r.new_pid == 0
                        ? std::string(" (not started)")
                        : fmt::format(" -> {} {}", r.command_exited ? "command pid" : "new pid",
                                      r.new_pid)));
    if (!r.published) return;
    row("publishing",
        fmt::format("{} events/s over {}, one at a time, {} B payload: {} events acknowledged "
                    "({} publishes sent again)",
                    r.rate, r.publish_via, r.payload, r.events_total, r.resent));
    row("reconnects / lost / dups",
        fmt::format("{} / {} / {} (out of order {}, unexpected {}, malformed {})", r.disconnects,
                    r.lost, r.duplicates, r.out_of_order + r.too_late, r.unexpected, r.malformed));
    row("deliveries",
        fmt::format("{} received of {} expected", r.received_deliveries, r.expected_deliveries));
    if (r.losses.streams)
        row("where lost",
            fmt::format("on {} streams (numbers {}); events lost (event: streams) {}; "
                        "the request came after event {}, the old daemon exited after {}",
                        r.losses.streams, stream_list(r.losses), lost_events(r.losses),
                        int64_t(r.acked_at_request) - 1, int64_t(r.acked_at_exit) - 1));
    if (r.new_pid == 0) return;  // the command did not start: nothing was handed over
    row("handover",
        r.old_exited ? fmt::format("request to old exit {:.0f} ms", r.handover_s * 1000)
                     : fmt::format("the old daemon had not exited after {:.1f} s", r.handover_s));
    row("pause", fmt::format("longest {}, median of each stream's longest {} (events every {:.0f} "
                             "ms)",
                             ms(r.pause_max_us), ms(r.pause_median_us), 1000 / r.rate));
    row("delay publish -> arrival",
        fmt::format("longest {} from the request on (median of each stream's longest {}); "
                    "before it {} (median {})",
                    ms(r.delay_max_us), ms(r.delay_median_us), ms(r.warm_delay_max_us),
                    ms(r.warm_delay_median_us)));
    std::string old_cpu = r.old_cpu_known
                              ? fmt::format("old daemon {:.3f} s from the request {}", r.old_cpu_s,
                                            r.old_exited ? "to its exit" : "on")
                              : std::string("old daemon n/a");
    std::string new_cpu = r.new_cpu_known ? fmt::format(
                                                "new daemon {:.3f} s by then, {:.3f} s since it "
                                                "started",
                                                r.new_cpu_at_exit_s, r.new_cpu_end_s)
                                          : std::string("new daemon n/a");
    row("cpu", old_cpu + "; " + new_cpu);
    if (r.new_cpu_known) row("new daemon pid", fmt::format("{}", r.new_pid));
}

}  // namespace

std::string format_table(const RunReport& r) {
    std::string o;
    auto row = [&](std::string_view name, const std::string& value) {
        o += fmt::format("  {:<28} {}\n", name, value);
    };
    o += fmt::format("ringcast-load: {} run against {} ({}){}\n", r.mode, r.target,
                     r.server.empty() ? "server unknown" : r.server,
                     r.label.empty() ? "" : " [" + r.label + "]");
    row("connections",
        fmt::format("{} ({} worker process{}{}, {} source address{}{})", r.connections, r.procs,
                    r.procs == 1 ? "" : "es",
                    r.subscriber_nice ? fmt::format(" at nice {}", r.subscriber_nice) : "",
                    r.sources, r.sources == 1 ? "" : "es",
                    r.audiences ? fmt::format(", {} audiences", r.audiences) : ""));
    row("protocol", r.protocol == "http/1.1"
                        ? std::string("HTTP/1.1, one stream per connection")
                        : fmt::format("HTTP/2 ({}), {} streams per connection, {} connection{}",
                                      r.protocol, r.streams_per_connection, r.stream_connections,
                                      r.stream_connections == 1 ? "" : "s"));
    // Only the phases that ran: a run that failed early shows no zeros.
    if (r.connected_all) {
        row("connected",
            fmt::format("{} of {}, {} retries", r.connected, r.connections, r.connect_retries));
        row("connect time", fmt::format("{:.3f} s", r.connect_time_s));
    }
    if (!r.tls_target.empty())
        row("tls", fmt::format("streams to {}: {} handshakes, {} resumed", r.tls_target,
                               r.tls_handshakes, r.tls_resumed));
    if (r.connect_cpu_measured)
        row("CPU while connecting",
            fmt::format("daemon {:.3f} s ({:.1f} us per connection), generator {:.3f} s",
                        r.daemon_connect_cpu_s,
                        r.daemon_connect_cpu_s * 1e6 / double(std::max<uint64_t>(1, r.connected)),
                        r.generator_connect_cpu_s));
    if (r.memory_measured) {
        row("daemon RSS before / after",
            fmt::format("{} / {}{}", mib(r.rss_before), mib(r.rss_after),
                        r.rss_settled ? "" : " (not settled)"));
        row("RSS per connection", fmt::format("{:.0f} bytes", r.rss_per_connection));
    }
    if (r.mode == "resume") {
        resume_rows(r, row);
    } else if (r.mode == "takeover") {
        takeover_rows(r, row);
    } else if (r.mode == "idle" && r.memory_measured) {
        row("held", fmt::format("{:.1f} s, {} disconnects, {} heartbeats", r.hold_s, r.disconnects,
                                r.heartbeats));
    } else if (r.published) {
        row("schedule", fmt::format("{} events/s x {:.1f} s (+{:.1f} s warmup), {} B payload{}, "
                                    "{} publisher{} x pipeline {}",
                                    r.rate, r.duration_s, r.warmup_s, r.payload,
                                    r.persistent ? " (persistent)" : "", r.publishers,
                                    r.publishers == 1 ? "" : "s", r.pipeline));
        row("publish via", r.publish_via);
        row("events published", fmt::format("{} measured (+{} warmup), {} ack failures",
                                            r.events_published, r.warmup_events, r.ack_failures));
        row("publish rate achieved", fmt::format("{:.1f} events/s", r.achieved_rate));
        row("deliveries expected",
            fmt::format("{} (daemon acked {}, {} failed)", r.expected_deliveries, r.daemon_sent,
                        r.daemon_failed));
        row("deliveries received", fmt::format("{}", r.received_deliveries));
        row("deliveries/s", fmt::format("{:.0f} over {:.3f} s", r.deliveries_per_s, r.window_s));
        row("latency p50 / p99", fmt::format("{} / {} us (publish -> read by the subscriber)",
                                             r.latency_p50_us, r.latency_p99_us));
        row("latency p99.9 / max",
            fmt::format("{} / {} us (mean {:.0f} us, {} samples)", r.latency_p999_us,
                        r.latency_max_us, r.latency_mean_us, r.latency_count));
        if (r.arrival_max_us) {
            row("arrival p50 / p99",
                fmt::format("{} / {} us (publish -> bytes at the subscriber's socket)",
                            r.arrival_p50_us, r.arrival_p99_us));
            row("arrival p99.9 / max",
                fmt::format("{} / {} us", r.arrival_p999_us, r.arrival_max_us));
        }
        row("lost / dup / out-of-order",
            fmt::format("{} / {} / {} (warmup lost {}, too late {}, "
                        "unexpected {}, malformed {})",
                        r.lost, r.duplicates, r.out_of_order, r.lost_warmup, r.too_late,
                        r.unexpected, r.malformed));
        row("disconnects", fmt::format("{}", r.disconnects));
        row("daemon CPU per delivery",
            r.cpu_measured ? fmt::format("{:.3f} us ({:.3f} s CPU / {} deliveries)",
                                         r.cpu_per_delivery_us, r.daemon_cpu_s, r.daemon_deliveries)
                           : std::string("n/a"));
        if (r.machine_busy >= 0)
            row("CPU over the window", fmt::format("{:.0f}% of {} cores busy: daemon {:.2f}, "
                                                   "generator {:.2f}, other {:.2f} cores",
                                                   r.machine_busy * 100, r.cpus, r.daemon_cores,
                                                   r.generator_cores, r.other_cores));
        row("publisher lag p99 / max",
            fmt::format("{} / {} us", r.publish_lag_p99_us, r.publish_lag_max_us));
        row("publish ack p50 / p99 / max",
            fmt::format("{} / {} / {} us", r.ack_p50_us, r.ack_p99_us, r.ack_max_us));
    }
    if (r.log_known) row("daemon log", log_summary(r));
    row("generator CPU", fmt::format("{:.2f} s", r.generator_cpu_s));
    for (const auto& w : r.warnings)
        o += "  warning: " + w + "\n";
    for (const auto& e : r.errors)
        o += "  ERROR: " + e + "\n";
    o += r.ok ? "result: OK\n" : "result: FAILED\n";
    return o;
}

namespace {

// How busy the machine was over the measured window, when it was measured.
void machine_fields(JsonFields& f, const RunReport& r) {
    if (r.machine_busy < 0) return;
    f.num("machine_busy_fraction", r.machine_busy);
    f.num("cpus", uint64_t(r.cpus));
    f.num("daemon_cores", r.daemon_cores);
    f.num("generator_cores", r.generator_cores);
    f.num("other_cores", r.other_cores);
}

// What was published and how: the same fields in publish and takeover runs.
void schedule_fields(JsonFields& f, const RunReport& r) {
    f.num("rate", r.rate);
    f.num("warmup_s", r.warmup_s);
    f.num("duration_s", r.duration_s);
    f.num("payload_bytes", uint64_t(r.payload));
    f.boolean("persistent", r.persistent);
    f.str("publish_via", r.publish_via);
}

void takeover_fields(JsonFields& f, const RunReport& r) {
    f.str("takeover_command", r.takeover_command);
    f.num("old_pid", uint64_t(r.old_pid));
    f.num("new_pid", uint64_t(r.new_pid));
    f.boolean("command_exited", r.command_exited);
    schedule_fields(f, r);
    f.num("events_published", r.events_total);
    f.num("publishes_resent", r.resent);
    f.num("acked_at_request", r.acked_at_request);
    f.num("acked_at_exit", r.acked_at_exit);
    f.boolean("old_exited", r.old_exited);
    f.num("handover_s", r.handover_s);
    f.num("expected_deliveries", r.expected_deliveries);
    f.num("received_deliveries", r.received_deliveries);
    f.num("reconnects", r.disconnects);
    f.num("lost", r.lost);
    f.num("duplicates", r.duplicates);
    f.num("out_of_order", r.out_of_order);
    f.num("too_late", r.too_late);
    f.num("unexpected", r.unexpected);
    f.num("malformed", r.malformed);
    f.num("lost_streams", r.losses.streams);
    std::string named = "[", events = "{";
    for (uint64_t i : r.losses.named)
        named += (named.size() > 1 ? "," : "") + std::to_string(i);
    for (const auto& [event, streams] : r.losses.events)
        events += fmt::format("{}\"{}\":{}", events.size() > 1 ? "," : "", event, streams);
    f.raw("lost_stream_numbers", named + "]");
    f.raw("lost_events", events + "}");
    f.num("pause_max_us", r.pause_max_us);
    f.num("pause_median_us", r.pause_median_us);
    f.num("delay_max_us", r.delay_max_us);
    f.num("delay_median_us", r.delay_median_us);
    f.num("delay_before_max_us", r.warm_delay_max_us);
    f.num("delay_before_median_us", r.warm_delay_median_us);
    if (r.old_cpu_known) {
        f.num("old_cpu_s", r.old_cpu_s);
    } else {
        f.raw("old_cpu_s", "null");
    }
    if (r.new_cpu_known) {
        f.num("new_cpu_at_exit_s", r.new_cpu_at_exit_s);
        f.num("new_cpu_s", r.new_cpu_end_s);
    } else {
        f.raw("new_cpu_at_exit_s", "null");
        f.raw("new_cpu_s", "null");
    }
}

}  // namespace

std::string format_json(const RunReport& r) {
    std::string o = "{";
    JsonFields f(o);
    f.str("mode", r.mode);
    f.str("target", r.target);
    f.str("server", r.server);
    f.str("label", r.label);
    f.boolean("ok", r.ok);
    f.num("connections", r.connections);
    f.num("procs", uint64_t(r.procs));
    f.num("sources", uint64_t(r.sources));
    f.num("subscriber_nice", uint64_t(r.subscriber_nice));  // 0..19
    f.num("audiences", uint64_t(r.audiences));
    f.num("connected", r.connected);
    f.num("connect_retries", r.connect_retries);
    f.str("protocol", r.protocol);
    f.num("streams_per_connection", r.streams_per_connection);
    f.num("stream_connections", r.stream_connections);
    if (!r.tls_target.empty()) {
        f.str("tls_target", r.tls_target);
        f.num("tls_handshakes", r.tls_handshakes);
        f.num("tls_resumed", r.tls_resumed);
    }
    f.num("connect_time_s", r.connect_time_s);
    if (r.connect_cpu_measured) {
        f.num("daemon_connect_cpu_s", r.daemon_connect_cpu_s);
        f.num("generator_connect_cpu_s", r.generator_connect_cpu_s);
    }
    f.num("rss_before_bytes", r.rss_before);
    f.num("rss_after_bytes", r.rss_after);
    f.boolean("rss_settled", r.rss_settled);
    f.num("rss_per_connection_bytes", r.rss_per_connection);
    f.num("daemon_connections_before", r.daemon_connections_before);
    f.num("daemon_connections_after", r.daemon_connections_after);
    f.num("disconnects", r.disconnects);
    f.num("heartbeats", r.heartbeats);
    if (r.log_known) {
        f.num("history_events", r.history_events);
        f.num("cache_events", r.cache_events);
        f.boolean("store_enabled", r.store_enabled);
        f.num("store_written", r.store_written);
        f.num("store_commits", r.store_commits);
        f.num("store_pending", r.store_pending);
    }
    if (r.mode == "idle") {
        f.num("hold_s", r.hold_s);
    } else if (r.mode == "takeover") {
        takeover_fields(f, r);
    } else if (r.mode == "resume") {
        f.num("payload_bytes", uint64_t(r.payload));
        f.boolean("persistent", r.persistent);
        f.str("publish_via", r.publish_via);
        f.num("resume_events", r.resume_events);
        f.str("resume_from", r.resume_from);
        f.num("burst_time_s", r.burst_time_s);
        f.num("replayed_per_s", r.replayed_per_s);
        f.num("replay_streams", r.replay_streams);
        f.num("replay_p50_us", r.replay_p50_us);
        f.num("replay_p90_us", r.replay_p90_us);
        f.num("replay_p99_us", r.replay_p99_us);
        f.num("replay_max_us", r.replay_max_us);
        if (r.catch_up_known) {
            const CatchUpCounters& c = r.catch_up;
            f.num("catchup_streams", c.streams);
            f.num("catchup_resumes", c.resumes);
            f.num("catchup_gaps", c.gaps);
            f.num("catchup_replayed", c.replayed);
            f.num("catchup_trimmed", c.trimmed);
            f.num("catchup_buffered", c.buffered);
            f.num("catchup_deferred", c.deferred);
        }
        f.num("burst_window_s", r.burst_window_s);
        f.num("burst_daemon_cpu_s", r.burst_daemon_cpu_s);
        machine_fields(f, r);
        f.num("expected_deliveries", r.expected_deliveries);
        f.num("received_deliveries", r.received_deliveries);
        f.num("live_sent", r.tail_sent);
        f.num("latency_p50_us", r.latency_p50_us);
        f.num("latency_max_us", r.latency_max_us);
        f.num("lost", r.lost);
        f.num("duplicates", r.duplicates);
        f.num("out_of_order", r.out_of_order);
        f.num("too_late", r.too_late);
        f.num("unexpected", r.unexpected);
        f.num("malformed", r.malformed);
        f.num("refreshes", r.refreshes);
        f.num("before_connected", r.before_connected);
        f.num("other_events", r.other_events);
        f.num("earlier_runs", r.earlier_runs);
    } else {
        schedule_fields(f, r);
        f.num("publishers", uint64_t(r.publishers));
        f.num("pipeline", uint64_t(r.pipeline));
        f.num("warmup_events", r.warmup_events);
        f.num("events_written", r.events_written);
        f.num("events_published", r.events_published);
        f.num("achieved_rate", r.achieved_rate);
        f.num("ack_failures", r.ack_failures);
        f.num("daemon_acked_deliveries", r.daemon_sent);
        f.num("daemon_failed_deliveries", r.daemon_failed);
        f.num("expected_deliveries", r.expected_deliveries);
        f.num("received_deliveries", r.received_deliveries);
        f.num("window_s", r.window_s);
        f.num("deliveries_per_s", r.deliveries_per_s);
        f.num("latency_samples", r.latency_count);
        f.num("latency_p50_us", r.latency_p50_us);
        f.num("latency_p99_us", r.latency_p99_us);
        f.num("latency_p999_us", r.latency_p999_us);
        f.num("latency_max_us", r.latency_max_us);
        f.num("latency_mean_us", r.latency_mean_us);
        f.num("arrival_p50_us", r.arrival_p50_us);
        f.num("arrival_p99_us", r.arrival_p99_us);
        f.num("arrival_p999_us", r.arrival_p999_us);
        f.num("arrival_max_us", r.arrival_max_us);
        f.num("lost", r.lost);
        f.num("lost_warmup", r.lost_warmup);
        f.num("duplicates", r.duplicates);
        f.num("out_of_order", r.out_of_order);
        f.num("too_late", r.too_late);
        f.num("unexpected", r.unexpected);
        f.num("malformed", r.malformed);
        f.num("other_events", r.other_events);
        f.num("earlier_runs", r.earlier_runs);
        if (r.cpu_measured) {
            f.num("daemon_cpu_s", r.daemon_cpu_s);
            f.num("daemon_deliveries", r.daemon_deliveries);
            f.num("cpu_per_delivery_us", r.cpu_per_delivery_us);
        } else {
            f.raw("cpu_per_delivery_us", "null");
        }
        machine_fields(f, r);
        f.num("publish_lag_p99_us", r.publish_lag_p99_us);
        f.num("publish_lag_max_us", r.publish_lag_max_us);
        f.num("ack_p50_us", r.ack_p50_us);
        f.num("ack_p99_us", r.ack_p99_us);
        f.num("ack_max_us", r.ack_max_us);
    }
    f.num("generator_cpu_s", r.generator_cpu_s);
    f.raw("warnings", string_array(r.warnings));
    f.raw("errors", string_array(r.errors));
    o += "}\n";
    return o;
}

}  // namespace ringcast::load

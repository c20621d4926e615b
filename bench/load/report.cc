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
        fmt::format("{} ({} worker process{}, {} source address{})", r.connections, r.procs,
                    r.procs == 1 ? "" : "es", r.sources, r.sources == 1 ? "" : "es"));
    // Only the phases that ran: a run that failed early shows no zeros.
    if (r.connected_all) {
        row("connected",
            fmt::format("{} of {}, {} retries", r.connected, r.connections, r.connect_retries));
        row("connect time", fmt::format("{:.3f} s", r.connect_time_s));
    }
    if (r.memory_measured) {
        row("daemon RSS before / after",
            fmt::format("{} / {}{}", mib(r.rss_before), mib(r.rss_after),
                        r.rss_settled ? "" : " (not settled)"));
        row("RSS per connection", fmt::format("{:.0f} bytes", r.rss_per_connection));
    }
    if (r.mode == "idle" && r.memory_measured) {
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
    row("generator CPU", fmt::format("{:.2f} s", r.generator_cpu_s));
    for (const auto& w : r.warnings)
        o += "  warning: " + w + "\n";
    for (const auto& e : r.errors)
        o += "  ERROR: " + e + "\n";
    o += r.ok ? "result: OK\n" : "result: FAILED\n";
    return o;
}

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
    f.num("connected", r.connected);
    f.num("connect_retries", r.connect_retries);
    f.num("connect_time_s", r.connect_time_s);
    f.num("rss_before_bytes", r.rss_before);
    f.num("rss_after_bytes", r.rss_after);
    f.boolean("rss_settled", r.rss_settled);
    f.num("rss_per_connection_bytes", r.rss_per_connection);
    f.num("daemon_connections_before", r.daemon_connections_before);
    f.num("daemon_connections_after", r.daemon_connections_after);
    f.num("disconnects", r.disconnects);
    f.num("heartbeats", r.heartbeats);
    if (r.mode == "idle") {
        f.num("hold_s", r.hold_s);
    } else {
        f.num("rate", r.rate);
        f.num("duration_s", r.duration_s);
        f.num("warmup_s", r.warmup_s);
        f.num("payload_bytes", uint64_t(r.payload));
        f.boolean("persistent", r.persistent);
        f.num("publishers", uint64_t(r.publishers));
        f.num("pipeline", uint64_t(r.pipeline));
        f.num("warmup_events", r.warmup_events);
        f.num("events_written", r.events_written);
        f.num("events_published", r.events_published);
        f.num("achieved_rate", r.achieved_rate);
        f.str("publish_via", r.publish_via);
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
        if (r.cpu_measured) {
            f.num("daemon_cpu_s", r.daemon_cpu_s);
            f.num("daemon_deliveries", r.daemon_deliveries);
            f.num("cpu_per_delivery_us", r.cpu_per_delivery_us);
        } else {
            f.raw("cpu_per_delivery_us", "null");
        }
        if (r.machine_busy >= 0) {
            f.num("machine_busy_fraction", r.machine_busy);
            f.num("cpus", uint64_t(r.cpus));
            f.num("daemon_cores", r.daemon_cores);
            f.num("generator_cores", r.generator_cores);
            f.num("other_cores", r.other_cores);
        }
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

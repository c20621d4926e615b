#include "worker_result.h"

#include <algorithm>
#include <charconv>

#include "control.h"

namespace ringcast::load {

namespace {

// One table of (name, member) for encode and decode alike, so the two can
// never disagree about a field. R is WorkerResult or const WorkerResult.
template <typename R, typename F>
void for_each_counter(R& r, F&& f) {
    f("connections", r.connections);
    f("connected", r.connected);
    f("first_attempt_ns", r.first_attempt_ns);
    f("last_connected_ns", r.last_connected_ns);
    f("retries", r.retries);
    f("disconnects", r.disconnects);
    f("heartbeats", r.heartbeats);
    f("other_events", r.other_events);
    f("malformed", r.malformed);
    f("last_rx_ns", r.last_rx_ns);
    f("cpu_us", r.cpu_us);
    f("refreshes", r.refreshes);
    f("before_connected", r.before_connected);
    f("earlier_runs", r.earlier_runs);
    f("last_replayed_ns", r.last_replayed_ns);
    f("tls_handshakes", r.tls_handshakes);
    f("tls_resumed", r.tls_resumed);
    f("received", r.delivery.received);
    f("received_warmup", r.delivery.received_warmup);
    f("lost", r.delivery.lost);
    f("lost_warmup", r.delivery.lost_warmup);
    f("duplicates", r.delivery.duplicates);
    f("out_of_order", r.delivery.out_of_order);
    f("too_late", r.delivery.too_late);
    f("unexpected", r.delivery.unexpected);
}

// "losses STREAMS NAMED EVENTS": NAMED is "i,i,..." and EVENTS "n:c,n:c,...",
// each "-" when empty.
std::string encode_losses(const LossLog& log) {
    std::string named, events;
    for (uint64_t i : log.named)
        named += (named.empty() ? "" : ",") + std::to_string(i);
    for (const auto& [n, c] : log.events)
        events += (events.empty() ? "" : ",") + std::to_string(n) + ":" + std::to_string(c);
    return "losses " + std::to_string(log.streams) + " " + (named.empty() ? "-" : named) + " " +
           (events.empty() ? "-" : events);
}

bool parse_number(std::string_view& s, uint64_t* out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (ec != std::errc() || end == s.data()) return false;
    s.remove_prefix(size_t(end - s.data()));
    return true;
}

bool decode_losses(std::string_view s, LossLog* log) {
    *log = LossLog{};
    if (!parse_number(s, &log->streams) || !s.starts_with(' ')) return false;
    s.remove_prefix(1);
    size_t space = s.find(' ');
    if (space == std::string_view::npos) return false;
    std::string_view named = s.substr(0, space), events = s.substr(space + 1);
    if (named != "-") {
        for (;;) {
            uint64_t i;
            if (!parse_number(named, &i)) return false;
            log->named.push_back(i);
            if (named.empty()) break;
            if (!named.starts_with(',')) return false;
            named.remove_prefix(1);
        }
    }
    if (events == "-") return true;
    for (;;) {
        uint64_t n, c;
        if (!parse_number(events, &n) || !events.starts_with(':')) return false;
        events.remove_prefix(1);
        if (!parse_number(events, &c)) return false;
        log->events[n] += c;
        if (events.empty()) return true;
        if (!events.starts_with(',')) return false;
        events.remove_prefix(1);
    }
}

}  // namespace

std::vector<std::string> WorkerResult::encode() const {
    std::string line = "result";
    for_each_counter(*this, [&](const char* name, const uint64_t& v) {
        line += ' ';
        line += name;
        line += '=';
        line += std::to_string(v);
    });
    return {line,
            "hist " + latency_us.serialize(),
            "arrival " + arrival_us.serialize(),
            "replay " + replay_us.serialize(),
            "pause " + pause_us.serialize(),
            "delay " + delay_us.serialize(),
            "warmdelay " + warm_delay_us.serialize(),
            encode_losses(losses)};
}

bool WorkerResult::decode_line(const std::string& line) {
    if (line.starts_with("hist ")) return latency_us.parse(std::string_view(line).substr(5));
    if (line.starts_with("arrival ")) return arrival_us.parse(std::string_view(line).substr(8));
    if (line.starts_with("replay ")) return replay_us.parse(std::string_view(line).substr(7));
    if (line.starts_with("pause ")) return pause_us.parse(std::string_view(line).substr(6));
    if (line.starts_with("delay ")) return delay_us.parse(std::string_view(line).substr(6));
    if (line.starts_with("warmdelay "))
        return warm_delay_us.parse(std::string_view(line).substr(10));
    if (line.starts_with("losses "))
        return decode_losses(std::string_view(line).substr(7), &losses);
    if (!line.starts_with("result ")) return false;
    bool ok = true;
    for_each_field(line.substr(7), [&](std::string_view key, std::string_view value) {
        bool known = false;
        for_each_counter(*this, [&](const char* name, uint64_t& v) {
            if (key != name) return;
            known = true;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
            if (ec != std::errc() || end != value.data() + value.size()) ok = false;
        });
        if (!known) ok = false;
    });
    return ok;
}

void WorkerResult::merge(const WorkerResult& o) {
    auto add_min = [](uint64_t& a, uint64_t b) {
        if (b && (!a || b < a)) a = b;
    };
    add_min(first_attempt_ns, o.first_attempt_ns);
    last_connected_ns = std::max(last_connected_ns, o.last_connected_ns);
    last_rx_ns = std::max(last_rx_ns, o.last_rx_ns);
    last_replayed_ns = std::max(last_replayed_ns, o.last_replayed_ns);
    refreshes += o.refreshes;
    tls_handshakes += o.tls_handshakes;
    tls_resumed += o.tls_resumed;
    before_connected += o.before_connected;
    earlier_runs += o.earlier_runs;
    connections += o.connections;
    connected += o.connected;
    retries += o.retries;
    disconnects += o.disconnects;
    heartbeats += o.heartbeats;
    other_events += o.other_events;
    malformed += o.malformed;
    cpu_us += o.cpu_us;
    delivery.received += o.delivery.received;
    delivery.received_warmup += o.delivery.received_warmup;
    delivery.lost += o.delivery.lost;
    delivery.lost_warmup += o.delivery.lost_warmup;
    delivery.duplicates += o.delivery.duplicates;
    delivery.out_of_order += o.delivery.out_of_order;
    delivery.too_late += o.delivery.too_late;
    delivery.unexpected += o.delivery.unexpected;
    latency_us.merge(o.latency_us);
    arrival_us.merge(o.arrival_us);
    replay_us.merge(o.replay_us);
    pause_us.merge(o.pause_us);
    delay_us.merge(o.delay_us);
    warm_delay_us.merge(o.warm_delay_us);
    losses.merge(o.losses);
}

}  // namespace ringcast::load

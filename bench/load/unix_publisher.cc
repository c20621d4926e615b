#include "unix_publisher.h"

#include <ringcast/client.h>
#include <time.h>

#include <algorithm>
#include <deque>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "clock.h"
#include "payload.h"

namespace ringcast::load {

namespace {

struct InFlight {
    uint64_t index;
    uint64_t written_ns;
};

void sleep_until(uint64_t mono_ns) {
    timespec ts{time_t(mono_ns / kNsPerSec), long(mono_ns % kNsPerSec)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

// One connection: events k, k+K, k+2K... in order, up to `pipeline` in flight.
// The client is blocking; waits are bounded by the next due time, so replies
// are taken as they come without delaying the schedule.
PublishResult run_connection(const PublisherConfig& cfg, const std::string& path, unsigned k) {
    PublishResult r;
    client::Client c(
        client::ClientOptions{std::chrono::milliseconds(cfg.ack_timeout_ns / kNsPerMs + 1)});
    if (!c.connect(path)) {
        r.error = fmt::format("publisher connection {}: {}", k, c.error());
        return r;
    }
    const uint64_t step = cfg.connections;
    uint64_t next = k;
    std::deque<InFlight> inflight;
    client::Message m;
    m.channel = cfg.channel;
    m.event = cfg.event;
    m.persistent = cfg.persistent;
    client::Result reply;
    uint64_t ack_deadline = 0;
    auto take_reply = [&](uint64_t now) {
        c.receive(reply);
        InFlight f = inflight.front();
        inflight.pop_front();
        r.ack_us.record(now > f.written_ns ? (now - f.written_ns) / 1000 : 0);
        if (reply.ok) {
            ++r.acked;
            if (f.index == 0) r.first_id = reply.id;
            if (f.index >= cfg.warmup_events) {
                ++r.acked_measured;
                r.daemon_sent += reply.sent;
                r.daemon_failed += reply.failed;
            }
        } else {
            ++r.ack_failures;
            if (r.error.empty())
                r.error = fmt::format("publish of event {} over {} failed: {} {}", f.index, path,
                                      reply.code, reply.message);
        }
    };
    for (;;) {
        uint64_t now = now_ns();
        // Everything due, in one flush; the timestamp is taken right before it.
        uint64_t stamp = now;
        bool wrote = false;
        while (next < cfg.total_events && inflight.size() < cfg.pipeline) {
            uint64_t due = scheduled_ns(cfg.start_ns, cfg.rate, next);
            if (due > now) break;
            m.data.clear();
            append_payload(m.data, cfg.first_seq + next, stamp, cfg.payload);
            c.send_publish(m);
            inflight.push_back({next, stamp});
            r.lag_us.record(stamp > due ? (stamp - due) / 1000 : 0);
            r.written = std::max(r.written, next + 1);
            r.last_write_ns = stamp;
            next += step;
            wrote = true;
        }
        if (wrote && !c.flush()) {
            r.error = fmt::format("publisher connection {}: {}", k, c.error());
            r.ack_failures += inflight.size();
            return r;
        }
        if (next >= cfg.total_events) {
            if (inflight.empty()) return r;
            if (!ack_deadline) ack_deadline = now + cfg.ack_timeout_ns;
        } else if (now >= cfg.send_deadline_ns) {
            r.error = fmt::format(
                "the publisher fell behind: event {} of {} was still unsent at the "
                "deadline (rate too high for --pipeline/--publishers)",
                next, cfg.total_events);
            r.ack_failures += inflight.size();
            return r;
        }
        if (ack_deadline && now >= ack_deadline) {
            r.ack_failures += inflight.size();
            if (r.error.empty())
                r.error = fmt::format("{} publish replies missing {:.1f} s after the last event",
                                      inflight.size(), double(cfg.ack_timeout_ns) / 1e9);
            return r;
        }
        // Wait for a reply, or until the next event is due (whichever is first).
        uint64_t wake = ack_deadline ? ack_deadline : now + 100 * kNsPerMs;
        if (next < cfg.total_events && inflight.size() < cfg.pipeline)
            wake = std::min(wake, scheduled_ns(cfg.start_ns, cfg.rate, next));
        if (inflight.empty()) {
            if (wake > now) sleep_until(wake);
            continue;
        }
        auto wait =
            std::chrono::milliseconds(wake > now ? (wake - now + kNsPerMs - 1) / kNsPerMs : 0);
        if (c.wait_readable(wait)) {
            uint64_t t = now_ns();
            do {
                take_reply(t);
            } while (!inflight.empty() && c.wait_readable(std::chrono::milliseconds(0)));
        }
    }
}

}  // namespace

PublishResult run_unix_publisher(const PublisherConfig& cfg, const std::string& socket_path) {
    std::vector<PublishResult> parts(cfg.connections);
    std::vector<std::thread> threads;
    for (unsigned k = 0; k < cfg.connections; ++k)
        threads.emplace_back([&, k] { parts[k] = run_connection(cfg, socket_path, k); });
    for (auto& t : threads)
        t.join();
    PublishResult r;
    for (const PublishResult& p : parts) {
        r.written = std::max(r.written, p.written);
        r.acked += p.acked;
        r.ack_failures += p.ack_failures;
        r.acked_measured += p.acked_measured;
        r.daemon_sent += p.daemon_sent;
        r.daemon_failed += p.daemon_failed;
        r.last_write_ns = std::max(r.last_write_ns, p.last_write_ns);
        if (r.first_id.empty()) r.first_id = p.first_id;
        r.lag_us.merge(p.lag_us);
        r.ack_us.merge(p.ack_us);
        if (r.error.empty()) r.error = p.error;
    }
    return r;
}

}  // namespace ringcast::load

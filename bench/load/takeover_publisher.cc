#include "takeover_publisher.h"

#include <ringcast/client.h>
#include <time.h>

#include <algorithm>

#include <fmt/format.h>

#include "clock.h"
#include "payload.h"
#include "publisher.h"

namespace ringcast::load {

namespace {

// Between two failed attempts: long enough not to spin on a socket nobody
// answers, short against the handover's own time.
constexpr uint64_t kRetryPauseNs = kNsPerMs;
// The longest sleep before the stop flag is looked at again.
constexpr uint64_t kStopCheckNs = 50 * kNsPerMs;

void sleep_until(uint64_t mono_ns) {
    timespec ts{time_t(mono_ns / kNsPerSec), long(mono_ns % kNsPerSec)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

}  // namespace

void TakeoverPublisher::start() {
    _thread = std::thread([this] { run(); });
}

void TakeoverPublisher::stop() {
    _stop.store(true, std::memory_order_release);
    if (_thread.joinable()) _thread.join();
}

void TakeoverPublisher::run() {
    client::Client c(
        client::ClientOptions{std::chrono::milliseconds(_cfg.ack_timeout_ns / kNsPerMs + 1)});
    client::Message m;
    m.channel = _cfg.channel;
    m.event = _cfg.event;
    m.persistent = _cfg.persistent;
    client::Result reply;
    uint64_t n = 0;
    uint64_t first_attempt_ns = 0;  // of event n: its timestamp, also when sent again
    auto fail = [&](std::string why) {
        _error = std::move(why);
        _failed.store(true, std::memory_order_release);
    };
    while (!_stop.load(std::memory_order_acquire)) {
        uint64_t now = now_ns();
        if (!first_attempt_ns) {
            uint64_t due = scheduled_ns(_cfg.start_ns, _cfg.rate, n);
            if (due > now) {
                sleep_until(std::min(due, now + kStopCheckNs));
                continue;
            }
            first_attempt_ns = now;
        } else if (now - first_attempt_ns > _cfg.give_up_ns) {
            fail(
                fmt::format("event {} was not acknowledged within {:.1f} s of its first publish "
                            "(last: {})",
                            n, double(_cfg.give_up_ns) / 1e9,
                            reply.message.empty() ? c.error() : reply.message));
            return;
        }
        if (!c.connected() && !c.connect(_cfg.socket_path)) {
            reply.message = c.error();
            _resent.fetch_add(1, std::memory_order_relaxed);
            sleep_until(now_ns() + kRetryPauseNs);
            continue;
        }
        m.data.clear();
        append_payload(m.data, n, first_attempt_ns, _cfg.payload);
        reply = c.publish(m);
        if (reply.ok) {
            ++n;
            first_attempt_ns = 0;
            _acked.store(n, std::memory_order_release);
            continue;
        }
        if (reply.answered && reply.code != "unavailable") {
            fail(fmt::format("publish of event {} refused: {} {}", n, reply.code, reply.message));
            return;
        }
        // Not accepted: the same event again, on a new connection.
        c.close();
        _resent.fetch_add(1, std::memory_order_relaxed);
        sleep_until(now_ns() + kRetryPauseNs);
    }
}

}  // namespace ringcast::load

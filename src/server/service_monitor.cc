#include "server/service_monitor.h"

#include <errno.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"

namespace ringcast {

namespace {

// 41, 5.1k, 2.3M: short enough for `systemctl status`.
std::string rate(double per_s) {
    if (per_s >= 1e6) return fmt::format("{:.1f}M", per_s / 1e6);
    if (per_s >= 1e3) return fmt::format("{:.1f}k", per_s / 1e3);
    if (per_s > 0 && per_s < 10 && per_s != std::floor(per_s)) return fmt::format("{:.1f}", per_s);
    return fmt::format("{:.0f}", per_s);
}

}  // namespace

ServiceMonitor::ServiceMonitor(const PulseBoard& pulses, const SystemdNotifier& notifier,
                               uint64_t status_interval_ms)
    : _pulses(pulses)
    , _notifier(notifier)
    , _status_interval_ms(std::max<uint64_t>(status_interval_ms, 1000))
    , _ping_interval_ms(notifier.watchdog_usec() / 2000)
    , _watch(pulses.shards()) {}

uint64_t ServiceMonitor::pulse_interval_ms(uint64_t watchdog_usec) {
    if (watchdog_usec == 0) return 1000;
    return std::clamp<uint64_t>(watchdog_usec / 8000, 50, 1000);
}

void ServiceMonitor::start(uint64_t now_ms) {
    _next_status = now_ms + _status_interval_ms;
    _last_status = total();
    _last_status_at = now_ms;
    for (unsigned i = 0; i < _watch.size(); ++i) {
        uint64_t beats = _pulses.read(i).beats;
        _watch[i] = Watch{beats, beats, now_ms, false};
    }
    if (_ping_interval_ms) {
        // Every shard is up: the first ping now, as READY=1 was.
        _notifier.watchdog();
        _next_ping = now_ms + _ping_interval_ms;
        spdlog::info(
            "systemd watchdog: {} ms; pinged every {} ms while every shard's loop turns "
            "(each beats every {} ms)",
            _ping_interval_ms * 2, _ping_interval_ms, _pulses.interval_ms());
    }
}

int ServiceMonitor::wait_signal(const sigset_t& sigs, uint64_t until_ms) {
    for (;;) {
        uint64_t now = mono_ms();
        if (until_ms && now >= until_ms) return 0;
        uint64_t next = tick(now);
        if (until_ms) next = std::min(next, until_ms);
        uint64_t wait = next > now ? next - now : 0;
        timespec ts{time_t(wait / 1000), long(wait % 1000) * 1'000'000};
        int sig = sigtimedwait(&sigs, nullptr, &ts);
        if (sig > 0) return sig;
        // EAGAIN: the timeout; EINTR: go round.
    }
}

int ServiceMonitor::wait_signal(const sigset_t& sigs, int fd) {
    if (fd < 0) return wait_signal(sigs);
    // The signals are blocked in every thread: a signalfd makes them pollable
    // beside the socket.
    const int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) return wait_signal(sigs);
    for (;;) {
        const uint64_t now = mono_ms();
        const uint64_t next = tick(now);
        pollfd fds[2] = {{sfd, POLLIN, 0}, {fd, POLLIN, 0}};
        int r = poll(fds, 2, int(std::min<uint64_t>(next > now ? next - now : 0, 60'000)));
        if (r <= 0) continue;  // the timeout (a duty is due), or EINTR
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo info;
            if (read(sfd, &info, sizeof info) == ssize_t(sizeof info)) {
                close(sfd);
                return int(info.ssi_signo);
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            close(sfd);
            return kFdReady;
        }
    }
}

void ServiceMonitor::draining(uint64_t timeout_ms) {
    _draining = true;
    _notifier.stopping(
        fmt::format("draining: {} streams (up to {} ms)", total().streams, timeout_ms));
    _next_status = mono_ms() + 1000;  // the count going down, every second
}

PulseFigures ServiceMonitor::total() const {
    PulseFigures sum;
    for (unsigned i = 0; i < _pulses.shards(); ++i) {
        PulseFigures f = _pulses.read(i);
        sum.streams += f.streams;
        sum.published += f.published;
        sum.deliveries += f.deliveries;
    }
    return sum;
}

uint64_t ServiceMonitor::tick(uint64_t now) {
    if (now >= _next_status) send_status(now);
    if (_ping_interval_ms && now >= _next_ping) check_watchdog(now);
    uint64_t next = _next_status;
    if (_ping_interval_ms) next = std::min(next, _next_ping);
    return next;
}

std::string ServiceMonitor::status_text(const PulseFigures& now, const PulseFigures& before,
                                        uint64_t elapsed_ms) {
    double s = double(std::max<uint64_t>(elapsed_ms, 1)) / 1000.0;
    return fmt::format("{} streams, {} events/s, {} deliveries/s", now.streams,
                       rate(double(now.published - before.published) / s),
                       rate(double(now.deliveries - before.deliveries) / s));
}

void ServiceMonitor::send_status(uint64_t now) {
    PulseFigures sum = total();
    if (_draining) {
        _notifier.status(fmt::format("draining: {} streams left", sum.streams));
        _next_status = now + 1000;
        return;
    }
    _notifier.status(status_text(sum, _last_status, now - _last_status_at));
    _last_status = sum;
    _last_status_at = now;
    _next_status = now + _status_interval_ms;
}

void ServiceMonitor::check_watchdog(uint64_t now) {
    bool all = true;
    for (unsigned i = 0; i < _watch.size(); ++i) {
        Watch& w = _watch[i];
        uint64_t beats = _pulses.read(i).beats;
        if (beats != w.beats_seen) {
            if (w.reported)
                spdlog::warn("shard {}: its loop turns again, after {} ms stalled", i,
                             now - w.changed_at);
            w.beats_seen = beats;
            w.changed_at = now;
            w.reported = false;
        }
        if (beats != w.beats_at_ping) continue;
        all = false;
        if (!w.reported && now - w.changed_at > 2 * _pulses.interval_ms()) {
            w.reported = true;
            spdlog::error(
                "shard {}: its loop has not turned for {} ms: systemd's watchdog is not pinged, "
                "so the service is restarted after {} ms unless the shard turns again",
                i, now - w.changed_at, _ping_interval_ms * 2);
        }
    }
    if (all) {
        _notifier.watchdog();
        for (Watch& w : _watch)
            w.beats_at_ping = w.beats_seen;
        _next_ping = now + _ping_interval_ms;
    } else {
        // Look again soon: a shard that turns late still saves the service.
        _next_ping = now + _pulses.interval_ms();
    }
}

}  // namespace ringcast

#pragma once
// The main thread's duties towards systemd while the daemon runs, done between
// signals: the STATUS= line every server.status_interval ("12034 streams,
// 41 events/s, 5.1k deliveries/s", then "draining: ..." on the way out), and
// the watchdog ping (WatchdogSec=) every half interval, sent only when every
// shard has beaten since the last one (server/shard_pulse.h). A shard that
// stopped beating is named in the log once, and systemd, without its ping,
// restarts the service. All figures come from the pulse board: the main thread
// never waits on a shard.
#include <signal.h>

#include <cstdint>
#include <string>
#include <vector>

#include "server/shard_pulse.h"
#include "server/systemd_notify.h"

namespace ringcast {

class ServiceMonitor {
public:
    ServiceMonitor(const PulseBoard& pulses, const SystemdNotifier& notifier,
                   uint64_t status_interval_ms);

    // How often the shards should beat (PulseBoard::set_interval_ms) so that
    // each beats several times between two watchdog pings: an eighth of
    // WatchdogSec, between 50 ms and 1 s. 1 s without a watchdog.
    static uint64_t pulse_interval_ms(uint64_t watchdog_usec);

    // Once every shard is up (after READY=1): the intervals start now.
    void start(uint64_t now_ms);
    // Waits for one of `sigs` and returns it, doing what falls due meanwhile;
    // 0 once `until_ms` (mono_ms) has passed, if it is not 0.
    int wait_signal(const sigset_t& sigs, uint64_t until_ms = 0);
    // The same, also watching `fd` (the handover socket; -1: none): kFdReady
    // when it is readable.
    static constexpr int kFdReady = -1;
    int wait_signal(const sigset_t& sigs, int fd);
    // STOPPING=1 with "draining: N streams", and the STATUS lines that follow say
    // how many are left.
    void draining(uint64_t timeout_ms);

    // "12034 streams, 41 events/s, 5.1k deliveries/s": rates over the time
    // since the previous figures. Public for its test.
    static std::string status_text(const PulseFigures& now, const PulseFigures& before,
                                   uint64_t elapsed_ms);

private:
    PulseFigures total() const;
    // Does what is due at `now`; returns the time of the next duty.
    uint64_t tick(uint64_t now);
    void send_status(uint64_t now);
    void check_watchdog(uint64_t now);

    const PulseBoard& _pulses;
    const SystemdNotifier& _notifier;
    const uint64_t _status_interval_ms;
    const uint64_t _ping_interval_ms;  // 0: no watchdog
    bool _draining = false;
    uint64_t _next_status = 0;
    uint64_t _next_ping = 0;
    PulseFigures _last_status;  // summed figures at the previous STATUS line
    uint64_t _last_status_at = 0;
    // Per shard: its beats at the last ping, when its beats last changed, and
    // whether its stall was logged.
    struct Watch {
        uint64_t beats_at_ping = 0;
        uint64_t beats_seen = 0;
        uint64_t changed_at = 0;
        bool reported = false;
    };
    std::vector<Watch> _watch;
};

}  // namespace ringcast

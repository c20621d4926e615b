#pragma once
// What ringcastd tells systemd (sd_notify(3)): READY=1 with MAINPID once every
// listener and shard is up, STATUS= lines while it runs, STOPPING=1 when it
// drains, and WATCHDOG=1 when the service monitor (server/service_monitor.h)
// has seen every shard turn. Outside systemd (no NOTIFY_SOCKET) every call is a
// no-op. Main thread only.
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace ringcast {

class SystemdNotifier {
public:
    // Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID (sd_watchdog_enabled).
    SystemdNotifier();

    // WatchdogSec= of the unit, in microseconds; 0: no watchdog for us.
    uint64_t watchdog_usec() const { return _watchdog_usec; }

    void ready(const std::string& status) const;
    void status(const std::string& status) const;
    void stopping(const std::string& status) const;
    // A reload (server/reload.h) begins; ready() again when it is over, applied
    // or refused.
    void reloading(const std::string& status) const;
    void watchdog() const;
    // An upgrade: `pid` (the new daemon) is the service's main process now.
    void main_pid(pid_t pid) const;

private:
    uint64_t _watchdog_usec = 0;
};

}  // namespace ringcast

#include "server/systemd_notify.h"

#include <unistd.h>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace ringcast {

SystemdNotifier::SystemdNotifier() {
    uint64_t usec = 0;
    // > 0: enabled for this process (WATCHDOG_PID, when set, names us).
    int r = sd_watchdog_enabled(0, &usec);
    if (r > 0) _watchdog_usec = usec;
    if (r < 0) spdlog::warn("WATCHDOG_USEC is set but unusable: watchdog off");
}

void SystemdNotifier::ready(const std::string& status) const {
    // MAINPID: systemd then knows the daemon even when a wrapper started it.
    sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", status.c_str(), (unsigned long)getpid());
}

void SystemdNotifier::status(const std::string& status) const {
    sd_notifyf(0, "STATUS=%s", status.c_str());
}

void SystemdNotifier::stopping(const std::string& status) const {
    sd_notifyf(0, "STOPPING=1\nSTATUS=%s", status.c_str());
}

void SystemdNotifier::reloading(const std::string& status) const {
    sd_notifyf(0, "RELOADING=1\nSTATUS=%s", status.c_str());
}

void SystemdNotifier::main_pid(pid_t pid) const {
    sd_notifyf(0, "MAINPID=%lu", (unsigned long)pid);
}

void SystemdNotifier::watchdog() const {
    sd_notify(0, "WATCHDOG=1");
}

}  // namespace ringcast

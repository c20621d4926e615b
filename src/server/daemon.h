#pragma once
// The daemon process: checks the machine, opens listeners, starts one pinned
// shard thread per CPU, tells systemd it is ready, and shuts down in two phases
// on SIGTERM/SIGINT (drain every shard, then stop them all).
#include <span>
#include <string>

#include "config/config.h"
#include "server/config_source.h"
#include "server/successor.h"
#include "web/embedded_files.h"

namespace ringcast {

enum ExitCode : int {
    kExitOk = 0,
    kExitFailure = 1,      // a runtime failure after startup
    kExitUsage = 2,        // bad flags or configuration
    kExitEnvironment = 3,  // the machine cannot run us (io_uring, limits, ports)
};

// `cfg` as loaded from `source` (which a reload reads again); `pages`: the
// pages built into the binary (web/embedded_files.h), served unless [web]
// says otherwise. With `takeover`, the listeners and streams come from the
// daemon running on the same configuration (server/handover_take.h) instead
// of being opened.
// `command` is how this process was started (SIGUSR2 starts it again to take
// over: server/successor.h).
int run_daemon(const ConfigSource& source, const Config& cfg, std::span<const EmbeddedFile> pages,
               const LaunchCommand& command, bool takeover = false);

}  // namespace ringcast

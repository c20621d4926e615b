#pragma once
// SIGUSR2: the daemon starts its own successor for an upgrade without a
// reconnect (docs/operations.md): the binary at the path it was started from
// (where a package upgrade has put the new one), with the same arguments and
// --takeover. Started as this process's child, the new daemon is inside the
// same systemd service (its cgroup, its NOTIFY_SOCKET), which a takeover run
// from a shell is not; the old daemon names it to systemd (MAINPID=) once it
// has taken over.
#include <sys/types.h>

#include <string>
#include <vector>

namespace ringcast {

struct LaunchCommand {
    std::string path;               // absolute; symlinks kept (a package may swap their target)
    std::vector<std::string> args;  // argv[1..], less any --takeover

    // How this process was started: argv[0] made absolute, or where
    // /proc/self/exe points when argv[0] is a bare name (found on PATH).
    static LaunchCommand from_argv(int argc, char** argv);
};

// Starts `cmd` with --takeover, with no signal blocked (this thread blocks the
// daemon's) and this process's environment. The child's pid, or -1 with *error.
pid_t start_successor(const LaunchCommand& cmd, std::string* error);

// Reaps successors that ended without taking over, logging how each ended.
void reap_successors();

}  // namespace ringcast

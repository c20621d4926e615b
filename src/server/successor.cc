#include "server/successor.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <climits>
#include <spdlog/spdlog.h>

extern char** environ;

namespace ringcast {

LaunchCommand LaunchCommand::from_argv(int argc, char** argv) {
    LaunchCommand cmd;
    const std::string first = argc > 0 ? argv[0] : "";
    if (first.find('/') != std::string::npos) {
        std::error_code ec;
        cmd.path = std::filesystem::absolute(first, ec).lexically_normal().string();
    } else {
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n > 0) cmd.path.assign(buf, size_t(n));
    }
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--takeover") != 0) cmd.args.emplace_back(argv[i]);
    return cmd;
}

pid_t start_successor(const LaunchCommand& cmd, std::string* error) {
    if (cmd.path.empty()) {
        *error = "the path this daemon was started from is unknown";
        return -1;
    }
    std::vector<std::string> args;
    args.push_back(cmd.path);
    args.insert(args.end(), cmd.args.begin(), cmd.args.end());
    args.emplace_back("--takeover");
    std::vector<char*> argv;
    for (std::string& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    int r = posix_spawn(&pid, cmd.path.c_str(), nullptr, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    if (r != 0) {
        *error = cmd.path + ": " + std::strerror(r);
        return -1;
    }
    return pid;
}

void reap_successors() {
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return;
        if (WIFEXITED(status))
            spdlog::warn(
                "upgrade: the new daemon (pid {}) exited with code {} before taking over (its "
                "lines above say why); this daemon goes on serving",
                pid, WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            spdlog::warn(
                "upgrade: the new daemon (pid {}) was killed by signal {} before taking over; "
                "this daemon goes on serving",
                pid, WTERMSIG(status));
    }
}

}  // namespace ringcast

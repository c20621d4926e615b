#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace ringcast::itest {

Child spawn_child(const std::string& bin, const std::vector<std::string>& args,
                  const SpawnOptions& o, std::string* error) {
    std::vector<std::string> argv_s = {bin};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) {
        std::string_view kv(*e);
        bool drop = false;
        for (const std::string& p : o.drop_env)
            drop |= kv.starts_with(p);
        if (!drop) env_s.emplace_back(kv);
    }
    env_s.insert(env_s.end(), o.extra_env.begin(), o.extra_env.end());
    std::vector<char*> envp;
    for (auto& e : env_s)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, o.in_path.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, o.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&fa, 2, o.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, o.cwd.c_str());
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    Child c;
    int r = posix_spawn(&c.pid, bin.c_str(), &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (r != 0) {
        *error = "cannot run " + bin + ": " + std::strerror(r);
        c.pid = -1;
        return c;
    }
    c.pidfd = int(syscall(SYS_pidfd_open, c.pid, 0));
    if (c.pidfd < 0) *error = std::string("pidfd_open: ") + std::strerror(errno);
    return c;
}

std::optional<int> await_exit(pid_t pid, int pidfd, const Deadline& d) {
    pollfd p{pidfd, POLLIN, 0};
    int r;
    do {
        r = ::poll(&p, 1, d.poll_ms());
    } while (r < 0 && errno == EINTR);
    if (r <= 0) return std::nullopt;
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return std::nullopt;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return std::nullopt;
}

}  // namespace ringcast::itest

#include "io_uring_filter.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>

#include "daemon_process.h"
#include "deadline.h"

namespace ringcast::itest {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "add this architecture's AUDIT_ARCH value"
#endif

// The low 32 bits of the first argument (both architectures are little-endian).
constexpr uint32_t kFirstArgLow = offsetof(seccomp_data, args);

// In the child: installs the filter and execs the daemon; never returns.
[[noreturn]] void exec_filtered(int err, const std::vector<std::string>& args, RingSizes sizes) {
    const uint32_t fail = SECCOMP_RET_ERRNO | (uint32_t(err) & SECCOMP_RET_DATA);
    sock_filter filter[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 0, 6),  // else allow
        /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 4),  // else allow
        /* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kFirstArgLow),
        /* 5 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, sizes.min, 0, 2),  // below min: allow
        /* 6 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, sizes.max, 1, 0),  // above max: allow
        /* 7 */ BPF_STMT(BPF_RET | BPF_K, fail),
        /* 8 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{uint16_t(sizeof filter / sizeof filter[0]), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("seccomp");
        _exit(kNoSeccomp);
    }
    std::string bin = ringcastd_path();
    std::vector<char*> argv{bin.data()};
    for (const std::string& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    perror("exec");
    _exit(121);
}

}  // namespace

BlockedRun run_with_io_uring_setup_failing(int err, const std::vector<std::string>& args,
                                           RingSizes sizes) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return {};
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 1);
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        exec_filtered(err, args, sizes);
    }
    close(pipefd[1]);
    BlockedRun r;
    Deadline d(15s);
    char buf[4096];
    for (;;) {
        pollfd p{pipefd[0], POLLIN, 0};
        if (poll(&p, 1, d.poll_ms()) <= 0) break;  // timed out
        ssize_t n = read(pipefd[0], buf, sizeof buf);
        if (n <= 0) break;  // the daemon exited (EOF)
        r.output.append(buf, size_t(n));
    }
    close(pipefd[0]);
    int status = 0;
    if (d.expired()) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return r;  // no exit code: it did not stop by itself
    }
    waitpid(pid, &status, 0);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.exit_code = 128 + WTERMSIG(status);
    return r;
}

}  // namespace ringcast::itest

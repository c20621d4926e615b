// The startup probe: on a machine where io_uring is blocked, ringcastd must say
// what is wrong and how to fix it, and exit 3, instead of crashing. A container
// runtime's default seccomp profile is the common case; we build one: a filter
// that answers io_uring_setup with an error, installed in a child before it
// execs the daemon.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "daemon_process.h"

namespace ringcast::itest {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "add this architecture's AUDIT_ARCH value"
#endif

// The child's exit code when the kernel would not install the filter.
constexpr int kNoSeccomp = 120;
constexpr const char* kNoSeccompReason =
    "needs seccomp filters (prctl PR_SET_SECCOMP, CONFIG_SECCOMP_FILTER) to block "
    "io_uring_setup: ";

struct Result {
    std::optional<int> exit_code;
    std::string output;  // stdout and stderr
};

// Runs ringcastd with io_uring_setup(2) failing with `err`, everything else allowed.
Result run_with_io_uring_blocked(int err, const std::string& data_dir) {
    int pipefd[2];
    if (pipe(pipefd) != 0) return {};
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 1);
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (uint32_t(err) & SECCOMP_RET_DATA)),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        sock_fprog prog{uint16_t(sizeof filter / sizeof filter[0]), filter};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
            perror("seccomp");
            _exit(kNoSeccomp);
        }
        std::string bin = ringcastd_path();
        execl(bin.c_str(), bin.c_str(), "--http", "127.0.0.1:0", "--data-dir", data_dir.c_str(),
              static_cast<char*>(nullptr));
        perror("exec");
        _exit(121);
    }
    close(pipefd[1]);
    Result r;
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

TEST(Probe, IoUringBlockedBySeccompIsExplained) {
    TempDir dir;
    Result r = run_with_io_uring_blocked(EPERM, dir.path() + "/data");
    if (r.exit_code == kNoSeccomp) GTEST_SKIP() << kNoSeccompReason << r.output;
    ASSERT_TRUE(r.exit_code) << "ringcastd did not exit on its own:\n" << r.output;
    EXPECT_EQ(*r.exit_code, 3) << r.output;
    EXPECT_NE(r.output.find("io_uring is not usable"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("EPERM"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("seccomp"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("io_uring_setup"), std::string::npos) << r.output;
}

TEST(Probe, IoUringMissingFromTheKernelIsExplained) {
    TempDir dir;
    Result r = run_with_io_uring_blocked(ENOSYS, dir.path() + "/data");
    if (r.exit_code == kNoSeccomp) GTEST_SKIP() << kNoSeccompReason << r.output;
    ASSERT_TRUE(r.exit_code) << "ringcastd did not exit on its own:\n" << r.output;
    EXPECT_EQ(*r.exit_code, 3) << r.output;
    EXPECT_NE(r.output.find("ENOSYS"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("CONFIG_IO_URING"), std::string::npos) << r.output;
}

TEST(Probe, ProbeFlagReportsAUsableMachine) {
    CommandResult r = run_ringcastd({"--probe"});
    ASSERT_TRUE(r.exit_code);
    EXPECT_EQ(*r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find(": ok"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ringcast::itest

// The startup probe: on a machine where io_uring is blocked, ringcastd must say
// what is wrong and how to fix it, and exit 3, instead of crashing. A container
// runtime's default seccomp profile is the common case; we build one: a filter
// that answers io_uring_setup with an error, installed in a child before it
// execs the daemon.
#include <errno.h>

#include <string>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "io_uring_filter.h"

namespace ringcast::itest {
namespace {

// Runs ringcastd with io_uring_setup(2) failing with `err`, everything else allowed.
BlockedRun run_with_io_uring_blocked(int err, const std::string& data_dir) {
    return run_with_io_uring_setup_failing(err, {"--http", "127.0.0.1:0", "--data-dir", data_dir});
}

TEST(Probe, IoUringBlockedBySeccompIsExplained) {
    TempDir dir;
    BlockedRun r = run_with_io_uring_blocked(EPERM, dir.path() + "/data");
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
    BlockedRun r = run_with_io_uring_blocked(ENOSYS, dir.path() + "/data");
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

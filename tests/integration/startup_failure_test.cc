// A start that fails after the machine checks passed: a ring that cannot be
// made once the listeners, the store and (for a shard's ring) the shard threads
// exist. The daemon must say which step failed and what to change, exit 3
// (docs/operations.md#exit-codes), and undo what it had done: no crash while
// threads run, no socket file left behind, the store's lock released, so that
// the next start on the same data directory succeeds.
//
// io_uring_setup is made to fail with a seccomp filter that picks the ring by
// its size (io_uring_filter.h): the control ring asks for 8 entries, fewer than
// any shard's ring may have.
#include <errno.h>
#include <sys/stat.h>

#include <string>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "io_uring_filter.h"

namespace ringcast::itest {
namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0;
}

// The data directory is usable again: a daemon starts on it and stops.
void expect_data_dir_free(const std::string& data_dir) {
    DaemonProcess next;
    ASSERT_TRUE(next.start({.shards = 2, .data_dir = data_dir})) << next.error();
    EXPECT_EQ(next.stop(), 0);
}

TEST(StartupFailure, ControlRingThatCannotBeMadeEndsTheStartCleanly) {
    TempDir dir;
    const std::string data = dir.path() + "/data";
    BlockedRun r = run_with_io_uring_setup_failing(
        EMFILE, {"--http", "127.0.0.1:0", "--data-dir", data, "--shards", "2"}, {0, 15});
    if (r.exit_code == kNoSeccomp) GTEST_SKIP() << kNoSeccompReason << r.output;
    ASSERT_TRUE(r.exit_code) << "ringcastd did not exit on its own:\n" << r.output;
    EXPECT_EQ(*r.exit_code, 3) << r.output;  // not 134: std::terminate's abort
    EXPECT_NE(r.output.find("cannot create the control ring: Too many open files"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("raise LimitNOFILE"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find(" ready: "), std::string::npos) << r.output;
    EXPECT_FALSE(exists(data + "/ringcast.sock")) << "the failed start left its socket file";
    expect_data_dir_free(data);
}

TEST(StartupFailure, ShardRingThatCannotBeMadeNamesTheStepAndStopsTheOthers) {
    TempDir dir;
    const std::string data = dir.path() + "/data";
    const std::string config = dir.write("ringcastd.toml", "[engine]\nsq_entries = 512\n");
    BlockedRun r = run_with_io_uring_setup_failing(
        ENOMEM, {"--http", "127.0.0.1:0", "--data-dir", data, "--shards", "2", "--config", config},
        {512, 512});
    if (r.exit_code == kNoSeccomp) GTEST_SKIP() << kNoSeccompReason << r.output;
    ASSERT_TRUE(r.exit_code) << "ringcastd did not exit on its own:\n" << r.output;
    EXPECT_EQ(*r.exit_code, 3) << r.output;
    EXPECT_NE(r.output.find("shard 0: io_uring setup failed: Cannot allocate memory"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("hint: lower engine.connections_per_shard"), std::string::npos)
        << r.output;
    EXPECT_EQ(r.output.find(" ready: "), std::string::npos) << r.output;
    EXPECT_FALSE(exists(data + "/ringcast.sock")) << "the failed start left its socket file";
    expect_data_dir_free(data);
}

}  // namespace
}  // namespace ringcast::itest

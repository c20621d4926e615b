#pragma once
// Runs ringcastd with io_uring_setup(2) failing, the way a container runtime's
// default seccomp profile blocks io_uring: a filter installed in the child
// before it execs the daemon answers the call with an error and allows
// everything else. The filter can pick rings by the number of submission-queue
// entries they ask for (the call's first argument), which tells the daemon's
// rings apart: the startup probe's has 64, each shard's engine.sq_entries (at
// least 16), the main thread's control ring 8.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ringcast::itest {

// The child's exit code when the kernel would not install the filter: the
// tests that need it skip, naming the feature.
constexpr int kNoSeccomp = 120;
constexpr const char* kNoSeccompReason =
    "needs seccomp filters (prctl PR_SET_SECCOMP, CONFIG_SECCOMP_FILTER) to block "
    "io_uring_setup: ";

struct BlockedRun {
    std::optional<int> exit_code;  // nullopt: it did not exit within 15 s (then killed)
    std::string output;            // stdout and stderr
};

struct RingSizes {
    uint32_t min = 0;
    uint32_t max = UINT32_MAX;
};

// Runs ringcastd `args` with io_uring_setup failing with `err` for rings whose
// entries are within `sizes` (every ring by default).
BlockedRun run_with_io_uring_setup_failing(int err, const std::vector<std::string>& args,
                                           RingSizes sizes = {});

}  // namespace ringcast::itest

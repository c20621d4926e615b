#pragma once
// What this machine's kernel offers the daemon, as `ringcastd --probe` reports
// it (src/core/uring_probe.h), asked once per test binary. Tests that need a
// feature the machine lacks are skipped, saying which (meson reports SKIP):
//
//   if (!kernel_features().peer_credentials) GTEST_SKIP() <<
//   kernel_features().why_no_peer_credentials;
//
// Without a usable io_uring no test can run: main.cc exits 77 (the whole
// binary is SKIP) with the probe's explanation.
#include <string>

namespace ringcast::itest {

struct KernelFeatures {
    bool probed = false;    // ringcastd --probe ran and answered
    bool io_uring = false;  // the engine can run here
    // getsockopt(SO_PEERCRED) through io_uring (Linux 6.7+), which
    // publish.allow_uids / allow_gids need: the daemon refuses them without it.
    bool peer_credentials = false;
    std::string probe_output;  // what --probe printed
};

const KernelFeatures& kernel_features();

// Skips the current test when the kernel cannot tell who connects to the
// publishing socket (the daemon would refuse publish.allow_uids/allow_gids).
#define SKIP_WITHOUT_PEER_CREDENTIALS()                                                \
    do {                                                                               \
        if (!::ringcast::itest::kernel_features().peer_credentials)                    \
            GTEST_SKIP() << "needs io_uring getsockopt(SO_PEERCRED), Linux 6.7+, for " \
                            "publish.allow_uids/allow_gids; ringcastd --probe says:\n" \
                         << ::ringcast::itest::kernel_features().probe_output;         \
    } while (0)

}  // namespace ringcast::itest

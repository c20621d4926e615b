// The integration tests' main: GoogleTest's, after one question to the daemon
// under test. Where io_uring cannot run it (a container's seccomp profile, a
// kernel without it or too old), no test can, and the binary exits 77, which
// meson reports as SKIP, with the probe's explanation; tests that need a
// narrower feature skip themselves (kernel_features.h).
#include <cstdio>

#include <gtest/gtest.h>

#include "kernel_features.h"

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    const ringcast::itest::KernelFeatures& k = ringcast::itest::kernel_features();
    if (k.probed && !k.io_uring) {
        std::printf(
            "SKIP: io_uring is not usable on this machine, so ringcastd cannot run; "
            "`ringcastd --probe` says:\n%s",
            k.probe_output.c_str());
        return 77;
    }
    // A probe that did not answer (no binary, a crash) is left to the tests,
    // which fail saying why.
    return RUN_ALL_TESTS();
}

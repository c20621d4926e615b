#include "kernel_features.h"

#include "daemon_process.h"

namespace ringcast::itest {

const KernelFeatures& kernel_features() {
    static const KernelFeatures f = [] {
        KernelFeatures k;
        CommandResult r = run_ringcastd({"--probe"}, Deadline(60s));
        k.probe_output = r.out + r.err;
        k.probed = r.exit_code.has_value() && (*r.exit_code == 0 || *r.exit_code == 3);
        k.io_uring = k.probed && *r.exit_code == 0;
        // The probe notes the feature only when it is missing (uring_probe.cc).
        k.peer_credentials = k.io_uring && r.out.find("cannot read a socket's peer credentials") ==
                                               std::string::npos;
        return k;
    }();
    return f;
}

}  // namespace ringcast::itest

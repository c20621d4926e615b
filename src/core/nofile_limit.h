#pragma once
// The open-files limit (RLIMIT_NOFILE) of programs that hold many sockets:
// ringcastd, whose shards' direct-descriptor tables the kernel caps by it, and
// the load generator (bench/load), one socket per subscriber. Header-only, so
// that the load generator, which links nothing of the engine, shares it.
#include <sys/resource.h>

namespace ringcast {

// Raises the soft limit to the hard one and returns the soft limit in force
// afterwards (1024, the usual default, if it cannot be read). Raising the hard
// limit needs privileges; systemd's LimitNOFILE= sets both.
inline rlim_t raise_nofile_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

}  // namespace ringcast

#pragma once
// Startup check of everything the engine needs from io_uring, with a plain
// explanation and a fix for each thing that is missing. The daemon runs it before
// creating shards so that a locked-down machine gets a message, not a crash.
#include <string>
#include <vector>

namespace ringcast {

struct ProbeReport {
    bool ok = true;
    std::string kernel;                 // uname release
    std::string mode;                   // ring setup mode the kernel accepted
    std::vector<std::string> problems;  // each: what is wrong, then how to fix it
    std::vector<std::string> notes;     // non-fatal observations
    // getsockopt through the ring (Linux 6.7+): who is on the other end of an
    // accepted socket (SO_PEERCRED), which publish.allow_uids/allow_gids need.
    bool peer_credentials = false;
    // IORING_OP_FIXED_FD_INSTALL (Linux 6.8+): a direct descriptor given back as
    // a file descriptor, which an upgrade needs to hand its streams to the new
    // daemon (docs/operations.md, "Upgrade without a reconnect"). Without it an
    // upgrade drains the streams instead, with a randomised retry.
    bool fd_install = false;
};

// Functional probe: sets up a small ring with the same flags as a shard, checks
// the opcodes we use, registers a provided-buffer ring and direct descriptors,
// and runs one multishot receive over a socketpair and one accept (into an
// allocated direct descriptor, with the peer's address) over a Unix socket.
ProbeReport probe_io_uring();

std::string format_probe(const ProbeReport& r);

}  // namespace ringcast

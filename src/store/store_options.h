#pragma once
// How the event store is set up ([store] in the configuration; the daemon fills
// this from its Config in src/server/options.cc).
#include <cstdint>
#include <string>

namespace ringcast {

struct StoreOptions {
    // The SQLite file, as the daemon resolved it (relative paths against
    // server.data_dir). Empty: no store, nothing survives a restart.
    std::string path;
    // false: synchronous = NORMAL (a commit survives the daemon crashing; the last
    // commits may be lost if the machine loses power). true: FULL, an fsync per
    // commit.
    bool sync_full = false;
    // The writer thread commits this often.
    uint64_t flush_interval_ms = 10;
    // Records waiting for a commit, on either side of the ring; beyond it the
    // oldest are given up (logged, counted; only durability suffers).
    uint64_t max_pending = 1'000'000;
    // Records the log shard hands over between two writer turns without queuing on
    // its side: 16384 x 64 bytes = 1 MiB, 1.6 million records a second at 10 ms.
    uint32_t ring_capacity = 16384;
    // SQLite's max_page_count: the file cannot grow beyond it (commits then fail
    // as on a full disk). 0: no limit. Not a setting: the tests fill the "disk".
    uint64_t max_pages = 0;
};

}  // namespace ringcast

#pragma once
// What the store reports about itself, readable from any thread.
#include <atomic>
#include <cstdint>

#include "core/latency_histogram.h"
#include "core/spsc_ring.h"

namespace ringcast {

struct StoreStats {
    uint64_t records_written = 0;     // records committed
    uint64_t commits = 0;             // transactions committed
    uint64_t failed_commits = 0;      // transactions rolled back (disk full, I/O error)
    uint64_t given_up = 0;            // records dropped beyond max_pending, either side
    uint64_t pending = 0;             // records handed to the store and not committed yet
    uint64_t waiting = 0;             // of which on the log shard's side (the ring was full)
    int64_t last_commit_ms = 0;       // wall clock of the last commit; 0: none yet
    uint64_t last_commit_us = 0;      // how long it took (applying and committing)
    uint64_t busy_us = 0;             // the writer's time in transactions, ever (failed ones too)
    uint64_t database_bytes = 0;      // the file's pages (updated about once a second)
    int64_t failing_since_ms = 0;     // wall clock of the first failed commit in a row; 0: none
    LatencyHistogram commit_latency;  // every commit that succeeded: applying and committing
};

// The writer thread's half of StoreStats, written only by it.
struct alignas(cache_line) StoreCounters {
    std::atomic<uint64_t> written{0};
    std::atomic<uint64_t> commits{0};
    std::atomic<uint64_t> failed_commits{0};
    std::atomic<uint64_t> given_up{0};
    std::atomic<int64_t> last_commit_ms{0};
    std::atomic<uint64_t> last_commit_us{0};
    std::atomic<uint64_t> busy_us{0};
    std::atomic<uint64_t> database_bytes{0};
    std::atomic<int64_t> failing_since_ms{0};
    // LatencyHistogram's buckets, written by the writer alone (relaxed stores).
    std::atomic<uint64_t> commit_buckets[LatencyHistogram::kBuckets] = {};
    std::atomic<uint64_t> commit_sum_us{0};

    static void add(std::atomic<uint64_t>& c, uint64_t n,
                    std::memory_order order = std::memory_order_relaxed) {
        c.store(c.load(std::memory_order_relaxed) + n, order);
    }
};

}  // namespace ringcast

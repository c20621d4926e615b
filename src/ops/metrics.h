#pragma once
// GET /metrics: the shards' snapshots (ops/stats.h, SnapshotScope::metrics,
// each left by its shard on the board every [metrics] snapshot_interval:
// ops/metrics_board.h) summed and written in the Prometheus text format
// (ops/metrics_text.h), with each snapshot's age. Every metric,
// its labels and its meaning are listed in docs/operations.md ("Metrics and
// health"). Labels are bounded: shard numbers, endpoint paths from the
// configuration, fixed reasons, and only the channels [metrics] channels names.
#include <string>
#include <vector>

#include "ops/stats.h"

namespace ringcast {

struct MetricsContext {
    uint64_t now_ns = 0;  // the scrape (mono_ns): snapshots' ages are counted to it
    double uptime_s = 0;
    ProcessStats process;
    std::vector<std::string> endpoints;  // [[endpoint]] paths, in census order
};

// The allocator's own figures (mimalloc's committed bytes), when it is the
// process's allocator; false without it.
bool read_allocator_committed(uint64_t* bytes);

std::string render_metrics(const std::vector<ShardSnapshot>& shards, const MetricsContext& ctx);

}  // namespace ringcast

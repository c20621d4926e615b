#pragma once
// GET /metrics: the shards' snapshots (ops/stats.h, gathered with
// SnapshotScope::metrics by the same shard calls as GET /api/stats) summed and
// written in the Prometheus text format (ops/metrics_text.h). Every metric,
// its labels and its meaning are listed in docs/operations.md ("Metrics and
// health"). Labels are bounded: shard numbers, endpoint paths from the
// configuration, fixed reasons, and only the channels [metrics] channels names.
#include <string>
#include <vector>

#include "ops/stats.h"

namespace ringcast {

struct MetricsContext {
    double uptime_s = 0;
    ProcessStats process;
    std::vector<std::string> endpoints;  // [[endpoint]] paths, in census order
};

// The allocator's own figures (mimalloc's committed bytes), when it is the
// process's allocator; false without it.
bool read_allocator_committed(uint64_t* bytes);

std::string render_metrics(const std::vector<ShardSnapshot>& shards, const MetricsContext& ctx);

}  // namespace ringcast

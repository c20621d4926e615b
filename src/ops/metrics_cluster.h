#pragma once
// The cluster's part of GET /metrics ([cluster] redis; docs/operations.md,
// "A cluster"): this node's view of the cluster and each shard's Redis link.
// Prometheus scrapes every node; these say what one node sees.
#include <vector>

#include "ops/metrics_text.h"
#include "ops/stats.h"

namespace ringcast {

// Nothing without [cluster] redis.
void write_cluster(MetricsText& m, const std::vector<ShardSnapshot>& shards);

}  // namespace ringcast

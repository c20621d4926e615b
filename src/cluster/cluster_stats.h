#pragma once
// GET /api/stats?cluster=1 and the socket's {"op":"stats","cluster":true}
// (docs/protocol.md, "The cluster's statistics"): every live node's summary,
// as each wrote it beside its heartbeat (node_registry.h), and their totals.
#include <string>

#include "cluster/cluster_node.h"
#include "cluster/node_registry.h"

namespace ringcast {

// {"self", "prefix", "nodes": [{"node", "instance", "at", "uptimeMs",
// "shards", "streams", "published", "deliveries"}...] by name, "totals"}.
// A figure that is not a number (a node of another version, say) is passed
// on as a string and left out of the totals.
std::string render_cluster_stats(const NodeList& list, const ClusterNode& self);

}  // namespace ringcast

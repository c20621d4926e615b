#pragma once
// This node's identity in the cluster, shared by its shards (docs/scaling.md,
// "Who is in the cluster"). Made once by the daemon from [cluster] node,
// prefix and node_ttl; `registered` is written by the home shard's registry
// (node_registry.h) and read by every shard's user caps (user_caps.h).
//
// The Redis keys, all under the configured prefix P:
//   P:nodes                 a set of node names (pruned of dead ones when listed)
//   P:node:<name>           this run's instance id, PX node_ttl: the node is live
//                           while it exists and holds that id
//   P:stats:<name>          the node's summary (JSON), PX node_ttl
//   P:user:<user>           a hash, field "<name>#<instance>#<shard>": that
//                           shard's streams of the user
// Counts are keyed by the instance, not the name alone: a node killed and
// started again under its name does not inherit its dead run's counts.
#include <atomic>
#include <cstdint>
#include <string>

namespace ringcast {

struct ClusterNode {
    std::string name;      // [cluster] node (or its default)
    std::string prefix;    // [cluster] prefix
    std::string instance;  // random, new at every start
    uint64_t ttl_ms = 5000;
    // The home shard holds P:node:<name> with this instance (written there,
    // read by every shard).
    std::atomic<bool> registered{false};

    std::string key(std::string_view kind, std::string_view rest) const {
        std::string k;
        k.reserve(prefix.size() + kind.size() + rest.size() + 2);
        k.append(prefix).append(":").append(kind);
        if (!rest.empty()) k.append(":").append(rest);
        return k;
    }
    // The heartbeat's period: five per TTL, so four may be lost before the
    // node drops out.
    uint64_t heartbeat_ms() const { return ttl_ms / 5 ? ttl_ms / 5 : 1; }
};

}  // namespace ringcast

#pragma once
// The readiness verdict of GET /healthz/ready, from what the asking shard
// learned (http/api_health.cc gathers it): pure, so every failure is unit-tested.
//
// Checks, each {"ok": bool, "reason": "..." when not ok, and its figures}:
//   shards    every shard answered a probe (a shard call, through the same mesh
//             rings events travel) within [metrics] ready_timeout: its loop turns
//             and reads its messages. A silent shard is named, with how long ago
//             its loop last began a turn.
//   store     with [store] on, the last commit succeeded (none has failed since
//             the last that succeeded): what is published now reaches the disk.
//   redis     with [cluster] redis set, every shard's link to Redis is up
//             (src/cluster): a node cut off from Redis would miss what other
//             nodes publish. Each shard down is named, with for how long and why.
//   draining  the daemon is not shutting down.
// Ready only when all pass: {"status": "ready", "checks": {...}} with 200,
// otherwise {"status": "unready", ...} with 503.
#include <cstdint>
#include <string>
#include <vector>

namespace ringcast {

struct ReadinessFacts {
    bool draining = false;
    uint64_t timeout_ms = 0;
    // Per shard: the probe's round trip in µs, or -1 if it has not answered.
    std::vector<int64_t> answered_us;
    // Per shard: ms since its loop last began a turn (core/mesh.h).
    std::vector<uint64_t> since_turn_ms;
    bool store_enabled = false;
    int64_t store_failing_since_ms = 0;  // wall clock; 0: the last commit succeeded
    uint64_t store_pending = 0;
    // [cluster] redis: each shard's link as its probe found it (shards that
    // did not answer are judged by the shards check alone).
    bool redis_enabled = false;
    struct RedisLinkFact {
        bool answered = false;
        bool up = false;
        uint64_t down_for_ms = 0;
        std::string last_error;
    };
    std::vector<RedisLinkFact> redis;
    // Why this node is not registered in the cluster ("": it is, or no
    // cluster): cluster/node_registry.h.
    std::string cluster_problem;
    int64_t now_wall_ms = 0;
};

struct Readiness {
    bool ready = false;
    std::string json;  // the answer's body
};

Readiness assess_readiness(const ReadinessFacts& f);

// The body of /healthz/live.
inline constexpr const char* kLiveBody = "{\"status\":\"ok\"}";

}  // namespace ringcast

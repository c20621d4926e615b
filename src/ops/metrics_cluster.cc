#include "ops/metrics_cluster.h"

#include <string>

namespace ringcast {

void write_cluster(MetricsText& m, const std::vector<ShardSnapshot>& shards) {
    const ShardSnapshot* home = nullptr;  // shard 0 keeps the heartbeat
    for (const ShardSnapshot& s : shards)
        if (s.redis.enabled && (!home || s.shard < home->shard)) home = &s;
    if (!home) return;
    m.family("ringcast_cluster_nodes", "gauge",
             "Live nodes of the cluster at this node's last heartbeat ([cluster] node_ttl).");
    m.sample("ringcast_cluster_nodes", {}, home->redis.cluster_nodes);
    m.family("ringcast_cluster_registered", "gauge",
             "1 if this node holds its name in the cluster ([cluster] node); 0 while it is cut "
             "off from Redis or the name is held by another live node.");
    m.sample("ringcast_cluster_registered", {}, uint64_t(home->redis.node_problem.empty()));

    struct PerLink {
        const char* name;
        const char* type;
        const char* help;
        uint64_t (*get)(const RedisFigures&);
    };
    static constexpr PerLink kPerLink[] = {
        {"ringcast_redis_link_up", "gauge", "1 if the shard's link to Redis is up, by shard.",
         [](const RedisFigures& r) { return uint64_t(r.up); }},
        {"ringcast_redis_link_connects_total", "counter",
         "Connections to Redis that came up, by shard.",
         [](const RedisFigures& r) { return r.link.connects; }},
        {"ringcast_redis_link_failures_total", "counter",
         "Connection attempts to Redis that failed and connections lost, by shard.",
         [](const RedisFigures& r) { return r.link.failures; }},
        {"ringcast_redis_link_commands_total", "counter",
         "Commands sent to Redis (the link's own PINGs and handshakes not counted), by shard.",
         [](const RedisFigures& r) { return r.link.commands; }},
        {"ringcast_redis_link_no_replies_total", "counter",
         "Commands that got no answer (the link was down, or went down or timed out with them "
         "in flight), by shard.",
         [](const RedisFigures& r) { return r.link.no_replies; }},
    };
    for (const PerLink& f : kPerLink) {
        m.family(f.name, f.type, f.help);
        for (const ShardSnapshot& s : shards)
            if (s.redis.enabled)
                m.sample(f.name, {{"shard", std::to_string(s.shard)}}, f.get(s.redis));
    }
}

}  // namespace ringcast

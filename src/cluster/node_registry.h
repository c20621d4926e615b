#pragma once
// Who is in the cluster (docs/scaling.md, "Who is in the cluster"). The home
// shard's registry keeps this node's heartbeat in Redis: every
// ClusterNode::heartbeat_ms (node_ttl / 5) one Lua script claims or refreshes
// P:node:<name> with this run's instance id and writes the node's summary
// beside it, both with the TTL, so a node killed without a word drops out
// within node_ttl. The same beat lists the live nodes (and prunes dead names),
// so that every node knows how many there are (the ringcast_cluster_nodes
// gauge) without asking.
//
// A name held by another live instance is not taken: the node stays
// unregistered (per-user caps fall back to its own count, /healthz/ready
// fails with the reason) and takes the name when it frees. Held for longer
// than node_ttl (a previous run that was killed, or that is handing over in
// an upgrade, frees it sooner) it is another live node: an error in the log.
//
// list_nodes() is for any shard's command link: the live nodes' summaries.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cluster/cluster_node.h"
#include "cluster/redis_link.h"
#include "core/reactor.h"
#include "core/timer_wheel.h"

namespace ringcast {

// A node's summary, as it wrote it at its last beat: field, value pairs
// ("streams", "12"...; Shard::cluster_summary).
using SummaryFields = std::vector<std::pair<std::string, std::string>>;

struct NodeSummary {
    std::string name;
    SummaryFields fields;
};

// The live nodes, or ok = false and why.
struct NodeList {
    bool ok = false;
    std::string error;
    std::vector<NodeSummary> nodes;
};

void list_nodes(RedisLink& link, const ClusterNode& node, std::function<void(NodeList&)> done);

class NodeRegistry {
public:
    // `summary` gives this node's figures at each beat.
    NodeRegistry(Reactor& reactor, RedisLink& link, ClusterNode& node,
                 std::function<SummaryFields()> summary);
    NodeRegistry(const NodeRegistry&) = delete;
    NodeRegistry& operator=(const NodeRegistry&) = delete;

    void start();
    // A graceful stop: the name is given up at once, so the node's counts
    // stop counting and a successor may take it; `then` runs once Redis has
    // answered (or at once without a link), when the link may stop.
    void leave(std::function<void()> then);
    // The link came up: a beat at once rather than at the next tick.
    void link_up() {
        if (!_in_flight && !_left) beat();
    }
    bool owns(const TimerNode* t) const { return t == &_timer; }
    void on_timer();

    // Why this node is not registered ("" when it is), for readiness.
    const std::string& problem() const { return _problem; }
    // Live nodes at the last beat (0 before the first answer).
    uint64_t live_nodes() const { return _live; }

private:
    void beat();
    void on_beat(const RespValue& v);

    Reactor& _reactor;
    RedisLink& _link;
    ClusterNode& _node;
    std::function<SummaryFields()> _summary;
    TimerNode _timer;
    std::string _problem = "not registered yet (waiting for Redis)";
    std::string _holder;          // the other instance holding the name, when logged
    uint64_t _held_since_ms = 0;  // since when _holder has held it
    bool _reported = false;       // the error about _holder logged
    uint64_t _live = 0;
    bool _in_flight = false;
    bool _left = false;
};

}  // namespace ringcast

#include "cluster/node_registry.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cluster/cluster_scripts.h"

namespace ringcast {

void list_nodes(RedisLink& link, const ClusterNode& node, std::function<void(NodeList&)> done) {
    link.command({"EVAL", cluster_scripts::kListNodes, "1", node.key("nodes", ""), node.prefix},
                 [done = std::move(done)](const RespValue& v) {
                     NodeList list;
                     if (!v.is_array()) {
                         list.error = v.str.empty() ? v.describe() : v.str;
                         done(list);
                         return;
                     }
                     list.ok = true;
                     for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
                         NodeSummary n{v.elements[i].str, {}};
                         const auto& f = v.elements[i + 1].elements;
                         for (size_t k = 0; k + 1 < f.size(); k += 2)
                             n.fields.emplace_back(f[k].str, f[k + 1].str);
                         list.nodes.push_back(std::move(n));
                     }
                     done(list);
                 });
}

NodeRegistry::NodeRegistry(Reactor& reactor, RedisLink& link, ClusterNode& node,
                           std::function<SummaryFields()> summary)
    : _reactor(reactor), _link(link), _node(node), _summary(std::move(summary)) {}

void NodeRegistry::start() {
    beat();
}

void NodeRegistry::on_timer() {
    beat();
}

void NodeRegistry::beat() {
    _reactor.timers().schedule(&_timer, _reactor.now_ms() + _node.heartbeat_ms());
    if (_left || _in_flight || !_link.up()) {
        if (!_link.up() && !_in_flight) _node.registered.store(false, std::memory_order_relaxed);
        if (!_link.up() && !_in_flight) _problem = "no link to Redis";
        return;
    }
    _in_flight = true;
    const std::string ttl = std::to_string(_node.ttl_ms);
    const SummaryFields summary = _summary();
    const std::string node_key = _node.key("node", _node.name);
    const std::string stats_key = _node.key("stats", _node.name);
    const std::string nodes_key = _node.key("nodes", "");
    std::vector<std::string_view> args = {"EVAL",
                                          cluster_scripts::kHeartbeat,
                                          "3",
                                          node_key,
                                          stats_key,
                                          nodes_key,
                                          _node.instance,
                                          ttl,
                                          _node.name};
    for (const auto& [field, value] : summary) {
        args.push_back(field);
        args.push_back(value);
    }
    _link.command(args, [this](const RespValue& v) { on_beat(v); });
    list_nodes(_link, _node, [this](NodeList& list) {
        if (list.ok) _live = list.nodes.size();
    });
}

void NodeRegistry::on_beat(const RespValue& v) {
    _in_flight = false;
    if (!v.is_array() || v.elements.size() != 2) {
        // No answer: the link is down (its own log line says why) or Redis
        // refused the script. Not registered until a beat is answered.
        _node.registered.store(false, std::memory_order_relaxed);
        _problem = v.type == RespValue::Type::error
                       ? fmt::format("Redis refused the heartbeat script: {}", v.str)
                       : "no link to Redis";
        if (v.type == RespValue::Type::error)
            spdlog::error("cluster: node {}: {}", _node.name, _problem);
        return;
    }
    const int64_t outcome = v.elements[0].integer;
    if (outcome == 0) {
        const std::string& holder = v.elements[1].str;
        const uint64_t now = _reactor.now_ms();
        if (holder != _holder) {
            // A previous run of this node (killed, or handing over to this
            // one in an upgrade) frees the name within node_ttl: wait that
            // long before calling it a second node.
            _holder = holder;
            _held_since_ms = now;
            _reported = false;
            spdlog::info(
                "cluster: the node name \"{}\" is held by instance {}; waiting up to {} ms for "
                "it to free (a previous run of this node, stopped or handing over)",
                _node.name, holder, _node.ttl_ms);
        } else if (!_reported && now - _held_since_ms > _node.ttl_ms + _node.heartbeat_ms()) {
            _reported = true;
            spdlog::error(
                "cluster: the node name \"{}\" is held by another live ringcastd (instance {}; "
                "this one is {}): two nodes must not share a name ([cluster] node). This node "
                "stays out of the cluster (/healthz/ready fails) until the name frees",
                _node.name, holder, _node.instance);
        }
        _problem = fmt::format("the node name \"{}\" is held by another live node", _node.name);
        _node.registered.store(false, std::memory_order_relaxed);
        return;
    }
    if (outcome == 2 || !_node.registered.load(std::memory_order_relaxed)) {
        spdlog::info("cluster: node \"{}\" (instance {}) {} the cluster under prefix \"{}\"",
                     _node.name, _node.instance, outcome == 2 ? "joined" : "is back in",
                     _node.prefix);
        _holder.clear();
    }
    _problem.clear();
    _node.registered.store(true, std::memory_order_relaxed);
}

void NodeRegistry::leave(std::function<void()> then) {
    _reactor.timers().cancel(&_timer);
    _node.registered.store(false, std::memory_order_relaxed);
    if (_left || !_link.up()) {
        _left = true;
        then();
        return;
    }
    _left = true;
    _link.command({"EVAL", cluster_scripts::kLeave, "2", _node.key("node", _node.name),
                   _node.key("stats", _node.name), _node.instance},
                  [then = std::move(then)](const RespValue&) { then(); });
}

}  // namespace ringcast

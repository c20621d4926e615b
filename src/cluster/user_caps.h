#pragma once
// Per-user stream caps counted across the cluster (docs/scaling.md, "Per-user
// caps"). One per shard, on the shard's command link: each shard counts its
// own streams of each user in one field of the user's hash in Redis
// (cluster_node.h), and an admission asks one Lua script to sum the live
// nodes' fields and count one more only under the cap, atomically.
//
// The shard's own count of each user (`_held`) is the truth; Redis mirrors it.
// When a command's outcome is unknown (the link is down, or went down with
// the command in flight) the shard cannot know what Redis counted, so the user
// is marked to be written again (kUserSet, the absolute count) once the link
// is up and the node registered; tick() does that every second.
//
// Without Redis (link down, or this node not registered under its name) an
// admission's answer is `unknown`: the caller falls back to the node's own
// cap, so no stream waits longer than the link's command timeout. The change
// to and from that fallback is logged once each way.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "cluster/cluster_node.h"
#include "cluster/redis_link.h"
#include "core/reactor.h"

namespace ringcast {

class UserCaps {
public:
    enum class Verdict : uint8_t { granted, refused, unknown };
    // total: the user's streams in the cluster (after counting this one when
    // granted); 0 when unknown.
    using Answer = std::function<void(Verdict, uint64_t total)>;

    UserCaps(Reactor& reactor, RedisLink& link, const ClusterNode& node);
    UserCaps(const UserCaps&) = delete;
    UserCaps& operator=(const UserCaps&) = delete;

    // May `user` open one more stream under `cap` (0: count it, never
    // refuse)? `done` runs later on this shard, never inside acquire(). A
    // granted or unknown answer holds one count until release(user).
    void acquire(const std::string& user, uint32_t cap, Answer done);
    void release(const std::string& user);
    // Every second: counts whose outcome was unknown are written again.
    void tick();
    // The link's state changed (down: whatever it was doing is unknown).
    void link_changed(bool up);

    // This shard's streams counted for `user` (tests, stats).
    uint32_t held(const std::string& user) const;
    size_t unsynced() const { return _unsynced.size(); }

private:
    bool usable() const { return _link.up() && _node.registered.load(std::memory_order_relaxed); }
    void fallback(std::string_view why);
    void back_in_cluster();
    void resync(const std::string& user);

    Reactor& _reactor;
    RedisLink& _link;
    const ClusterNode& _node;
    std::string _field;        // "<name>#<instance>#<shard>"
    std::string _node_prefix;  // "P:node:"
    std::unordered_map<std::string, uint32_t> _held;
    std::unordered_set<std::string> _unsynced;
    bool _falling_back = false;  // logged; cleared when Redis answers again
    unsigned _shard;
};

}  // namespace ringcast

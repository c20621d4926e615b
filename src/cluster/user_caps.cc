#include "cluster/user_caps.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cluster/cluster_scripts.h"

namespace ringcast {

UserCaps::UserCaps(Reactor& reactor, RedisLink& link, const ClusterNode& node)
    : _reactor(reactor)
    , _link(link)
    , _node(node)
    , _field(fmt::format("{}#{}#{}", node.name, node.instance, reactor.id()))
    , _node_prefix(node.key("node", "") + ":")
    , _shard(reactor.id()) {}

uint32_t UserCaps::held(const std::string& user) const {
    auto it = _held.find(user);
    return it == _held.end() ? 0 : it->second;
}

void UserCaps::fallback(std::string_view why) {
    if (_falling_back) return;
    _falling_back = true;
    spdlog::warn(
        "shard {}: per-user stream caps are counted on this node only ({}): streams of a user "
        "on other nodes are not seen until Redis answers again",
        _shard, why);
}

void UserCaps::back_in_cluster() {
    _falling_back = false;
    spdlog::info("shard {}: per-user stream caps are counted across the cluster again", _shard);
}

void UserCaps::acquire(const std::string& user, uint32_t cap, Answer done) {
    if (!usable()) {
        fallback(_link.up() ? "this node is not registered in the cluster yet"
                            : "no link to Redis");
        ++_held[user];
        _unsynced.insert(user);
        _reactor.defer([done = std::move(done)] { done(Verdict::unknown, 0); });
        return;
    }
    const std::string key = _node.key("user", user);
    const std::string cap_text = std::to_string(cap);
    ++_held[user];  // held from now on: a release before the answer finds it
    _link.command({"EVAL", cluster_scripts::kUserAcquire, "1", key, _node_prefix, _field, cap_text},
                  [this, user, done = std::move(done)](const RespValue& v) {
                      if (v.is_array() && v.elements.size() == 2 &&
                          v.elements[0].type == RespValue::Type::integer) {
                          if (_falling_back) back_in_cluster();
                          const uint64_t total = uint64_t(v.elements[1].integer);
                          if (v.elements[0].integer == 1) {
                              done(Verdict::granted, total);
                              return;
                          }
                          // Refused: Redis counted nothing; neither does this shard.
                          // A count written again meanwhile (tick) included this
                          // one: the user's count is written once more.
                          auto it = _held.find(user);
                          if (it != _held.end() && it->second > 0) --it->second;
                          if (it != _held.end() && it->second > 0) _unsynced.insert(user);
                          if (it != _held.end() && it->second == 0 && !_unsynced.contains(user))
                              _held.erase(it);
                          done(Verdict::refused, total);
                          return;
                      }
                      // No answer, or an error: what Redis counted is unknown.
                      fallback(v.type == RespValue::Type::no_reply
                                   ? std::string_view(v.str)
                                   : std::string_view("Redis answered the cap script with an "
                                                      "error"));
                      if (v.type == RespValue::Type::error)
                          spdlog::error("shard {}: Redis refused the user cap script: {}", _shard,
                                        v.str);
                      _unsynced.insert(user);
                      done(Verdict::unknown, 0);
                  });
}

void UserCaps::release(const std::string& user) {
    auto it = _held.find(user);
    if (it == _held.end() || it->second == 0) return;
    --it->second;
    if (!usable() || _unsynced.contains(user)) {
        _unsynced.insert(user);
        return;
    }
    if (it->second == 0) _held.erase(it);
    _link.command({"EVAL", cluster_scripts::kUserRelease, "1", _node.key("user", user), _field},
                  [this, user](const RespValue& v) {
                      if (v.type != RespValue::Type::integer) _unsynced.insert(user);
                  });
}

void UserCaps::resync(const std::string& user) {
    const std::string count = std::to_string(held(user));
    _link.command({"EVAL", cluster_scripts::kUserSet, "1", _node.key("user", user), _field, count},
                  [this, user](const RespValue& v) {
                      if (v.type != RespValue::Type::integer) {
                          _unsynced.insert(user);
                          return;
                      }
                      auto it = _held.find(user);
                      if (it != _held.end() && it->second == 0 && !_unsynced.contains(user))
                          _held.erase(it);
                  });
}

void UserCaps::tick() {
    if (!usable()) return;
    if (_falling_back) back_in_cluster();
    if (_unsynced.empty()) return;
    std::unordered_set<std::string> users;
    users.swap(_unsynced);
    for (const std::string& user : users)
        resync(user);
}

void UserCaps::link_changed(bool up) {
    // Down: Redis may have lost everything (a restart without persistence),
    // so every count of this shard is written again once it is back.
    if (up) return;
    for (const auto& [user, n] : _held)
        _unsynced.insert(user);
}

}  // namespace ringcast

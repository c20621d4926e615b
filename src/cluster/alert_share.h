#pragma once
// Where a cluster keeps its alerts: Redis (docs/alerts.md, "In a cluster").
// Lives on the alerts' home shard of every node, beside its AlertService,
// which it serves: the set as one versioned value (cluster/alert_scripts.h),
// read, replaced by compare-and-set, put there first by whichever node finds
// Redis without one; alert ids from one counter; and a subscriber link of its
// own on the change channel, which tells the service when another node changed
// the set (or asked streams to refresh), and when it may have missed that.
//
// The set is text here: what it means is the service's (alerts/alert_set_json.h).
// Commands go over the shard's command link; none is queued across a
// reconnect, and an answer that never came says so (`answered` false).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "cluster/alert_scripts.h"
#include "cluster/redis_link.h"

namespace ringcast {

class BlockingWorker;
class Reactor;

// What Redis holds, or what a change found there instead.
struct AlertShareReply {
    bool answered = false;  // false: no answer (error says why); nothing is known
    std::string error;
    bool won = false;  // commit, seed: the set is now the one sent, at `version`
    uint64_t version = 0;
    bool held = false;  // there is a set in Redis (`text`); false: none
    std::string text;
};

// The reply of a read (MGET version value) or of either script, as above.
AlertShareReply read_alert_share_reply(const RespValue& v, bool script);

class AlertShare {
public:
    using Done = std::function<void(AlertShareReply&)>;

    AlertShare(Reactor& reactor, BlockingWorker* worker, RedisLink& commands,
               RedisLinkOptions subscriber, std::string_view prefix);
    AlertShare(const AlertShare&) = delete;
    AlertShare& operator=(const AlertShare&) = delete;

    // Another node changed the set to `version` (maybe this node: the caller
    // compares); asked streams to refresh; the subscription came up (changes
    // may have been missed meanwhile: read the set again) or went down.
    void on_changed(std::function<void(uint64_t version)> h) { _on_changed = std::move(h); }
    void on_refresh(std::function<void(std::string_view reason)> h) { _on_refresh = std::move(h); }
    void on_listening(std::function<void(bool up)> h) { _on_listening = std::move(h); }

    void start();
    void stop();
    bool stopped() const { return _sub.stopped(); }
    bool listening() const { return _sub.up(); }
    // The command link is up: a command given now is sent.
    bool linked() const { return _cmd.up(); }

    void read(Done done);
    // Replaces the set if it is still at `expected`.
    void commit(uint64_t expected, std::string_view text, Done done);
    // Puts `text` there if Redis holds no set (see kAlertSeedScript).
    void seed(uint64_t version, std::string_view text, uint64_t max_id, Done done);
    // A new alert id (0 and the reason when Redis did not give one).
    void next_id(std::function<void(uint64_t id, std::string_view error)> done);
    // Every node's streams get alerts-refresh (this node's too, through the channel).
    void refresh(std::string_view reason, std::function<void(std::string_view error)> done);

    bool owns(const TimerNode* t) const { return _sub.owns(t); }
    void on_timer(TimerNode* t) { _sub.on_timer(t); }
    void flush() { _sub.flush(); }
    const AlertKeys& keys() const { return _keys; }

private:
    void on_message(std::string_view payload);

    RedisLink& _cmd;
    RedisLink _sub;
    AlertKeys _keys;
    std::function<void(uint64_t)> _on_changed;
    std::function<void(std::string_view)> _on_refresh;
    std::function<void(bool)> _on_listening;
};

}  // namespace ringcast

#pragma once
// The cluster's order on one node (docs/scaling.md, "The cluster's order"):
// lives on the log shard, in place of its own numbering.
//
// Publishing: the log shard hands every publish here (Hub's ExternalOrder).
// The event's record goes to Redis in one script (cluster/bus_scripts.h) that
// numbers it with the cluster's sequence, appends it to the history stream
// and publishes it on the bus channel, atomically. The event is not delivered
// yet: it comes back through the subscription like everybody's.
//
// Receiving: a subscriber link of its own listens on the bus channel and on
// this process's reports channel. Every node receives every event once, in
// the cluster's order, and delivers it exactly as a local publish is
// delivered after numbering (Hub::deliver_numbered: history, cache, targeting,
// fan-out on every shard). A message whose sequence is not the next one (the
// subscription was down, or Redis dropped a slow subscriber) stops live
// delivery until what is missing was read from the stream (XRANGE after the
// last sequence applied); nothing is delivered twice or out of order. Events
// the stream no longer holds are counted and logged as missed, and resumes from
// before them are told history-gap.
//
// Joining: at start (and when the subscription returns) the node reads the
// cluster's epoch and sequence, fills its history from the stream, and only
// then is ready (/healthz/ready, check "cluster").
//
// The publish reply: a node delivers its own event when it comes back, and
// every other node reports its {sent, failed} to the origin's reports channel;
// the origin answers once every node the bus message reached has answered
// (the script says how many it reached), or [cluster] reply_wait after the
// script's reply, with the counts that came: {id, sent, failed, nodes,
// nodesAnswered}.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <simdjson.h>

#include "cluster/bus_message.h"
#include "cluster/bus_scripts.h"
#include "cluster/redis_link.h"
#include "core/timer_wheel.h"
#include "pubsub/hub.h"

namespace ringcast {

class BlockingWorker;
class EventLog;
class Reactor;

struct ClusterBusOptions {
    std::string prefix = "ringcast";    // [cluster] prefix
    std::string instance;               // this process on the bus (ClusterNode's; "" = a new one)
    uint64_t history_length = 100'000;  // [cluster] history_length: the stream's MAXLEN ~
    uint64_t reply_wait_ms = 250;       // [cluster] reply_wait
    uint32_t read_batch = 1000;         // stream entries per XRANGE
    size_t max_held = 100'000;          // live messages held during a catch-up
};

struct ClusterBusStats {
    uint64_t submitted = 0;  // publishes of this node given to the script
    uint64_t refused = 0;    // ... that Redis did not take (no reply or an error)
    uint64_t applied = 0;    // events delivered in the cluster's order
    uint64_t remote = 0;     // ... of which published by other nodes
    uint64_t read = 0;       // ... of which read from the stream (catch-ups)
    uint64_t catch_ups = 0;  // times live delivery stopped to read the stream
    uint64_t missed = 0;     // events the stream no longer had when read
    uint64_t bad = 0;        // bus messages or records that could not be read
    uint64_t reports_sent = 0;
    uint64_t reports_received = 0;
    uint64_t unanswered = 0;     // nodes that did not report within reply_wait
    uint64_t probes_failed = 0;  // the subscription found dead by its probe
};

class ClusterBus final : public ExternalOrder {
public:
    // `commands`: the log shard's command link (also the shard's readiness
    // link); the bus makes its own subscriber link with `link` options.
    ClusterBus(Reactor& reactor, Hub& hub, EventLog& log, RedisLink& commands,
               BlockingWorker* worker, RedisLinkOptions link, ClusterBusOptions opts);
    ~ClusterBus() override;
    ClusterBus(const ClusterBus&) = delete;
    ClusterBus& operator=(const ClusterBus&) = delete;

    void start();
    // Publishes waiting for Redis are answered with an error; the links stop.
    void stop();
    bool stopped() const { return _sub.stopped(); }
    // Joined and delivering live: the node is in the cluster's order.
    bool live() const { return _state == State::live; }
    std::string_view epoch() const { return _epoch; }
    uint64_t last_applied() const { return _applied; }
    std::string_view instance() const { return _instance; }
    const ClusterBusStats& stats() const { return _stats; }
    RedisLink& subscriber() { return _sub; }

    // Hub's ExternalOrder: a publish of this node, to be numbered by Redis.
    void submit(Event* e, PublishTicket* t, unsigned origin) override;
    // A cache invalidation travels the same way, numbered among the events (so
    // that it removes exactly what was published before it, on every node);
    // `done` gets the removals summed over the nodes that answered.
    void invalidate(CacheInvalidation what, InvalidateDone done) override;

    // Reactor plumbing: timers (this bus's and its subscriber link's), and
    // once per turn the reports this turn produced, one PUBLISH per origin.
    bool owns(const TimerNode* t) const {
        return t == &_timer || t == &_probe_timer || _sub.owns(t);
    }
    void on_timer(TimerNode* t);
    void flush();

    // A node's delivery of another node's event is done: its counts go to the
    // origin (RemoteTicket::complete).
    void report(const std::string& instance, uint64_t token, uint64_t sent, uint64_t failed);

private:
    enum class State : uint8_t {
        idle,
        joining,      // the join script asked, or the stream being read at the join
        catching_up,  // live delivery stopped: reading the stream after _applied
        live,
        stopped,
    };
    // A publish of this node, from submit() until its reply is settled and it
    // was delivered here.
    struct Pending {
        Event* event = nullptr;  // this node's reference, until delivered here
        PublishTicket* ticket = nullptr;
        unsigned origin = 0;  // the ticket's shard
        uint64_t sequence = 0;
        int32_t nodes = -1;  // from the script's reply
        uint32_t answered = 0;
        uint64_t sent = 0;  // other nodes' counts
        uint64_t failed = 0;
        uint64_t deadline_ms = 0;  // 0 until the script replied
        bool delivered = false;    // here
        // An invalidation instead of an event: who waits for it (event and
        // ticket unused; sent counts removals).
        InvalidateDone invalidated;
        std::string record;  // sent again as EVAL if Redis lost the script
        bool is_invalidation = false;
    };

    void on_sub_state(bool up, std::string_view why);
    void on_message(std::string_view channel, std::string_view payload);
    void join();
    void on_joined(const RespValue& v);
    // Reads the stream after `after`, one batch; `restore`: up to the join's
    // sequence into history only, else delivered.
    void read_stream(uint64_t after, bool restore);
    void on_stream(const RespValue& v, bool restore);
    // A join or a stream read that found Redis away is tried again soon.
    void retry_soon();
    void go_live();
    void catch_up();
    // One event of the cluster's order: restore (history only) or deliver.
    void apply(const BusEvent& b, bool from_stream);
    void restore(const BusEvent& b);
    void on_script_reply(uint64_t token, const RespValue& v);
    void on_reports(std::string_view payload);
    void settle(uint64_t token, Pending& p, bool timed_out);
    // Completes `parts` parts of p's ticket on its shard.
    void answer(Pending& p, uint32_t parts, std::string error);
    void schedule();
    // The subscription's own check: a probe published to this node's reports
    // channel must come back through it (cluster/cluster_bus.cc, probe()).
    void probe();
    void probe_failed(std::string why);
    void load_script_if_needed();
    // Gives the script a record ("<instance> <token> <record>") to number.
    void run_script(uint64_t token, std::string_view record, bool whole_script);
    // An invalidation from the bus: applied here, answered or reported.
    void apply_invalidation(const BusEvent& b, std::string_view json, bool from_stream);
    void fail(uint64_t token, Pending& p, std::string error);

    Reactor& _reactor;
    Hub& _hub;
    EventLog& _log;
    RedisLink& _cmd;
    RedisLink _sub;
    ClusterBusOptions _opts;
    BusKeys _keys;
    std::string _instance;
    std::string _reports_channel;
    std::string _candidate_epoch;    // proposed if Redis has none
    std::string _sha;                // of kPublishScript
    uint64_t _script_loaded_on = 0;  // the command link's connects when SCRIPT LOAD was sent
    State _state = State::idle;
    bool _joined_once = false;
    std::string _epoch;
    uint64_t _applied = 0;  // the last sequence delivered (or restored) here
    // A join: the sequence it found, the history floor the stream's first
    // entry makes, and how many events went into history.
    uint64_t _join_until = 0;
    uint64_t _join_floor = 0;
    uint64_t _restored = 0;
    // Counts joins and catch-ups: a Redis answer to an older one is ignored.
    uint64_t _attempt = 0;
    uint64_t _retry_due_ms = 0;
    std::deque<std::string> _held;  // live messages while not live
    uint64_t _next_token = 1;
    std::unordered_map<uint64_t, Pending> _pending;
    std::multimap<uint64_t, uint64_t> _due;                 // deadline (ms) -> token
    std::unordered_map<std::string, std::string> _reports;  // by origin instance: lines
    std::string _scratch;
    simdjson::dom::parser _json;  // invalidations from the bus
    TimerNode _timer;             // reply deadlines; the retry of a join that found Redis away
    TimerNode _probe_timer;
    uint64_t _probe_since_ms = 0;  // the probe on its way (0: none)
    ClusterBusStats _stats;
};

}  // namespace ringcast

#pragma once
// Routes publishes between shards and fans events out on this shard.
//
// The life of a publish:
//   1. The shard where it arrived (the origin) has already serialized it into an
//      Event. It sends the event to the log shard (or handles it itself if it is
//      the log), with a PublishTicket if the publisher wants an answer.
//   2. The log numbers it (one sequence for every channel, the id line) and keeps
//      it (EventLog: history, cache, mailboxes), looks up which shards may have
//      subscribers (ChannelPresence), and hands the same pointer to those shards
//      only, itself included if it has subscribers.
//   3. Each of them looks the channel up in its own index, queues a reference on
//      every local subscriber the event is meant for (and buffers it for streams
//      that are catching up), and reports {sent, failed} to the origin; the log
//      reports the shards it skipped as one zero result. For a retryable
//      user-specific event each also reports to the log which of its users it
//      reached, so that the log can mail it to the others.
//   4. When every shard is accounted for, the origin completes the ticket (the HTTP
//      or socket layer writes the reply).
// One shard numbers everything and every shard-to-shard ring is FIFO, so every
// shard receives events in sequence order and every stream sees its events in
// sequence order: a stream's Last-Event-ID alone says what it has seen, on all
// its channels at once (pubsub/event_id.h). Numbering is a few stores per event;
// the work that grows with the audience (fan-out) stays on every shard.
//
// Catch-up (pubsub/catch_up.h): every new stream asks the log through catch_up()
// what it is owed (missed events, cached events, mail, the log's position) and
// goes live when the answer arrives, without a gap or a duplicate.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/latency_histogram.h"
#include "core/mesh.h"
#include "core/mesh_kinds.h"
#include "core/reactor.h"
#include "net/transport.h"
#include "pubsub/audience.h"
#include "pubsub/catch_up.h"
#include "pubsub/channel_index.h"
#include "pubsub/event.h"
#include "pubsub/event_log.h"
#include "pubsub/message.h"
#include "pubsub/presence.h"
#include "pubsub/publish_rate.h"

namespace ringcast {

// Tracks a publish until every shard has reported. Lives on the origin shard;
// the publisher's kind of ticket says what to do with the counts (complete()),
// and the hub deletes it afterwards. The messages of a publish are the fast
// path (MeshKind::hub_*, core/mesh_kinds.h): 24 bytes each, no shard call.
class PublishTicket {
public:
    virtual ~PublishTicket() = default;
    // On the origin shard once every shard has reported (possibly inside
    // Hub::publish(), on a single shard).
    virtual void complete() = 0;

    uint32_t pending = 0;  // shards still to report (+1 for the cluster's part, in a cluster)
    uint64_t sent = 0;
    uint64_t failed = 0;
    Event* event = nullptr;  // one reference, for the id in the reply (released after complete())
    // In a cluster (docs/scaling.md): the nodes the event reached and those
    // whose counts are in sent/failed; -1 on a single node. `error`: the
    // cluster could not take the event (nothing was published; no id).
    int32_t nodes = -1;
    uint32_t nodes_answered = 0;
    std::string error;
};

// What came of a cache invalidation: events removed (on every node that
// answered, in a cluster), and in a cluster the nodes as for a publish
// (PublishTicket); `error` when the cluster could not take it.
struct InvalidateResult {
    uint64_t removed = 0;
    int32_t nodes = -1;
    uint32_t nodes_answered = 0;
    std::string error;
};
using InvalidateDone = std::function<void(InvalidateResult&)>;

// Numbers events outside this node: in a cluster (cluster/cluster_bus.h) the
// log shard hands every publish to it instead of numbering it, and gets the
// cluster's events back, numbered and in the cluster's order, through
// Hub::deliver_numbered().
class ExternalOrder {
public:
    virtual ~ExternalOrder() = default;
    // Takes the caller's reference to e; t (maybe nullptr) lives on `origin`.
    virtual void submit(Event* e, PublishTicket* t, unsigned origin) = 0;
    // A cache invalidation, in the same order as events, on every node; `done`
    // runs on this (the log) shard.
    virtual void invalidate(CacheInvalidation what, InvalidateDone done) = 0;
};

struct HubStats {
    uint64_t published = 0;   // publishes that started on this shard
    uint64_t sequenced = 0;   // events numbered here (this shard is the log)
    uint64_t delivered = 0;   // events that reached this shard's index
    uint64_t deliveries = 0;  // frames queued to subscribers here
    uint64_t failures = 0;    // subscribers that could not take a frame
    uint64_t skipped = 0;     // shards the log did not bother (no subscribers there)
    uint64_t expired = 0;     // events past their ttl when they reached this shard
    uint64_t buffered = 0;    // live events held for them meanwhile
};

class Hub {
public:
    // `log` is the log shard's EventLog, nullptr on every other shard.
    Hub(Reactor& reactor, Transport& transport, ChannelIndex& index, const Audience& audience,
        const ChannelPresence& presence, EventLog* log);
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    // The shard that numbers every event.
    static unsigned log_shard(unsigned shards) { return shards - 1; }
    bool is_log() const { return _log != nullptr; }

    // In a cluster: every shard counts one more part of a ticket (the other
    // nodes' counts, reported by the log shard's ExternalOrder), and the log
    // shard hands publishes to `order` instead of numbering them.
    void set_clustered() { _clustered = true; }
    void set_order(ExternalOrder* order) { _order = order; }
    bool clustered() const { return _clustered; }

    // Starts a publish of `e` (the hub takes over the caller's reference). With a
    // ticket, the ticket's done() runs on this shard when every shard has
    // reported (possibly before publish() returns), then the hub deletes it.
    // Without one, nobody is told.
    void publish(Event* e, PublishTicket* t);

    // Registers `w` on its channels (they buffer for it) and asks the log with a
    // shard call; w's complete() runs on this shard when the answer is in, after
    // the hub took it off its channels (finish_catch_up).
    void catch_up(std::unique_ptr<CatchUpWaiter> w);
    // The stream is gone: mail it was handed goes back to the log, every
    // reference it holds is released.
    void abandon(CatchUpWaiter& w);

    // Asks the log to remove cached events (in a cluster, every node's log);
    // `done` runs on this shard with how many, never inside invalidate().
    void invalidate(CacheInvalidation what, InvalidateDone done);
    ExternalOrder* order() const { return _order; }

    // The log shard, in a cluster: delivers e, numbered by the cluster already
    // (Event::assign_sequence), on every shard with subscribers, as a local
    // publish would be after numbering; t (maybe nullptr) gets the counts of
    // this node's shards. A ticket made here (not by publish()) is tracked
    // with track() first.
    void deliver_numbered(Event* e, PublishTicket* t, unsigned origin);
    // A ticket for a delivery that did not start with publish() on this shard:
    // every shard of this node reports to it here.
    void track(Event* e, PublishTicket* t);
    // On the ticket's origin shard: `shards` parts of t are done with these
    // counts (the cluster's part, or every part when the cluster refused).
    void complete(PublishTicket* t, uint64_t sent, uint64_t failed, uint32_t shards);

    // The log shard's side of the calls above.
    bool answer_catch_up(CatchUp& r);  // false: it waits for its user's pending mail
    uint64_t invalidate_here(const CacheInvalidation& what);
    void take_back(const std::string& user, std::vector<Event*>& events);
    // Takes a waiter off its channels once its answer is in.
    void finish_catch_up(CatchUpWaiter& w);

    // The log shard: ages every keep (called once a second).
    void expire(int64_t now_wall_ms);

    // Returns false if the message is not a hub message.
    bool on_message(const MeshMsg& m);

    const HubStats& stats() const { return _stats; }
    // Publishes that started here in the last minute (reading advances the windows).
    PublishRate& rate() { return _rate; }
    const EventLog* log() const { return _log; }

    // Delivery latency: from the publish accepted (Event::accepted_ns) to the
    // sends of every recipient on this shard handed to the kernel. The shard
    // calls after_flush() once per turn, after its transport started this turn's
    // sends: with no connection left waiting for its send (the dirty list is
    // empty), the events queued since are observed, once per event per shard:
    // one stamp kept per event, one clock read per such turn, nothing per
    // recipient. A shard that never empties its dirty list (sends_per_turn
    // bounds every turn) observes them once kMaxUnobserved have piled up, so
    // the list stays bounded: late by at most the rest of that backlog.
    static constexpr size_t kMaxUnobserved = 4096;
    void after_flush(bool sends_waiting) {
        if (_queued_at.empty() || (sends_waiting && _queued_at.size() < kMaxUnobserved)) return;
        const uint64_t now_ns = mono_ns();
        for (uint64_t t : _queued_at)
            _delivery.observe_us(now_ns > t ? (now_ns - t) / 1000 : 0);
        _queued_at.clear();
    }
    const LatencyHistogram& delivery_latency() const { return _delivery; }

private:
    void sequence_and_broadcast(Event* e, PublishTicket* t, unsigned origin);
    // Hands a numbered and kept event to the shards that may have subscribers.
    void broadcast(Event* e, PublishTicket* t, unsigned origin, bool track_mail, int64_t now);
    void deliver_local(Event* e, PublishTicket* t, unsigned origin);
    // Queues e for every recipient on `ch` and buffers it for its waiters;
    // *reached gets the target users reached when e's mail is tracked.
    void fan_out(Event* e, Channel& ch, LocalFrame* lf, uint64_t* sent, uint64_t* failed,
                 UserBits** reached);
    // Buffers e for the streams catching up on ch that it is meant for (target:
    // nullptr for everyone), noting in *reached the target users among them
    // when e's mail is tracked; returns how many took it.
    uint64_t buffer_for_waiters(Event* e, Channel& ch, const ResolvedTarget* target,
                                UserBits** reached);
    void report(PublishTicket* t, unsigned origin, uint64_t sent, uint64_t failed, uint32_t shards);
    // The log: catch-ups whose user's pending mail is now decided, answered.
    void answer_waiting(std::vector<CatchUp*> ready);
    void reached(Event* e, UserBits* bits);

    Reactor& _reactor;
    Transport& _transport;
    ChannelIndex& _index;
    const Audience& _audience;
    const ChannelPresence& _presence;
    EventLog* _log;
    ExternalOrder* _order = nullptr;  // the log shard, in a cluster
    bool _clustered = false;
    std::vector<unsigned> _targets;  // scratch: the shards an event goes to
    HubStats _stats;
    std::vector<uint64_t> _queued_at;  // accepted_ns of events queued, sends not yet started
    LatencyHistogram _delivery;
    PublishRate _rate;
};

}  // namespace ringcast

#pragma once
// Routes published events between shards and fans them out on each shard.
//
// The life of a publish:
//   1. The shard where it arrived (the origin) has already serialized it into an
//      Event. It sends the event to the log shard (or handles it itself if it is
//      the log), with a PublishTicket if the publisher wants an answer.
//   2. The log numbers it (one sequence for every channel, the id line), keeps it
//      in the channel's history, looks up which shards may have subscribers
//      (ChannelPresence), and hands the same pointer to those shards only, itself
//      included if it has subscribers.
//   3. Each of them looks the channel up in its own index, queues a reference on
//      every local subscriber the event is meant for, and reports {sent, failed}
//      to the origin; the log reports the shards it skipped as one zero result.
//   4. When every shard is accounted for, the origin completes the ticket (the HTTP
//      or socket layer writes the reply).
// One shard numbers everything and every shard-to-shard ring is FIFO, so every
// shard receives events in sequence order and every stream sees its events in
// sequence order: a stream's Last-Event-ID alone says what it has seen, on all
// its channels at once (pubsub/event_id.h). Numbering is a few stores per event;
// the work that grows with the audience (fan-out) stays on every shard.
//
// Resume (replay()): a stream's shard holds the stream's channels present, then
// asks the log for what followed the stream's last id. The log answers with
// references from its history; everything it numbers after answering reaches
// the asking shard after the answer (same FIFO ring), so the stream subscribes
// when the answer arrives and misses nothing and gets nothing twice.
#include <cstdint>
#include <string>
#include <vector>

#include "core/mesh.h"
#include "core/reactor.h"
#include "net/transport.h"
#include "pubsub/audience.h"
#include "pubsub/channel_index.h"
#include "pubsub/event.h"
#include "pubsub/history.h"
#include "pubsub/presence.h"

namespace ringcast {

enum HubMessage : uint16_t {
    kHubForward = 1,  // origin -> owner: a = Event*, b = PublishTicket* (or 0), arg = origin
    kHubDeliver = 2,  // owner -> shard: a = Event*, b = PublishTicket* (or 0), arg = origin
    kHubResult = 3,   // shard -> origin: a = PublishTicket*, arg = sent, b = failed | shards << 32
    kHubReplay = 4,      // shard -> log: a = ReplayRequest*, arg = the asking shard
    kHubReplayDone = 5,  // log -> shard: a = ReplayRequest*
    kHubLast = 15,    // kinds above this belong to other layers
};

// Lives on the origin shard until every shard is accounted for.
struct PublishTicket {
    Event* event = nullptr;  // one reference, kept so the reply can quote the id
    uint32_t pending = 0;    // shards not accounted for yet
    uint64_t sent = 0;
    uint64_t failed = 0;
    // Called once on the origin shard when all shards have reported. `ctx` may
    // have been cleared by the requester (its connection went away).
    void (*done)(PublishTicket& t, void* ctx) = nullptr;
    void* ctx = nullptr;    // the requester (its connection, say); cleared if it goes away
    void* owner = nullptr;  // the layer that started the publish
    uint64_t cookie = 0;    // the requester's own tag (a reply slot, say)
};

// A stream's question to the log: what followed `last_id` on `channels`. Lives on
// the asking shard; the log fills the answer.
struct ReplayRequest {
    std::vector<std::string> channels;
    std::string last_id;  // as the client sent it
    // Answer.
    std::vector<Event*> events;  // in sequence order, one reference each (for the asker)
    bool gap = false;            // the id is unknown, or history lost events after it
    std::string high_id;         // the id of the last event numbered when answered ("" if none)
    // Called on the asking shard. `ctx` may have been cleared (the stream went away).
    void (*done)(ReplayRequest& r, void* ctx) = nullptr;
    void* ctx = nullptr;
};

struct HubStats {
    uint64_t published = 0;   // publishes that started on this shard
    uint64_t sequenced = 0;   // events numbered here (this shard is the log)
    uint64_t delivered = 0;   // events that reached this shard's index
    uint64_t deliveries = 0;  // frames queued to subscribers here
    uint64_t failures = 0;    // subscribers that could not take a frame
    uint64_t expired = 0;     // events past their ttl when they reached this shard
    uint64_t skipped = 0;     // shards an owner did not need to hand an event to
};

class Hub {
public:
    // `history` is the log shard's (kept and replayed only there); `epoch` names
    // its numbering (pubsub/event_id.h).
    Hub(Reactor& reactor, Transport& transport, ChannelIndex& index, const Audience& audience,
        const ChannelPresence& presence, const HistoryLimits& history, std::string epoch);

    // The shard that numbers every event.
    static unsigned log_shard(unsigned shards) { return shards - 1; }
    bool is_log() const { return _reactor.id() == log_shard(_reactor.shards()); }
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    // Origin side: takes over the caller's reference to `e`. With a ticket, its
    // done callback runs once every shard is accounted for (possibly before this
    // returns), then the hub deletes it. Without one, nobody is told.
    void publish(Event* e, PublishTicket* t);

    // Asks the log what followed r->last_id; r->done runs on this shard, possibly
    // before this returns (when this shard is the log).
    void replay(ReplayRequest* r);

    // The log shard: drops history past its age or ttl (called once a second).
    void expire_history(int64_t now_wall_ms) { _history.expire(now_wall_ms); }

    // Returns false if the message is not a hub message.
    bool on_message(const MeshMsg& m);

    const HubStats& stats() const { return _stats; }
    const HistoryStats& history_stats() const { return _history.stats(); }
    std::string_view epoch() const { return _epoch; }

private:
    void sequence_and_broadcast(Event* e, PublishTicket* t, unsigned origin);
    void answer_replay(ReplayRequest& r);
    void deliver_local(Event* e, PublishTicket* t, unsigned origin);
    void report(PublishTicket* t, unsigned origin, uint64_t sent, uint64_t failed, uint32_t shards);
    void complete(PublishTicket* t, uint64_t sent, uint64_t failed, uint32_t shards);

    Reactor& _reactor;
    Transport& _transport;
    ChannelIndex& _index;
    const Audience& _audience;
    const ChannelPresence& _presence;
    History _history;          // the log shard's; empty elsewhere
    std::string _epoch;
    uint64_t _next_sequence = 1;  // the log shard's
    HubStats _stats;
};

}  // namespace ringcast

#pragma once
// Routes published events between shards and fans them out on each shard.
//
// The life of a publish:
//   1. The shard where it arrived (the origin) has already serialized it into an
//      Event. It sends the event to the channel's owner shard (or handles it
//      itself if it is the owner), with a PublishTicket if the publisher wants an
//      answer.
//   2. The owner numbers it (channel sequence, id line), looks up which shards may
//      have subscribers (ChannelPresence), and hands the same pointer to those
//      shards only, itself included if it has subscribers.
//   3. Each of them looks the channel up in its own index, queues a reference on
//      every local subscriber the event is meant for, and reports {sent, failed}
//      to the origin; the owner reports the shards it skipped as one zero result.
//   4. When every shard is accounted for, the origin completes the ticket (the HTTP
//      or socket layer writes the reply).
// Per-channel order holds because one shard numbers a channel's events and every
// shard-to-shard ring is FIFO.
#include <cstdint>

#include "core/mesh.h"
#include "core/reactor.h"
#include "net/transport.h"
#include "pubsub/audience.h"
#include "pubsub/channel_index.h"
#include "pubsub/event.h"
#include "pubsub/presence.h"

namespace ringcast {

enum HubMessage : uint16_t {
    kHubForward = 1,  // origin -> owner: a = Event*, b = PublishTicket* (or 0), arg = origin
    kHubDeliver = 2,  // owner -> shard: a = Event*, b = PublishTicket* (or 0), arg = origin
    kHubResult = 3,   // shard -> origin: a = PublishTicket*, arg = sent, b = failed | shards << 32
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

struct HubStats {
    uint64_t published = 0;   // publishes that started on this shard
    uint64_t sequenced = 0;   // events numbered here (this shard owns their channel)
    uint64_t delivered = 0;   // events that reached this shard's index
    uint64_t deliveries = 0;  // frames queued to subscribers here
    uint64_t failures = 0;    // subscribers that could not take a frame
    uint64_t expired = 0;     // events past their ttl when they reached this shard
    uint64_t skipped = 0;     // shards an owner did not need to hand an event to
};

class Hub {
public:
    Hub(Reactor& reactor, Transport& transport, ChannelIndex& index, const Audience& audience,
        const ChannelPresence& presence);
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    // Origin side: takes over the caller's reference to `e`. With a ticket, its
    // done callback runs once every shard is accounted for (possibly before this
    // returns), then the hub deletes it. Without one, nobody is told.
    void publish(Event* e, PublishTicket* t);

    // Returns false if the message is not a hub message.
    bool on_message(const MeshMsg& m);

    const HubStats& stats() const { return _stats; }

private:
    void sequence_and_broadcast(Event* e, PublishTicket* t, unsigned origin);
    void deliver_local(Event* e, PublishTicket* t, unsigned origin);
    void report(PublishTicket* t, unsigned origin, uint64_t sent, uint64_t failed, uint32_t shards);
    void complete(PublishTicket* t, uint64_t sent, uint64_t failed, uint32_t shards);

    Reactor& _reactor;
    Transport& _transport;
    ChannelIndex& _index;
    const Audience& _audience;
    const ChannelPresence& _presence;
    HubStats _stats;
};

}  // namespace ringcast

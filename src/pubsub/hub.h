#pragma once
// Routes published events between shards and fans them out on each shard.
//
// The life of a publish:
//   1. The shard where it arrived (the origin) has already serialized it into an
//      Event. It opens a PublishTicket and sends the event to the channel's owner
//      shard (or handles it itself if it is the owner).
//   2. The owner numbers it (channel sequence, id line) and hands the same pointer
//      to every shard, itself included, through the mesh rings.
//   3. Each shard looks the channel up in its own index, queues a reference on
//      every local subscriber, and reports {sent, failed} back to the origin.
//   4. When every shard has answered, the origin completes the ticket (the HTTP or
//      socket layer writes the reply).
// Per-channel order holds because one shard numbers a channel's events and every
// shard-to-shard ring is FIFO.
#include <cstdint>

#include "core/mesh.h"
#include "core/reactor.h"
#include "net/transport.h"
#include "pubsub/channel_index.h"
#include "pubsub/event.h"

namespace ringcast {

enum HubMessage : uint16_t {
    kHubForward = 1,  // origin -> owner: a = Event*, b = PublishTicket*
    kHubDeliver = 2,  // owner -> every shard: a = Event*, b = PublishTicket*, arg = origin
    kHubResult = 3,   // shard -> origin: a = PublishTicket*, arg = sent, b = failed
    kHubLast = 15,    // kinds above this belong to other layers
};

// Lives on the origin shard until every shard has reported.
struct PublishTicket {
    Event* event = nullptr;  // one reference, kept so the reply can quote the id
    uint32_t pending = 0;    // shards that have not reported yet
    uint64_t sent = 0;
    uint64_t failed = 0;
    // Called once on the origin shard when all shards have reported. `ctx` may
    // have been cleared by the requester (its connection went away).
    void (*done)(PublishTicket& t, void* ctx) = nullptr;
    void* ctx = nullptr;    // the requester (its connection, say); cleared if it goes away
    void* owner = nullptr;  // the layer that started the publish
};

struct HubStats {
    uint64_t published = 0;   // publishes that started on this shard
    uint64_t sequenced = 0;   // events numbered here (this shard owns their channel)
    uint64_t delivered = 0;   // events that reached this shard's index
    uint64_t deliveries = 0;  // frames queued to subscribers here
    uint64_t failures = 0;    // subscribers that could not take a frame
};

class Hub {
public:
    Hub(Reactor& reactor, Transport& transport, ChannelIndex& index);
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    // Origin side: takes over the caller's reference to `e`. The ticket must stay
    // alive until its done callback runs; the hub deletes it afterwards.
    void publish(Event* e, PublishTicket* t);

    // Returns false if the message is not a hub message.
    bool on_message(const MeshMsg& m);

    const HubStats& stats() const { return _stats; }

private:
    void sequence_and_broadcast(Event* e, PublishTicket* t, unsigned origin);
    void deliver_local(Event* e, PublishTicket* t, unsigned origin);
    void report(PublishTicket* t, unsigned origin, uint64_t sent, uint64_t failed);
    void complete(PublishTicket* t, uint64_t sent, uint64_t failed);

    Reactor& _reactor;
    Transport& _transport;
    ChannelIndex& _index;
    HubStats _stats;
};

}  // namespace ringcast

#pragma once
// Every kind of message that travels between shards (MeshMsg::kind), in one place.
//
// Two families. The reactor's own: shard calls (core/shard_call.h), through which
// every request to another shard goes — stats, the directory, the limiter, cache
// invalidation, catch-up, handing back mail. And the hub's fast path
// (pubsub/hub.h), where a published event travels as a plain 24-byte message with
// no allocation per shard: forward to the log, deliver to the shards, their
// counts back to the origin, and which users an event reached.
#include <cstdint>

namespace ringcast {

// The values are implicit, hence distinct by construction: a kind is never
// numbered by hand, so two layers can never pick the same number (they did, in
// four headers, before this one).
enum class MeshKind : uint16_t {
    // core/reactor.cc
    call = 1,   // asker -> target: a = ShardCall*
    call_done,  // target -> asker: a = ShardCall* (run() answered)
    post,       // asker -> target: a = ShardCall* (one way; the target deletes it)
    // pubsub/hub.h
    hub_forward,  // origin -> log: a = Event*, b = PublishTicket* (or 0), arg = origin
    hub_deliver,  // log -> shard: a = Event*, b = PublishTicket* (or 0), arg = origin
    hub_result,   // shard -> origin: a = PublishTicket*, arg = sent, b = failed | shards << 32
    hub_reached,  // shard -> log: a = Event*, b = UserBits* (or 0: nobody reached)
    count,        // not a kind: how many there are
};

}  // namespace ringcast

#pragma once
// One shard's map from channel to the connections subscribed to it on that shard.
//
// A subscription is a small record owned by the subscriber. The channel keeps a
// dense array of subscription pointers for fast fan-out, and each record knows its
// position in that array, so unsubscribing is O(1) (swap with the last entry).
//
// A channel entry lives while it has subscribers or holds: a stream that is
// opening holds its channels (keeping them marked in ChannelPresence, so the log
// shard sends their events here) until it subscribes; one that catches up first
// (pubsub/catch_up.h) is also on the channel's `waiting` list meanwhile, which
// buffers the channel's events for it.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pubsub/presence.h"
#include "pubsub/target.h"

namespace ringcast {

class Connection;
struct Channel;
struct CatchUpWaiter;

struct Subscription {
    // index while the stream holds the channel but is not subscribed yet (it
    // catches up first: catch_up.h): the channel is known, the list unchanged.
    static constexpr uint32_t kHeld = UINT32_MAX;

    Channel* channel = nullptr;
    Connection* connection = nullptr;
    const Identity* who = &kAnonymous;  // owned by the subscriber's protocol layer
    uint32_t index = 0;                 // position in channel->subscribers, or kHeld
};

struct Channel {
    std::string name;
    uint64_t hash = 0;
    uint32_t holds = 0;                   // streams about to subscribe (see hold())
    std::vector<CatchUpWaiter*> waiting;  // of which catching up first
    uint64_t events = 0;                  // events delivered here
    uint64_t deliveries = 0;              // frames queued to subscribers here
    // What its subscribers here lost, one per recipient (counted by the protocol
    // layer from the transport's reports; gone with the entry, when the channel
    // has no subscriber left on this shard).
    uint64_t dropped = 0;           // events dropped from a slow reader's queue
    uint64_t expired = 0;           // events whose ttl passed while queued: never written
    uint64_t slow_disconnects = 0;  // subscribers closed for falling behind
    std::vector<Subscription*> subscribers;
};

class ChannelIndex {
public:
    // With a presence map, the index marks this shard's channels active or idle in
    // it as they gain their first or lose their last subscriber.
    explicit ChannelIndex(ChannelPresence* presence = nullptr, unsigned shard = 0)
        : _presence(presence), _shard(shard) {}
    ~ChannelIndex();
    ChannelIndex(const ChannelIndex&) = delete;
    ChannelIndex& operator=(const ChannelIndex&) = delete;

    Channel* find(std::string_view name, uint64_t hash) const;
    Channel* get_or_create(std::string_view name, uint64_t hash);

    void subscribe(Subscription& s, Channel& ch);
    void unsubscribe(Subscription& s);
    // Marks the channel present on this shard without a subscriber, until release().
    void hold(Channel& ch);
    void release(Channel& ch);

    size_t size() const { return _map.size(); }
    uint64_t subscriptions() const { return _subscriptions; }
    template <typename F>
    void for_each(F&& f) const {
        for (const auto& [key, ch] : _map)
            f(*ch);
    }

private:
    struct Key {
        std::string_view name;
        uint64_t hash;
        bool operator==(const Key& o) const { return hash == o.hash && name == o.name; }
    };
    struct KeyHash {
        size_t operator()(const Key& k) const { return size_t(k.hash); }
    };

    void maybe_erase(Channel& ch);

    std::unordered_map<Key, Channel*, KeyHash> _map;
    uint64_t _subscriptions = 0;
    ChannelPresence* _presence;
    unsigned _shard;
};

}  // namespace ringcast

#pragma once
// Which shards may have subscribers for a channel: one bit per (shard, hash
// bucket), readable by every shard.
//
// A channel's owner consults it before handing an event to the other shards, and
// skips those that cannot have a subscriber: an event on a channel nobody listens
// to costs no mesh traffic at all, and one listened to on a single shard reaches
// only that shard. Each shard writes only its own bits, and only when one of its
// channels gains its first or loses its last local subscriber (never per event);
// the owner reads them with acquire loads. Buckets are shared by channels whose
// hashes collide, so a set bit means "maybe" (the shard then finds no subscriber
// and reports 0); a clear bit means no subscriber had joined when it was read.
// A subscription is marked before its `connected` event is sent, so an event
// published after a client saw `connected` always reaches that client's shard.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/spsc_ring.h"

namespace ringcast {

class ChannelPresence {
public:
    static constexpr unsigned kBucketBits = 16;
    static constexpr unsigned kBuckets = 1u << kBucketBits;

    explicit ChannelPresence(unsigned shards);
    ChannelPresence(const ChannelPresence&) = delete;
    ChannelPresence& operator=(const ChannelPresence&) = delete;

    // Called only by `shard`, for its own channels.
    void channel_active(unsigned shard, uint64_t hash);
    void channel_idle(unsigned shard, uint64_t hash);

    // Any shard.
    bool maybe_subscribed(unsigned shard, uint64_t hash) const {
        unsigned b = bucket(hash);
        return _shards[shard].bits[b / 64].load(std::memory_order_acquire) &
               (uint64_t(1) << (b % 64));
    }

private:
    // Bits of the hash that neither the owner choice (low bits) nor the map use.
    static unsigned bucket(uint64_t hash) { return unsigned(hash >> 40) & (kBuckets - 1); }

    struct alignas(cache_line) PerShard {
        std::unique_ptr<std::atomic<uint64_t>[]> bits;  // shared: read by every shard
        std::unique_ptr<uint32_t[]> active;             // owner-private: active channels per bucket
    };
    std::vector<PerShard> _shards;
};

}  // namespace ringcast

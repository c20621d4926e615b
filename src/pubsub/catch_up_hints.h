#pragma once
// Whether a new stream may have something to catch up on before it goes live:
// cached persistent events on one of its channels, or mail (or mail being
// decided) for its user. Written only by the log shard, read by every shard when
// a stream opens.
//
// Each is a table of counters by hash bucket: a bucket counts the channels (or
// users) in it that have something kept. A zero bucket lets a stream open with
// no round trip to the log, which is what nearly every stream does; a non-zero
// one means "maybe" (buckets are shared), and the stream asks the log
// (pubsub/catch_up.h).
//
// Why a stream never misses what appears while it opens: the stream's shard
// marks its channels present (ChannelPresence), issues a full fence, then reads
// the hints; the log sets a hint, issues a full fence, then reads presence to
// decide where the event goes. Of two threads that each store then load under
// seq_cst fences, at least one sees the other's store: either the stream's shard
// sees the hint (and asks the log, which has the event), or the log sees the
// presence (and sends the event to the shard, where the stream is subscribed).
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

namespace ringcast {

class CatchUpHints {
public:
    static constexpr unsigned kBucketBits = 16;
    static constexpr unsigned kBuckets = 1u << kBucketBits;

    CatchUpHints()
        : _channels(new std::atomic<uint32_t>[kBuckets]()), _users(new std::atomic<uint32_t>[kBuckets]()) {}
    CatchUpHints(const CatchUpHints&) = delete;
    CatchUpHints& operator=(const CatchUpHints&) = delete;

    // The log shard only. A channel (by its hash) or a user gained or lost
    // something to catch up on.
    void channel_gained(uint64_t channel_hash) { add(_channels[channel_bucket(channel_hash)], 1); }
    void channel_lost(uint64_t channel_hash) { add(_channels[channel_bucket(channel_hash)], -1); }
    void user_gained(std::string_view user) { add(_users[user_bucket(user)], 1); }
    void user_lost(std::string_view user) { add(_users[user_bucket(user)], -1); }
    // After setting hints and before reading presence (see above).
    static void fence() { std::atomic_thread_fence(std::memory_order_seq_cst); }

    // Any shard, after marking the stream's channels present and fence().
    bool channel_may_have(uint64_t channel_hash) const {
        return _channels[channel_bucket(channel_hash)].load(std::memory_order_relaxed) != 0;
    }
    bool user_may_have(std::string_view user) const {
        return _users[user_bucket(user)].load(std::memory_order_relaxed) != 0;
    }

private:
    // Single writer: a plain read-modify-write, published with a relaxed store
    // (the fences order it).
    static void add(std::atomic<uint32_t>& c, int d) {
        c.store(uint32_t(int64_t(c.load(std::memory_order_relaxed)) + d), std::memory_order_relaxed);
    }
    // FNV-1a leaves short names that differ in their last byte with many equal
    // bits; a finalizer (MurmurHash3's fmix64) spreads every bit over the bucket.
    static uint64_t mix(uint64_t h) {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ull;
        return h ^ (h >> 33);
    }
    static unsigned channel_bucket(uint64_t hash) { return unsigned(mix(hash) >> (64 - kBucketBits)); }
    static unsigned user_bucket(std::string_view user) {
        return unsigned(mix(std::hash<std::string_view>{}(user)) >> (64 - kBucketBits));
    }

    std::unique_ptr<std::atomic<uint32_t>[]> _channels;
    std::unique_ptr<std::atomic<uint32_t>[]> _users;
};

}  // namespace ringcast

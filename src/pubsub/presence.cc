#include "pubsub/presence.h"

namespace ringcast {

ChannelPresence::ChannelPresence(unsigned shards) : _shards(shards) {
    for (PerShard& s : _shards) {
        s.bits.reset(new std::atomic<uint64_t>[kBuckets / 64]);
        for (unsigned i = 0; i < kBuckets / 64; ++i)
            s.bits[i].store(0, std::memory_order_relaxed);
        s.active.reset(new uint32_t[kBuckets]());
    }
}

void ChannelPresence::channel_active(unsigned shard, uint64_t hash) {
    PerShard& s = _shards[shard];
    unsigned b = bucket(hash);
    if (s.active[b]++ > 0) return;
    auto& word = s.bits[b / 64];
    word.store(word.load(std::memory_order_relaxed) | (uint64_t(1) << (b % 64)),
               std::memory_order_release);
}

void ChannelPresence::channel_idle(unsigned shard, uint64_t hash) {
    PerShard& s = _shards[shard];
    unsigned b = bucket(hash);
    if (--s.active[b] > 0) return;
    auto& word = s.bits[b / 64];
    word.store(word.load(std::memory_order_relaxed) & ~(uint64_t(1) << (b % 64)),
               std::memory_order_release);
}

}  // namespace ringcast

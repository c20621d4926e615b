#pragma once
// How many connections each shard holds, readable by every shard.
//
// Updated only when a connection is placed or closed (never per event), so the
// relaxed atomics here are off the hot path. The acceptor in handoff mode reads it
// to pick the least-loaded shard; stats read it for per-shard counts.
#include <atomic>
#include <cstdint>
#include <memory>

#include "core/spsc_ring.h"

namespace ringcast {

class LoadBoard {
public:
    explicit LoadBoard(unsigned shards) : _shards(shards), _slots(new Slot[shards]) {}

    void add(unsigned shard, int delta) {
        _slots[shard].connections.fetch_add(uint32_t(delta), std::memory_order_relaxed);
    }
    uint32_t load(unsigned shard) const {
        return _slots[shard].connections.load(std::memory_order_relaxed);
    }
    uint64_t total() const {
        uint64_t t = 0;
        for (unsigned i = 0; i < _shards; ++i)
            t += load(i);
        return t;
    }
    // The shard with the fewest connections; `prefer` wins ties (no handoff needed).
    unsigned least_loaded(unsigned prefer) const {
        unsigned best = prefer;
        uint32_t best_load = load(prefer);
        for (unsigned i = 0; i < _shards; ++i) {
            uint32_t l = load(i);
            if (l < best_load) {
                best = i;
                best_load = l;
            }
        }
        return best;
    }
    unsigned shards() const { return _shards; }

private:
    struct alignas(cache_line) Slot {
        std::atomic<uint32_t> connections{0};
    };
    unsigned _shards;
    std::unique_ptr<Slot[]> _slots;
};

}  // namespace ringcast

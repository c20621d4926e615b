#pragma once
// The instance-wide count of SSE streams, for server.max_connections.
//
// Shared by every shard, but touched only when a stream opens or closes, never
// per event. Increment-then-check makes the limit exact even when shards open
// streams at the same moment: the (max+1)th stream sees the old value >= max
// and backs out.
#include <atomic>
#include <cstdint>

#include "core/spsc_ring.h"

namespace ringcast {

class StreamLimit {
public:
    explicit StreamLimit(uint64_t max) : _max(max) {}

    // Counts one more stream, unless that would exceed the maximum.
    bool try_acquire() {
        uint64_t before = _open.fetch_add(1, std::memory_order_relaxed);
        const uint64_t max = _max.load(std::memory_order_relaxed);
        if (max && before >= max) {
            _open.fetch_sub(1, std::memory_order_relaxed);
            return false;
        }
        return true;
    }
    void release() { _open.fetch_sub(1, std::memory_order_relaxed); }
    uint64_t open() const { return _open.load(std::memory_order_relaxed); }
    uint64_t max() const { return _max.load(std::memory_order_relaxed); }
    // server.max_connections reloaded: streams already open stay, past the new
    // maximum too; new ones wait until the count is below it.
    void set_max(uint64_t max) { _max.store(max, std::memory_order_relaxed); }

private:
    alignas(cache_line) std::atomic<uint64_t> _open{0};
    std::atomic<uint64_t> _max;
};

}  // namespace ringcast

#pragma once
// Each shard's pulse: a few figures a shard writes on a timer of its own and the
// main thread reads, for systemd (server/service_monitor.h).
//
// `beats` counts the shard's pulse timer firings. The timer runs in the shard's
// loop, so a beat proves the loop still turns: a shard stuck in a handler (or
// stopped) stops beating, and the main thread withholds systemd's watchdog ping.
// An idle shard still beats: the timer wakes its loop. The other figures are the
// shard's own counters (its stats, ops/stats.h) copied at the same tick, so the
// main thread never reads a shard's data structures and the hot path pays
// nothing: one relaxed store of four words per tick, in a slot of its own cache
// line (no shard writes where another does).
#include <atomic>
#include <cstdint>
#include <memory>

#include "core/spsc_ring.h"

namespace ringcast {

struct PulseFigures {
    uint64_t beats = 0;
    uint64_t streams = 0;     // SSE streams open
    uint64_t published = 0;   // publishes accepted here, since start
    uint64_t deliveries = 0;  // frames queued to subscribers here, since start
};

class PulseBoard {
public:
    explicit PulseBoard(unsigned shards) : _shards(shards), _slots(new Slot[shards]) {}

    // On shard `shard`'s thread, at each pulse tick. Relaxed: the reader wants
    // recent figures, not a consistent cut across them.
    void beat(unsigned shard, uint64_t streams, uint64_t published, uint64_t deliveries) {
        Slot& s = _slots[shard];
        s.streams.store(streams, std::memory_order_relaxed);
        s.published.store(published, std::memory_order_relaxed);
        s.deliveries.store(deliveries, std::memory_order_relaxed);
        s.beats.store(s.beats.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }

    // On any thread.
    PulseFigures read(unsigned shard) const {
        const Slot& s = _slots[shard];
        return {s.beats.load(std::memory_order_relaxed), s.streams.load(std::memory_order_relaxed),
                s.published.load(std::memory_order_relaxed),
                s.deliveries.load(std::memory_order_relaxed)};
    }
    unsigned shards() const { return _shards; }

    // How often shards beat, in ms: set before the shards start, read by them.
    void set_interval_ms(uint64_t ms) { _interval_ms = ms; }
    uint64_t interval_ms() const { return _interval_ms; }

private:
    struct alignas(cache_line) Slot {
        std::atomic<uint64_t> beats{0};
        std::atomic<uint64_t> streams{0};
        std::atomic<uint64_t> published{0};
        std::atomic<uint64_t> deliveries{0};
    };
    unsigned _shards;
    std::unique_ptr<Slot[]> _slots;
    uint64_t _interval_ms = 1000;
};

}  // namespace ringcast

#pragma once
// The way from the log shard to the writer thread: an SpscRing of records, and a
// queue on the log's side, in order, for when the ring is full.
//
// The log shard's side costs a few stores per record and never blocks: push()
// writes a slot and publishes it at once (a release store to a line the writer
// reads once per flush interval, so it stays in the log's cache); a full ring
// (the writer stuck in a slow commit) sends records to the waiting queue, and
// poll(), once per loop turn, moves them back into the ring in order. Nothing
// on this side wakes the writer: it wakes on its own clock.
//
// What is not a record: the numbering's high-water mark and the history floor
// are single increasing numbers, so the log stores them in relaxed atomics and
// the writer reads the latest value at each commit (it needs only the latest).
// Read after draining the ring, they are at least as new as every record
// drained: the log stored them before publishing those records, and the
// writer's acquire of the ring orders its later reads after them.
//
// Bounded: beyond max_pending waiting records the oldest is given up (its
// reference released); lost_high() then says that everything numbered up to it
// may be missing from the store, which the writer turns into a history floor.
#include <atomic>
#include <cstdint>
#include <deque>

#include "core/spsc_ring.h"
#include "store/record.h"

namespace ringcast {

class RecordQueue {
public:
    RecordQueue(uint32_t capacity, uint64_t max_pending);
    ~RecordQueue();  // frees every record left
    RecordQueue(const RecordQueue&) = delete;
    RecordQueue& operator=(const RecordQueue&) = delete;

    // --- the log shard ------------------------------------------------------
    void push(const StoreRecord& r) {
        // One writer: a plain increment, no read-modify-write.
        const uint64_t n = _log.pushed.load(std::memory_order_relaxed) + 1;
        _log.pushed.store(n, std::memory_order_relaxed);
        if (_overflow.empty() && _ring.try_push(r)) {
            _ring.publish();
            return;
        }
        wait(r);
    }
    void poll() {
        if (!_overflow.empty()) refill();
    }
    void set_high(uint64_t s) { _log.high.store(s, std::memory_order_relaxed); }
    void set_floor(uint64_t s) { _log.floor.store(s, std::memory_order_relaxed); }

    // --- the writer ------------------------------------------------------------
    // Moves every visible record to the back of *out, in order.
    size_t drain(std::deque<StoreRecord>* out);
    // Once the log shard has stopped (it was joined): the ring, then what waited.
    size_t take_all(std::deque<StoreRecord>* out);
    uint64_t high() const { return _log.high.load(std::memory_order_relaxed); }
    uint64_t floor() const { return _log.floor.load(std::memory_order_relaxed); }

    // --- any thread -------------------------------------------------------------
    uint64_t pushed() const { return _log.pushed.load(std::memory_order_relaxed); }
    uint64_t given_up() const { return _log.given_up.load(std::memory_order_relaxed); }
    uint64_t lost_high() const { return _log.lost_high.load(std::memory_order_relaxed); }
    uint64_t waiting() const { return _log.waiting.load(std::memory_order_relaxed); }

private:
    void wait(const StoreRecord& r);
    void refill();

    SpscRing<StoreRecord> _ring;
    // Written by the log shard (per call, some of them), read by the writer and
    // stats() now and then: on a line of their own, away from the ring's.
    struct alignas(cache_line) LogSide {
        std::atomic<uint64_t> high{0};
        std::atomic<uint64_t> floor{0};
        std::atomic<uint64_t> pushed{0};
        std::atomic<uint64_t> given_up{0};
        std::atomic<uint64_t> lost_high{0};
        std::atomic<uint64_t> waiting{0};
    };
    LogSide _log;
    std::deque<StoreRecord> _overflow;  // the log shard's only: records the ring had no room for
    uint64_t _max_pending;
};

}  // namespace ringcast

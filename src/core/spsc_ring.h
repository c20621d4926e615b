#pragma once
// A bounded lock-free single-producer single-consumer ring.
//
// One ring joins each ordered pair of shards. The producer writes slots and makes
// them visible in batches with publish(); the consumer drains everything visible
// and frees the slots with one store. Both sides cache the other side's index so
// that the shared counters are only read when the cached view says "full" (producer)
// or "empty" (consumer): in steady state each side touches the other's cache line
// once per batch, not once per message.
//
// Memory ordering: the producer's release store of `_tail` publishes the slot
// contents written before it; the consumer's acquire load of `_tail` makes them
// visible. Symmetrically the consumer's release store of `_head` hands the slots
// back and the producer's acquire load of `_head` lets it reuse them.
//
// Layout: the four groups below sit on separate cache lines. The published tail is
// written by the producer and read by the consumer; the producer's private cursor
// and cached head must not share that line, or every private update would
// invalidate the consumer's copy of the tail (false sharing). Same for the head side.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

namespace ringcast {

inline constexpr size_t cache_line = 64;

template <typename T>
class SpscRing {
    static_assert(std::is_trivially_copyable_v<T>, "slots are copied with plain stores");

public:
    // capacity is rounded up to a power of two (at least 2).
    explicit SpscRing(size_t capacity) {
        size_t cap = 2;
        while (cap < capacity)
            cap <<= 1;
        _mask = cap - 1;
        _slots.reset(new T[cap]);
    }
    SpscRing(const SpscRing&) = delete;
    SpscRing& operator=(const SpscRing&) = delete;

    size_t capacity() const { return _mask + 1; }

    // --- producer side ---------------------------------------------------------
    // Writes one message; it stays invisible to the consumer until publish().
    // Returns false when the ring is full (nothing is written).
    bool try_push(const T& v) {
        if (_p.tail - _p.head_cache > _mask) {
            _p.head_cache = _head.v.load(std::memory_order_acquire);
            if (_p.tail - _p.head_cache > _mask) return false;
        }
        _slots[_p.tail & _mask] = v;
        ++_p.tail;
        return true;
    }

    // Makes every message pushed so far visible. Returns true if anything new
    // was published (the caller then decides whether the consumer needs waking).
    bool publish() {
        if (_tail.v.load(std::memory_order_relaxed) == _p.tail) return false;
        _tail.v.store(_p.tail, std::memory_order_release);
        return true;
    }

    size_t unpublished() const { return size_t(_p.tail - _tail.v.load(std::memory_order_relaxed)); }

    // --- consumer side ---------------------------------------------------------
    // Calls f(const T&) for up to max visible messages, then frees their slots.
    template <typename F>
    size_t consume(F&& f, size_t max = SIZE_MAX) {
        if (_c.head == _c.tail_cache) {
            _c.tail_cache = _tail.v.load(std::memory_order_acquire);
            if (_c.head == _c.tail_cache) return 0;
        }
        size_t n = 0;
        while (_c.head != _c.tail_cache && n < max) {
            f(_slots[_c.head & _mask]);
            ++_c.head;
            ++n;
        }
        _head.v.store(_c.head, std::memory_order_release);
        return n;
    }

    // True when the consumer has seen everything published (acquire: pairs with
    // publish()). Used by a shard right before it decides to sleep.
    bool empty_for_consumer() const { return _c.head == _tail.v.load(std::memory_order_acquire); }

private:
    struct alignas(cache_line) Index {
        std::atomic<uint64_t> v{0};
    };
    struct alignas(cache_line) ProducerSide {
        uint64_t tail = 0;        // next slot to write
        uint64_t head_cache = 0;  // last head seen
    };
    struct alignas(cache_line) ConsumerSide {
        uint64_t head = 0;        // next slot to read
        uint64_t tail_cache = 0;  // last tail seen
    };

    Index _tail;  // written by producer (publish), read by consumer
    ProducerSide _p;
    Index _head;  // written by consumer, read by producer
    ConsumerSide _c;
    alignas(cache_line) std::unique_ptr<T[]> _slots;
    size_t _mask = 0;
};

}  // namespace ringcast

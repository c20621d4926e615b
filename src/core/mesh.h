#pragma once
// The rings between shards: one SPSC ring per ordered pair (from, to), plus the
// per-shard wake-up state that lets a producer know whether the consumer may be
// asleep in io_uring_enter and needs a doorbell.
//
// Shards never share anything else on the hot path. A message is 24 bytes; what
// it means (a pointer to an event, a reply count...) is up to the layer that sends
// it, keyed by `kind`.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/spsc_ring.h"

namespace ringcast {

// Pointers travel in MeshMsg's words: the sender keeps the object alive until the
// receiver is done with it (each message kind says who frees what).
template <typename T>
uint64_t to_word(T* p) {
    return uint64_t(reinterpret_cast<uintptr_t>(p));
}
template <typename T>
T* from_word(uint64_t v) {
    return reinterpret_cast<T*>(uintptr_t(v));
}

struct MeshMsg {
    uint16_t kind = 0;
    uint16_t from = 0;  // filled in by the sender's reactor
    uint32_t arg = 0;
    uint64_t a = 0;
    uint64_t b = 0;
};
static_assert(sizeof(MeshMsg) == 24);

class Mesh {
public:
    Mesh(unsigned shards, size_t ring_capacity);
    Mesh(const Mesh&) = delete;
    Mesh& operator=(const Mesh&) = delete;

    unsigned shards() const { return _shards; }
    SpscRing<MeshMsg>& ring(unsigned from, unsigned to) { return *_rings[from * _shards + to]; }

    // Set by a shard right before it blocks, cleared when it wakes (see reactor.cc
    // for the ordering argument).
    std::atomic<bool>& sleeping(unsigned shard) { return _wake[shard].sleeping; }

    // The io_uring fd of each shard, published once the shard's ring exists; the
    // target of MSG_RING doorbells.
    void set_ring_fd(unsigned shard, int fd) {
        _wake[shard].ring_fd.store(fd, std::memory_order_release);
    }
    int ring_fd(unsigned shard) const {
        return _wake[shard].ring_fd.load(std::memory_order_acquire);
    }

    // When each shard last began a loop turn (monotonic ms), stored by the shard
    // once per turn (relaxed: one writer) and read by the readiness check of
    // another shard, which must name a shard that stopped turning without asking
    // it (it would not answer). On a cache line of its own, not beside `sleeping`:
    // producers read that flag at every flush, and a store per turn to its line
    // would make each of those reads a miss.
    void turned(unsigned shard, uint64_t now_ms) {
        _turned[shard].ms.store(now_ms, std::memory_order_relaxed);
    }
    uint64_t turned_ms(unsigned shard) const {
        return _turned[shard].ms.load(std::memory_order_relaxed);
    }

private:
    struct alignas(cache_line) WakeState {
        std::atomic<bool> sleeping{false};
        std::atomic<int> ring_fd{-1};
    };
    struct alignas(cache_line) TurnState {
        std::atomic<uint64_t> ms{0};
    };

    unsigned _shards;
    std::vector<std::unique_ptr<SpscRing<MeshMsg>>> _rings;
    std::unique_ptr<WakeState[]> _wake;
    std::unique_ptr<TurnState[]> _turned;
};

}  // namespace ringcast

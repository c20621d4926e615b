#pragma once
// Clocks used across the engine. Monotonic time drives timers and latency;
// wall time (ms since the epoch) is only what we show to people and clients.
#include <atomic>
#include <cstdint>
#include <ctime>

namespace ringcast {

inline uint64_t mono_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

inline uint64_t mono_ms() {
    return mono_ns() / 1'000'000u;
}

inline int64_t wall_ms() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// Wall time of a monotonic instant (connection times are kept on the
// monotonic clock). Reading both clocks at every call would let the same
// instant come out a millisecond apart in two answers, as the clocks' reads
// round differently; so the offset between them is kept, and replaced only
// when the wall clock has been stepped by more than a second (NTP, an
// operator), which the answers should then follow.
inline int64_t wall_ms_of(uint64_t mono) {
    static std::atomic<int64_t> kept_offset{INT64_MIN};
    const int64_t offset_now = wall_ms() - int64_t(mono_ms());
    int64_t offset = kept_offset.load(std::memory_order_relaxed);
    if (offset == INT64_MIN || offset_now - offset > 1000 || offset - offset_now > 1000) {
        kept_offset.store(offset_now, std::memory_order_relaxed);
        offset = offset_now;
    }
    return int64_t(mono) + offset;
}

}  // namespace ringcast

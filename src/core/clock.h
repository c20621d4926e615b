#pragma once
// Clocks used across the engine. Monotonic time drives timers and latency;
// wall time (ms since the epoch) is only what we show to people and clients.
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

}  // namespace ringcast

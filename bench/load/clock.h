#pragma once
// The load generator's clock. CLOCK_MONOTONIC is system-wide, so a timestamp
// taken by the publisher (parent process) can be subtracted from one taken by a
// subscriber worker (forked child): that is how publish-to-receive latency is
// measured across processes without any clock synchronisation.
#include <cstdint>
#include <ctime>

namespace ringcast::load {

inline uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

// CLOCK_REALTIME - CLOCK_MONOTONIC, read between two monotonic readings: turns
// the kernel's receive timestamps (SO_TIMESTAMPNS, realtime) into monotonic
// time. Good to a microsecond for the length of a run.
inline uint64_t realtime_minus_monotonic() {
    timespec a, r, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_REALTIME, &r);
    clock_gettime(CLOCK_MONOTONIC, &b);
    uint64_t mono = (uint64_t(a.tv_sec) + uint64_t(b.tv_sec)) * 500'000'000u +
                    (uint64_t(a.tv_nsec) + uint64_t(b.tv_nsec)) / 2;
    uint64_t real = uint64_t(r.tv_sec) * 1'000'000'000u + uint64_t(r.tv_nsec);
    return real - mono;
}

constexpr uint64_t kNsPerMs = 1'000'000u;
constexpr uint64_t kNsPerSec = 1'000'000'000u;

inline uint64_t ms_to_ns(double ms) {
    return uint64_t(ms * 1e6);
}
inline uint64_t sec_to_ns(double s) {
    return uint64_t(s * 1e9);
}

}  // namespace ringcast::load

#pragma once
// How long a link waits before its next connection attempt: exponential
// backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
// Jitter"): attempt n waits a uniformly random time in [0, min(max, base·2^n)].
// Full jitter rather than a fixed ladder because every shard of every node
// loses Redis at the same moment when it restarts; with fixed delays they
// would all come back in the same millisecond, again and again.
#include <algorithm>
#include <cstdint>
#include <random>

namespace ringcast {

class Backoff {
public:
    Backoff(uint64_t base_ms, uint64_t max_ms, uint64_t seed)
        : _base(std::max<uint64_t>(base_ms, 1)), _max(std::max(max_ms, _base)), _rng(seed) {}

    // The ceiling of the next wait: base·2^attempts, capped at max.
    uint64_t ceiling() const {
        uint64_t c = _base;
        for (unsigned i = 0; i < _attempts && c < _max; ++i)
            c *= 2;
        return std::min(c, _max);
    }
    // The wait before the next attempt, and one more attempt counted.
    uint64_t next() {
        const uint64_t c = ceiling();
        ++_attempts;
        return std::uniform_int_distribution<uint64_t>(0, c)(_rng);
    }
    // A connection succeeded: the next failure starts from base again.
    void reset() { _attempts = 0; }
    unsigned attempts() const { return _attempts; }

private:
    uint64_t _base;
    uint64_t _max;
    unsigned _attempts = 0;
    std::mt19937_64 _rng;
};

}  // namespace ringcast

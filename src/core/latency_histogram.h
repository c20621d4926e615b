#pragma once
// A latency histogram with fixed buckets, for one writer thread (a shard, the
// store's writer): observe() is a few compares and two plain adds, no atomics, no
// allocation. Readers sum shards' copies at a scrape (ops/metrics.h), so the
// buckets are the same everywhere and the sum of two histograms is a histogram.
//
// The bounds run from 50 µs to 10 s, roughly 1-2.5-5 per decade: wide enough for
// a delivery on an idle machine (tens of µs) and for a store commit on a slow
// disk (seconds). Counts are per bucket (not cumulative); the exposition writer
// accumulates them, as Prometheus wants.
#include <array>
#include <cstddef>
#include <cstdint>

namespace ringcast {

class LatencyHistogram {
public:
    static constexpr std::array<uint64_t, 17> kBoundsUs = {
        50,     100,     250,     500,     1'000,     2'500,     5'000,     10'000,    25'000,
        50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
    static constexpr size_t kBuckets = kBoundsUs.size() + 1;  // the last one: +Inf

    void observe_us(uint64_t us) {
        size_t i = 0;
        while (i < kBoundsUs.size() && us > kBoundsUs[i])
            ++i;
        ++_counts[i];
        _sum_us += us;
    }
    void add(const LatencyHistogram& other) {
        for (size_t i = 0; i < kBuckets; ++i)
            _counts[i] += other._counts[i];
        _sum_us += other._sum_us;
    }

    // Observations in bucket i alone (≤ kBoundsUs[i], > the bound before it).
    uint64_t bucket(size_t i) const { return _counts[i]; }
    uint64_t count() const {
        uint64_t n = 0;
        for (uint64_t c : _counts)
            n += c;
        return n;
    }
    uint64_t sum_us() const { return _sum_us; }
    void set(size_t i, uint64_t n) { _counts[i] = n; }
    void set_sum_us(uint64_t us) { _sum_us = us; }

private:
    std::array<uint64_t, kBuckets> _counts{};
    uint64_t _sum_us = 0;
};

}  // namespace ringcast

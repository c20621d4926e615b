#pragma once
// A log-linear histogram of non-negative integer values (the load generator
// records latencies in microseconds), in the manner of HdrHistogram: values
// below 256 are counted exactly; above, each power-of-two range is split into
// 128 equal buckets, so a bucket is never wider than 1/128 (0.8%) of the values
// it holds. Fixed size (about 32 KiB), mergeable by adding counts, and
// serialisable as sparse "index:count" pairs so worker processes can ship it
// to the parent through a pipe.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::load {

class Histogram {
public:
    static constexpr unsigned kExactBits = 8;  // values < 256 have their own bucket
    static constexpr unsigned kSubBits = 7;    // 128 buckets per power of two above
    static constexpr unsigned kMaxBits = 40;   // ~1.1e12: 12 days in microseconds
    static constexpr unsigned kBuckets =
        (1u << kExactBits) + (kMaxBits - kExactBits) * (1u << kSubBits);

    void record(uint64_t value);
    void merge(const Histogram& other);

    uint64_t count() const { return _count; }
    uint64_t min() const { return _count ? _min : 0; }
    uint64_t max() const { return _max; }
    double mean() const { return _count ? double(_sum) / double(_count) : 0.0; }

    // The value at quantile q (0..1): the highest value that falls in the same
    // bucket as the q-th recorded value (so it never under-reports), capped at
    // the true maximum. 0 when empty.
    uint64_t quantile(double q) const;

    // Sparse text form: "count sum min max i:c i:c ...". parse() returns false
    // on malformed input and leaves the histogram unspecified.
    std::string serialize() const;
    bool parse(std::string_view text);

    static unsigned index_of(uint64_t value);
    static uint64_t highest_in_bucket(unsigned index);

private:
    std::array<uint64_t, kBuckets> _counts{};
    uint64_t _count = 0;
    uint64_t _sum = 0;
    uint64_t _min = UINT64_MAX;
    uint64_t _max = 0;
};

}  // namespace ringcast::load

#include "histogram.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>

namespace ringcast::load {

unsigned Histogram::index_of(uint64_t value) {
    constexpr uint64_t top = (uint64_t(1) << kMaxBits) - 1;
    value = std::min(value, top);
    if (value < (1u << kExactBits)) return unsigned(value);
    unsigned msb = 63u - unsigned(std::countl_zero(value));  // >= kExactBits
    unsigned shift = msb - kSubBits;                         // keeps the top 8 bits
    unsigned sub = unsigned(value >> shift) - (1u << kSubBits);
    return (1u << kExactBits) + (msb - kExactBits) * (1u << kSubBits) + sub;
}

uint64_t Histogram::highest_in_bucket(unsigned index) {
    if (index < (1u << kExactBits)) return index;
    unsigned rel = index - (1u << kExactBits);
    unsigned msb = kExactBits + rel / (1u << kSubBits);
    unsigned sub = rel % (1u << kSubBits);
    unsigned shift = msb - kSubBits;
    uint64_t low = (uint64_t((1u << kSubBits) + sub)) << shift;
    return low + ((uint64_t(1) << shift) - 1);
}

void Histogram::record(uint64_t value) {
    ++_counts[index_of(value)];
    ++_count;
    _sum += value;
    _min = std::min(_min, value);
    _max = std::max(_max, value);
}

void Histogram::merge(const Histogram& other) {
    for (unsigned i = 0; i < kBuckets; ++i)
        _counts[i] += other._counts[i];
    _count += other._count;
    _sum += other._sum;
    _min = std::min(_min, other._min);
    _max = std::max(_max, other._max);
}

uint64_t Histogram::quantile(double q) const {
    if (_count == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    // The rank of the q-th value, 1-based: p50 of 10 values is the 5th.
    uint64_t rank = std::max<uint64_t>(1, uint64_t(std::ceil(q * double(_count))));
    uint64_t seen = 0;
    for (unsigned i = 0; i < kBuckets; ++i) {
        seen += _counts[i];
        if (seen >= rank) return std::min(highest_in_bucket(i), _max);
    }
    return _max;
}

std::string Histogram::serialize() const {
    std::string out = std::to_string(_count) + ' ' + std::to_string(_sum) + ' ' +
                      std::to_string(min()) + ' ' + std::to_string(_max);
    for (unsigned i = 0; i < kBuckets; ++i) {
        if (!_counts[i]) continue;
        out += ' ';
        out += std::to_string(i);
        out += ':';
        out += std::to_string(_counts[i]);
    }
    return out;
}

namespace {

// Reads one unsigned number ending at `stop` or the end; advances `s`.
bool take_number(std::string_view& s, char stop, uint64_t* out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    if (ec != std::errc() || end == s.data()) return false;
    s.remove_prefix(size_t(end - s.data()));
    if (!s.empty()) {
        if (s.front() != stop) return false;
        s.remove_prefix(1);
    }
    return true;
}

}  // namespace

bool Histogram::parse(std::string_view s) {
    *this = Histogram{};
    uint64_t count, sum, min, max;
    if (!take_number(s, ' ', &count) || !take_number(s, ' ', &sum) || !take_number(s, ' ', &min) ||
        !take_number(s, ' ', &max))
        return false;
    uint64_t total = 0;
    while (!s.empty()) {
        uint64_t index, n;
        if (!take_number(s, ':', &index) || !take_number(s, ' ', &n) || index >= kBuckets)
            return false;
        _counts[index] += n;
        total += n;
    }
    if (total != count) return false;
    _count = count;
    _sum = sum;
    _min = count ? min : UINT64_MAX;
    _max = max;
    return true;
}

}  // namespace ringcast::load

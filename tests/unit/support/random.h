#pragma once
// Reproducible randomness for unit tests.
//
// Every randomized test draws from an Rng seeded with a fixed default, so a run in
// CI is deterministic; RINGCAST_TEST_SEED=<n> explores other seeds. The seed is
// printed, recorded as an XML property and attached to every failure message
// (SCOPED_TRACE) so that a failing run can be replayed exactly.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace ringcast::test {

inline uint64_t test_seed() {
    uint64_t seed = 0x5eed'2024;
    if (const char* s = std::getenv("RINGCAST_TEST_SEED")) seed = std::strtoull(s, nullptr, 0);
    std::printf("[   seed   ] RINGCAST_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
    ::testing::Test::RecordProperty("seed", std::to_string(seed));
    return seed;
}

class Rng {
public:
    explicit Rng(uint64_t seed) : _gen(seed) {}

    // Uniform in [lo, hi].
    uint64_t between(uint64_t lo, uint64_t hi) {
        return std::uniform_int_distribution<uint64_t>(lo, hi)(_gen);
    }
    uint64_t below(uint64_t n) { return between(0, n - 1); }
    bool chance(double p) { return std::bernoulli_distribution(p)(_gen); }
    template <typename T>
    const T& pick(const std::vector<T>& v) {
        return v[below(v.size())];
    }
    std::mt19937_64& engine() { return _gen; }

private:
    std::mt19937_64 _gen;
};

// Splits s into consecutive pieces: a mix of single bytes (the worst case for
// any parser state that spans reads), empty pieces, and larger runs.
inline std::vector<std::string_view> random_chunks(std::string_view s, Rng& rng,
                                                   size_t max_chunk = 64) {
    std::vector<std::string_view> out;
    while (!s.empty()) {
        size_t n;
        switch (rng.below(4)) {
            case 0: n = 1; break;
            case 1: n = 0; break;
            default: n = size_t(rng.between(1, max_chunk)); break;
        }
        if (n > s.size()) n = s.size();
        out.push_back(s.substr(0, n));
        s.remove_prefix(n);
    }
    return out;
}

}  // namespace ringcast::test

// Declares `Rng name` seeded with test_seed() and tags later failures with the seed.
#define RINGCAST_SEEDED_RNG(name)                                               \
    const uint64_t name##_seed = ::ringcast::test::test_seed();                 \
    SCOPED_TRACE(::testing::Message() << "RINGCAST_TEST_SEED=" << name##_seed); \
    ::ringcast::test::Rng name(name##_seed)

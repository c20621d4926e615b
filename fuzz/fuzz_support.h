#pragma once
// What the fuzz targets share: a stop that libFuzzer reports as a crash when a
// property fails, and the chunking of one input into reads.
//
// The bytes of an input stay the bytes the parser sees (a seed is a real request,
// token or file, not an encoding of one); where a target also wants to choose
// how those bytes arrive in reads, the split points come from a generator seeded
// with a hash of the input, so each input always replays the same way.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace ringcast::fuzz {

// A property of the code under test does not hold: print why and abort, which
// libFuzzer reports with the input that did it.
[[noreturn]] inline void fail(const char* what) {
    std::fprintf(stderr, "fuzz property failed: %s\n", what);
    std::abort();
}

inline void check(bool ok, const char* what) {
    if (!ok) fail(what);
}

// Read sizes for an input: 1, 2, 3... bytes or larger pieces, as a client's
// writes might be cut by TCP. Deterministic for a given input.
class Chunker {
public:
    explicit Chunker(std::string_view input) {
        uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
        for (unsigned char c : input) {
            h ^= c;
            h *= 0x100000001b3ull;
        }
        _state = h | 1;
    }

    // The size of the next read, at least 1 and at most `left`.
    size_t next(size_t left) {
        uint64_t r = step();
        size_t n;
        switch (r % 4) {
            case 0: n = 1; break;                 // byte by byte
            case 1: n = 1 + (r >> 8) % 8; break;  // a few bytes
            case 2: n = 1 + (r >> 8) % 512; break;
            default: n = left; break;  // the rest at once
        }
        return n < left ? n : left;
    }

    // True one time in `n`.
    bool one_in(unsigned n) { return step() % n == 0; }

private:
    uint64_t step() {  // xorshift64
        _state ^= _state << 13;
        _state ^= _state >> 7;
        _state ^= _state << 17;
        return _state;
    }
    uint64_t _state;
};

}  // namespace ringcast::fuzz

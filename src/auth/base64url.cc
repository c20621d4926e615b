#include "auth/base64url.h"

#include <array>
#include <cstdint>

namespace ringcast {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Character -> 6-bit value, or -1.
constexpr std::array<int8_t, 256> make_decode_table() {
    std::array<int8_t, 256> t{};
    for (auto& v : t)
        v = -1;
    for (int i = 0; i < 64; ++i)
        t[uint8_t(kAlphabet[i])] = int8_t(i);
    return t;
}
constexpr std::array<int8_t, 256> kDecode = make_decode_table();

}  // namespace

bool base64url_decode(std::string_view in, std::string* out) {
    if (in.size() % 4 == 1) return false;
    out->reserve(out->size() + in.size() / 4 * 3 + 2);
    uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        int v = kDecode[uint8_t(c)];
        if (v < 0) return false;
        acc = (acc << 6) | uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->push_back(char((acc >> bits) & 0xff));
        }
    }
    // 2 or 4 bits remain after a partial group; they must be zero.
    return (acc & ((1u << bits) - 1)) == 0;
}

std::string base64url_encode(std::string_view in) {
    std::string out;
    out.reserve((in.size() * 4 + 2) / 3);
    size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        uint32_t n = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 |
                     uint32_t(uint8_t(in[i + 2]));
        out += kAlphabet[n >> 18];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    size_t rest = in.size() - i;
    if (rest == 1) {
        uint32_t n = uint32_t(uint8_t(in[i])) << 16;
        out += kAlphabet[n >> 18];
        out += kAlphabet[(n >> 12) & 63];
    } else if (rest == 2) {
        uint32_t n = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8;
        out += kAlphabet[n >> 18];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
    }
    return out;
}

}  // namespace ringcast

#pragma once
// Channel names and their hash (the key of every per-channel table: each
// shard's index, presence).
#include <cstdint>
#include <string_view>

namespace ringcast {

inline constexpr size_t kMaxChannelName = 128;

// [A-Za-z0-9._:-]{1,128}
inline bool valid_channel_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxChannelName) return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

// FNV-1a, 64-bit: names are short, and this runs once per publish.
inline uint64_t channel_hash(std::string_view name) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : name) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

}  // namespace ringcast

#pragma once
// Channel names and which shard owns each channel.
//
// The owner shard is the single place where a channel's events are numbered and
// from which they are handed to every shard. Because each shard-to-shard ring is
// FIFO, every subscriber of a channel, on any shard, sees its events in the same
// order.
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

inline unsigned channel_owner(uint64_t hash, unsigned shards) {
    // Mix the high bits in: FNV's low bits alone are weak for short names.
    return unsigned((hash ^ (hash >> 32)) % shards);
}

}  // namespace ringcast

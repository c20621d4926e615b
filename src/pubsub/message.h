#pragma once
// A message as publishers describe it, before it is serialized into
// an Event. Every publish path (HTTP, the Unix socket, batches) fills one of these
// through parse_message() in message_json.h, so they accept exactly the same input.
#include <cstdint>
#include <string>
#include <vector>

namespace ringcast {

// Who among a channel's subscribers receives a message
// (docs/protocol.md#who-receives-a-targeted-message).
struct Target {
    enum class Kind : uint8_t { all, users, roles, permissions, authenticated, subscribers };
    Kind kind = Kind::all;
    bool require_auth = false;
    std::vector<std::string> users;        // kind == users
    std::vector<std::string> roles;        // kind == roles: any of them
    std::vector<std::string> permissions;  // kind == permissions: any of them
    std::vector<std::string> exclude;      // never these users

    // Everyone subscribed, nobody excluded: fan-out needs no per-recipient check.
    bool everyone() const { return kind == Kind::all && !require_auth && exclude.empty(); }
    bool operator==(const Target&) const = default;
};

const char* target_kind_name(Target::Kind k);

struct Message {
    std::string channel;
    std::string event;
    std::string data;          // the data value as compact JSON text
    std::string id;            // empty: the channel's owner numbers the event
    int64_t timestamp_ms = 0;  // 0: when the daemon received it
    Target target;
    uint8_t priority = 5;  // 0..10
    uint64_t ttl_ms = 0;   // 0: no expiry
    bool persistent = false;
    bool retryable = false;
};

// Which cached persistent events to remove (the seeds'
// invalidateClientCaches): those of `channels` (every channel if empty) and, if
// `users` is not empty, only user-specific ones naming one of those users.
struct CacheInvalidation {
    std::vector<std::string> channels;
    std::vector<std::string> users;
};

inline constexpr uint8_t kDefaultPriority = 5;
inline constexpr uint8_t kMaxPriority = 10;

}  // namespace ringcast

#pragma once
// A message as a backend publishes it through ringcast::client::Client: every field
// of docs/protocol.md "Messages", with the daemon's defaults left unset so that the
// request carries only what the caller chose.
//
// Depends on the standard library alone (the functions live in the ringcast_client
// library). The daemon's own message type (src/pubsub/message.h) is a different, private struct:
// this one lives in namespace ringcast::client so that both may meet in one program.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::client {

// Who among a channel's subscribers receives a message (protocol field "target").
enum class Target : uint8_t { all, users, roles, permissions, authenticated, subscribers };

// The protocol's name of a target: "all", "user-specific", "role-based",
// "permission-based", "authenticated", "subscribers".
const char* target_name(Target t);
// The target a protocol name means; nullopt for anything else.
std::optional<Target> parse_target(std::string_view name);

struct Message {
    std::string channel;  // [A-Za-z0-9._:-]{1,128}
    std::string event;    // the SSE event type
    // The payload as JSON text, sent as it is: an object, array, string, number,
    // true, false or null. The client does not parse it (that is the daemon's job,
    // and parsing it twice would halve the publish rate); use json_quote() for a
    // plain string. Line breaks between tokens are turned into spaces, since the
    // protocol is one request per line. Empty: the request has no "data" and the
    // daemon answers that it is required.
    std::string data = "null";
    std::string id;                       // empty: the channel numbers the event
    std::optional<int64_t> timestamp_ms;  // unset: when the daemon receives it
    // Unset: "all", unless exactly one of the three lists below is non-empty, in
    // which case the daemon takes the target that list implies.
    std::optional<Target> target;
    std::vector<std::string> target_users;        // with Target::users
    std::vector<std::string> target_roles;        // with Target::roles: any of them
    std::vector<std::string> target_permissions;  // with Target::permissions: any of them
    std::vector<std::string> exclude_users;       // never these users
    bool require_auth = false;                    // only authenticated connections
    std::optional<int> priority;                  // 0..10; unset: 5
    std::optional<double> ttl_seconds;            // > 0; unset: no expiry
    bool persistent = false;                      // kept for later subscribers
    bool retryable = false;                       // kept for offline targeted users
};

// What a stream token carries (the "token" op, docs/protocol.md "Stream tokens").
struct TokenRequest {
    std::string user_id;                   // required: the stream's user
    std::vector<std::string> roles;        // for allowed_roles and role-based targeting
    std::vector<std::string> permissions;  // for allowed_permissions and permission targeting
    bool subscriber = false;               // for the target "subscribers"
    uint64_t ttl_s = 0;                    // 0: the daemon's auth.token_ttl
};

// `s` as a JSON string literal, quotes included: Message::data for a text payload.
std::string json_quote(std::string_view s);

}  // namespace ringcast::client

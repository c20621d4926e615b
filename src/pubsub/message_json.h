#pragma once
// Reading a Message from JSON: the one validator behind every publish path.
//
//   {"channel": "orders", "event": "order-update", "data": <any JSON>,
//    "id"?, "timestamp"?, "target"?, "targetUsers"?, "targetRoles"?,
//    "targetPermissions"?, "excludeUsers"?, "requireAuth"?, "priority"?, "ttl"?,
//    "persistent"?, "retryable"?}
//
// Errors name the field and what is expected; unknown fields are rejected rather
// than ignored, so a typo never silently changes who receives a message. A key
// given twice counts once, with its first value (docs/protocol.md, Framing).
#include <string>
#include <string_view>

#include <simdjson.h>

#include "core/json_writer.h"
#include "pubsub/message.h"

namespace ringcast {

// Fields of a message object, for "supported: ..." in error messages.
extern const char* const kMessageFields;

// The targeting fields, shared by a publish and an alert (alerts/alert_json.h) so
// that both accept exactly the same targeting: "target", "targetUsers",
// "targetRoles", "targetPermissions", "excludeUsers", "requireAuth". A reader
// passes each targeting key to read_target_field, then calls finish_target once
// to check that the kind and the lists agree.
extern const char* const kTargetFields;
struct TargetFields {
    Target target;
    bool kind_given = false;  // "target" was present
};
bool is_target_field(std::string_view key);
// Reads one targeting field into `in` (is_target_field(key) must hold).
bool read_target_field(std::string_view key, simdjson::dom::element v, TargetFields* in,
                       std::string* error);
// Without "target", a single list says the kind (targetUsers alone: those users);
// then each list must be non-empty for its kind and absent otherwise. On an
// error `*field`, if given, names the field at fault.
bool finish_target(TargetFields* in, std::string* error, std::string* field = nullptr);
// Writes the targeting fields of `t` into the object being written so that they
// read back as `t`: "target" always, each list when not empty, "requireAuth"
// when true.
void write_target_fields(JsonWriter& w, const Target& t);

// Validates one message object. `ignore` names one extra key to skip (the socket
// protocol's "op" and "req" live in the same object); empty for none.
bool parse_message(simdjson::dom::object obj, Message* out, std::string* error,
                   std::initializer_list<std::string_view> ignore = {});

// Validates an invalidation request: {"channels"?: [names], "users"?: [user ids]},
// at least one of them non-empty. `ignore` as for parse_message.
bool parse_invalidation(simdjson::dom::object obj, CacheInvalidation* out, std::string* error,
                        std::initializer_list<std::string_view> ignore = {});
// The same for a whole JSON text (the HTTP body).
bool parse_invalidation_text(simdjson::dom::parser& parser, std::string_view text,
                             CacheInvalidation* out, std::string* error);

// A user id as every part of the protocol accepts it: a non-empty string of at
// most kMaxNameBytes, or an integer (signed or unsigned 64-bit; its decimal text).
bool read_user_id(simdjson::dom::element v, std::string* out);

// Why `what` ("the line", "request body") is not JSON ringcast takes. Numbers stay
// exact, so an integer beyond 64 bits or a decimal beyond a double is refused
// (with a hint) rather than rounded. Nesting deeper than simdjson's 1024 levels
// and lone surrogate escapes ("\ud800") are refused too, each said plainly.
std::string json_error_text(std::string_view what, simdjson::error_code err);

// Parses `text` that must be one JSON object; false with "<what> is not a JSON
// object" or json_error_text(what) in *error. The object lives in `parser`.
bool parse_json_object(simdjson::dom::parser& parser, std::string_view text, std::string_view what,
                       simdjson::dom::object* out, std::string* error);

// Parses a whole JSON text that must be one message object (the HTTP body).
bool parse_message_text(simdjson::dom::parser& parser, std::string_view text, Message* out,
                        std::string* error);

}  // namespace ringcast

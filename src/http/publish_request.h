#pragma once
// The JSON body of a publish, validated. Shared by every publish path so that
// HTTP and (later) the Unix socket accept exactly the same messages.
//
//   {"channel": "alerts", "event": "alert", "data": <any JSON>, "id": "optional"}
#include <string>
#include <string_view>

#include <simdjson.h>

namespace ringcast {

struct PublishRequest {
    std::string channel;
    std::string event;
    std::string data;  // the data value as compact JSON text
    std::string id;    // empty: the channel's owner numbers the event
};

// Parses and validates. On failure returns false and a message naming the field
// and what is expected. `parser` is reused across calls (one per shard).
bool parse_publish_request(simdjson::dom::parser& parser, std::string_view body,
                           PublishRequest* out, std::string* error);

// Validates one already-parsed message object (used for batches later on).
bool parse_publish_object(simdjson::dom::object obj, PublishRequest* out, std::string* error);

}  // namespace ringcast

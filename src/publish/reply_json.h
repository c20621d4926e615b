#pragma once
// The JSON pieces of socket-protocol replies (docs/protocol.md): error objects and
// the "limited" member. Shared by the parts of PublishServer.
#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.h"

namespace ringcast::reply_json {

inline std::string json_string(std::string_view s) {
    std::string out = "\"";
    JsonWriter::escape_into(out, s);
    out += '"';
    return out;
}

inline std::string error_object(std::string_view code, std::string_view message) {
    return "{\"code\":" + json_string(code) + ",\"message\":" + json_string(message) + "}";
}

// A rate_limited error: when a retry may succeed, in ms.
inline std::string rate_error_object(std::string_view message, uint64_t retry_ms) {
    return "{\"code\":\"rate_limited\",\"message\":" + json_string(message) +
           ",\"retryAfterMs\":" + std::to_string(retry_ms) + "}";
}

// ,"limited":["u1",...] (nothing when empty).
inline std::string limited_member(const std::vector<std::string>& limited) {
    if (limited.empty()) return {};
    std::string out = ",\"limited\":[";
    for (size_t i = 0; i < limited.size(); ++i) {
        if (i) out += ',';
        out += json_string(limited[i]);
    }
    out += ']';
    return out;
}

}  // namespace ringcast::reply_json

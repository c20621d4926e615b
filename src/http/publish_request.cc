#include "http/publish_request.h"

#include "pubsub/channel_name.h"
#include "pubsub/sse_format.h"

namespace ringcast {

namespace {

constexpr const char* kSupported = "channel, event, data, id";

}  // namespace

bool parse_publish_object(simdjson::dom::object obj, PublishRequest* out, std::string* error) {
    bool has_channel = false, has_event = false, has_data = false;
    for (auto field : obj) {
        std::string_view key = field.key;
        simdjson::dom::element v = field.value;
        if (key == "channel") {
            std::string_view s;
            if (v.get_string().get(s) != simdjson::SUCCESS || !valid_channel_name(s)) {
                *error = "\"channel\" must be a string matching [A-Za-z0-9._:-]{1,128}";
                return false;
            }
            out->channel.assign(s);
            has_channel = true;
        } else if (key == "event") {
            std::string_view s;
            if (v.get_string().get(s) != simdjson::SUCCESS || !valid_event_name(s)) {
                *error =
                    "\"event\" must be a string of 1 to 128 printable characters without line "
                    "breaks";
                return false;
            }
            out->event.assign(s);
            has_event = true;
        } else if (key == "data") {
            out->data = simdjson::minify(v);
            has_data = true;
        } else if (key == "id") {
            std::string_view s;
            int64_t n;
            if (v.get_string().get(s) == simdjson::SUCCESS) {
                if (!valid_event_id(s)) {
                    *error = "\"id\" must be 1 to 128 bytes without line breaks or NUL";
                    return false;
                }
                out->id.assign(s);
            } else if (v.get_int64().get(n) == simdjson::SUCCESS) {
                out->id = std::to_string(n);
            } else if (uint64_t u; v.get_uint64().get(u) == simdjson::SUCCESS) {
                out->id = std::to_string(u);  // above INT64_MAX: still an integer
            } else if (!v.is_null()) {
                *error = "\"id\" must be a string or an integer";
                return false;
            }
        } else {
            *error = "unknown field \"" + std::string(key) + "\" (supported: " + kSupported + ")";
            return false;
        }
    }
    if (!has_channel) {
        *error = "\"channel\" is required";
        return false;
    }
    if (!has_event) {
        *error = "\"event\" is required";
        return false;
    }
    if (!has_data) {
        *error = "\"data\" is required (any JSON value, null included)";
        return false;
    }
    return true;
}

bool parse_publish_request(simdjson::dom::parser& parser, std::string_view body,
                           PublishRequest* out, std::string* error) {
    if (body.empty()) {
        *error = "request body is empty; expected a JSON object with " + std::string(kSupported);
        return false;
    }
    simdjson::dom::element root;
    auto err = parser.parse(body.data(), body.size(), true).get(root);
    if (err) {
        *error = std::string("request body is not valid JSON: ") + simdjson::error_message(err);
        return false;
    }
    simdjson::dom::object obj;
    if (root.get_object().get(obj) != simdjson::SUCCESS) {
        *error = "request body must be a JSON object";
        return false;
    }
    return parse_publish_object(obj, out, error);
}

}  // namespace ringcast

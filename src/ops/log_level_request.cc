#include "ops/log_level_request.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/log_setup.h"

namespace ringcast {

std::string log_level_members() {
    std::string out = "\"level\":\"";
    JsonWriter::escape_into(out, log_level());
    out += '"';
    return out;
}

bool apply_log_level_request(simdjson::dom::object obj, std::string* members, std::string* error,
                             std::initializer_list<std::string_view> ignore) {
    std::string_view level;
    bool has_level = false;
    for (auto field : obj) {
        const std::string_view key = field.key;
        if (std::find(ignore.begin(), ignore.end(), key) != ignore.end()) continue;
        if (key != "level") {
            *error = fmt::format("unknown field \"{}\" (a log-level request has \"level\")", key);
            return false;
        }
        if (has_level) continue;  // the first counts, as everywhere
        if (field.value.get_string().get(level) != simdjson::SUCCESS) {
            *error = "\"level\" must be a string: trace, debug, info, warn, error, critical or off";
            return false;
        }
        has_level = true;
    }
    if (!has_level) {
        *members = log_level_members();
        return true;
    }
    const std::string was(log_level());
    if (!set_log_level(level, error)) return false;
    *members = log_level_members() + ",\"was\":\"" + was + "\"";
    return true;
}

}  // namespace ringcast

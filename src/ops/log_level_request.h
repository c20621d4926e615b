#pragma once
// The log-level request both protocols serve (the socket's {"op":"log-level"},
// GET and PUT /api/log-level): {"level": NAME} sets the daemon's log level at
// once (core/log_setup.h); without "level" it only says the level in force.
#include <initializer_list>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace ringcast {

// Reads the request (keys in `ignore` skipped) and applies it. The answer's
// members, without braces: "level":"debug","was":"info" ("was" when the
// request gave a level). False, with `error` (an invalid_field message), for an
// unknown key or a name that is not a level.
bool apply_log_level_request(simdjson::dom::object obj, std::string* members, std::string* error,
                             std::initializer_list<std::string_view> ignore = {});

// The answer's members when nothing is asked to change: "level":"info".
std::string log_level_members();

}  // namespace ringcast

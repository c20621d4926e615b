#pragma once
// The daemon's logger: where lines go (stderr), their shape (core/log_format.h),
// the limits on events (core/log_limiter.h), the access log, and the level,
// which may change while the daemon runs (set_log_level: the socket's
// log-level op, PUT /api/log-level, and a configuration reload).
#include <string>
#include <string_view>

#include "core/log_limiter.h"

namespace ringcast {

struct LogOptions {
    std::string level = "info";   // server.log_level
    std::string format = "auto";  // "auto", "json", "text"
    bool access = false;          // [log] access
    LogLimits limits;             // [log] rate_limit, rate_report
};

// Sets up logging once, before the shards start. Returns the format chosen:
// "auto" is "text" when stderr is a terminal, else "json".
std::string setup_logging(const LogOptions& opts);

// The level names --log-level takes: trace, debug, info, warn, error, critical, off.
bool is_log_level(std::string_view name);

// Changes the level of the daemon's log at once, from any thread (the access
// log is not affected). False, with `error`, for a name that is not a level.
// The change is logged, with the level it replaces.
bool set_log_level(std::string_view name, std::string* error);

// The level in force, by name.
std::string_view log_level();

// Used by setup_logging (log_event.cc keeps them).
void set_log_event_options(const LogLimits& limits, bool access);

}  // namespace ringcast

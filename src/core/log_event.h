#pragma once
// Structured log events: one line per event with named fields. In JSON mode
// (core/log_format.h) the fields become members of the line's object; in text
// mode they follow the message as key=value. Events of one kind (their message)
// are rate-limited per thread (core/log_limiter.h), so a flood of refusals
// cannot fill the disk; what was held back is summed up in one line.
//
//   log_event(spdlog::level::info, "stream refused",
//             {{"reason", "ip_limit"}, {"ip", addr}, {"conn", id}});
//
// The shard of a shard thread is added to every line of that thread by the
// formatter (set_log_shard), so callers do not pass it.
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <spdlog/common.h>

namespace ringcast {

struct LogField {
    std::string_view key;
    std::string value;
    bool number = false;  // written bare in JSON

    LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
    LogField(std::string_view k, const char* v) : key(k), value(v) {}
    LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
    template <std::integral T>
    requires(!std::same_as<T, bool>) LogField(std::string_view k, T v)
        : key(k), value(std::to_string(v)), number(true) {}
};

using LogFields = std::initializer_list<LogField>;

// True when a line at `level` would be written (to skip building costly fields).
bool log_enabled(spdlog::level::level_enum level);

// An event of kind `what` (a fixed message: it names the kind for the limiter
// and the summary line) at `level`, rate-limited per thread and kind.
void log_event(spdlog::level::level_enum level, std::string_view what, LogFields fields);

// The access log ([log] access): a line of `what` at info whatever the log
// level, never rate-limited (it must be complete). Nothing when it is off.
bool access_log_enabled();
void log_access(std::string_view what, LogFields fields);

// Lines of this thread carry "shard": `id` (called once by each shard thread).
void set_log_shard(unsigned id);

// Writes this thread's summaries of suppressed lines that are due. Shards call
// it from a timer, so a flood that stopped is still summed up.
void flush_log_summaries();

}  // namespace ringcast

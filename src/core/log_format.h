#pragma once
// The two shapes of a log line (core/log_event.h):
//   json: {"ts":"2026-12-07T14:45:01.123Z","level":"warn","msg":"...","shard":0,...}
//   text: 2026-12-07T15:45:01.123 warn ... key=value key="a value"
// JSON strings are escaped per RFC 8259, and bytes that are not UTF-8 become
// U+FFFD, so every line parses whatever a client sent. Both are spdlog
// formatters, set on the daemon's sink by core/log_setup.cc.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>

#include "core/log_event.h"

namespace ringcast {

// `s` as the inside of a JSON string (no quotes), invalid UTF-8 replaced.
void append_json_string(std::string& out, std::string_view s);
// `s` as a text-mode value: bare when it is a plain word, else a quoted JSON string.
void append_text_value(std::string& out, std::string_view s);

// The structured fields of the line being written on this thread, set by
// log_event around the call into spdlog (sinks format on the calling thread).
class CurrentLogFields {
public:
    explicit CurrentLogFields(std::span<const LogField> fields);
    ~CurrentLogFields();
    CurrentLogFields(const CurrentLogFields&) = delete;
    CurrentLogFields& operator=(const CurrentLogFields&) = delete;

private:
    std::span<const LogField> _saved;
};

// The shard of this thread for the formatters; -1: not a shard thread.
void set_log_format_shard(int shard);

// "warn" for spdlog's "warning", "error" for "err": the names of --log-level.
std::string_view log_level_text(spdlog::level::level_enum level);

std::unique_ptr<spdlog::formatter> make_json_formatter();
// The level in colour where the sink is a colour terminal's.
std::unique_ptr<spdlog::formatter> make_text_formatter();

}  // namespace ringcast

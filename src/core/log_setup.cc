#include "core/log_setup.h"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/log_format.h"

namespace ringcast {

namespace {

constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                        "error", "critical", "off"};

spdlog::level::level_enum level_of(std::string_view name) {
    if (name == "warn") return spdlog::level::warn;
    if (name == "error") return spdlog::level::err;
    return spdlog::level::from_str(std::string(name));
}

}  // namespace

bool is_log_level(std::string_view name) {
    for (std::string_view l : kLevels)
        if (l == name) return true;
    return false;
}

std::string setup_logging(const LogOptions& opts) {
    std::string format = opts.format;
    if (format == "auto") format = isatty(STDERR_FILENO) ? "text" : "json";
    spdlog::sink_ptr sink;
    if (format == "json") {
        // A log shipper or journald reads these: no colour codes.
        sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        sink->set_formatter(make_json_formatter());
    } else {
        sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        sink->set_formatter(make_text_formatter());
    }
    auto logger = std::make_shared<spdlog::logger>("ringcastd", sink);
    logger->set_level(level_of(opts.level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
    set_log_event_options(opts.limits, opts.access);
    return format;
}

bool set_log_level(std::string_view name, std::string* error) {
    if (!is_log_level(name)) {
        *error = fmt::format(
            "\"{}\" is not a log level (trace, debug, info, warn, error, "
            "critical or off)",
            name);
        return false;
    }
    auto logger = spdlog::default_logger();
    const std::string_view was = log_level_text(logger->level());
    const spdlog::level::level_enum to = level_of(name);
    // Logged at info under whichever of the two levels shows it.
    if (to > spdlog::level::info) logger->info("log level: {} (was {})", name, was);
    logger->set_level(to);
    if (to <= spdlog::level::info) logger->info("log level: {} (was {})", name, was);
    return true;
}

std::string_view log_level() {
    return log_level_text(spdlog::default_logger_raw()->level());
}

}  // namespace ringcast

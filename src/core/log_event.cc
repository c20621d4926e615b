#include "core/log_event.h"

#include <atomic>
#include <memory>
#include <vector>

#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/log_format.h"
#include "core/log_limiter.h"
#include "core/log_setup.h"

namespace ringcast {

namespace {

// Written once by setup_logging, before any other thread starts.
LogLimits g_limits;
bool g_access = false;

LogLimiter& thread_limiter() {
    thread_local LogLimiter limiter(g_limits);
    return limiter;
}

void write(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view what,
           std::span<const LogField> fields) {
    CurrentLogFields scope(fields);
    logger.log(level, spdlog::string_view_t(what.data(), what.size()));
}

void write_due(LogLimiter& limiter, uint64_t now_ms) {
    for (const LogLimiter::Summary& s : limiter.take_due(now_ms)) {
        const LogField fields[] = {{"event", s.kind}, {"suppressed", s.suppressed}};
        write(*spdlog::default_logger_raw(), s.level, LogLimiter::summary_text(s), fields);
    }
}

}  // namespace

void set_log_event_options(const LogLimits& limits, bool access) {
    g_limits = limits;
    g_access = access;
}

bool log_enabled(spdlog::level::level_enum level) {
    return spdlog::default_logger_raw()->should_log(level);
}

void log_event(spdlog::level::level_enum level, std::string_view what, LogFields fields) {
    spdlog::logger& logger = *spdlog::default_logger_raw();
    if (!logger.should_log(level)) return;
    LogLimiter& limiter = thread_limiter();
    const uint64_t now = mono_ms();
    if (limiter.suppressing()) write_due(limiter, now);
    if (!limiter.admit(what, level, now)) return;
    write(logger, level, what, {fields.begin(), fields.size()});
}

bool access_log_enabled() {
    return g_access;
}

void log_access(std::string_view what, LogFields fields) {
    if (!g_access) return;
    // Through the sink directly: the access log does not follow the log level.
    spdlog::logger& logger = *spdlog::default_logger_raw();
    spdlog::details::log_msg msg(spdlog::source_loc{}, logger.name(), spdlog::level::info,
                                 spdlog::string_view_t(what.data(), what.size()));
    // Marked, so a shipper can route these lines apart: "log":"access".
    std::vector<LogField> all;
    all.reserve(fields.size() + 1);
    all.emplace_back("log", "access");
    all.insert(all.end(), fields.begin(), fields.end());
    CurrentLogFields scope(all);
    for (const spdlog::sink_ptr& sink : logger.sinks())
        sink->log(msg);
}

void set_log_shard(unsigned id) {
    set_log_format_shard(int(id));
}

void flush_log_summaries() {
    LogLimiter& limiter = thread_limiter();
    if (limiter.suppressing()) write_due(limiter, mono_ms());
}

}  // namespace ringcast

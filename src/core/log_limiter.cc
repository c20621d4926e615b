#include "core/log_limiter.h"

#include <algorithm>

#include <fmt/format.h>

namespace ringcast {

bool LogLimiter::admit(std::string_view kind, spdlog::level::level_enum level, uint64_t now_ms) {
    if (_limits.per_second == 0) return true;
    const double burst = _limits.per_second;
    auto b = std::find_if(_buckets.begin(), _buckets.end(),
                          [&](const Bucket& x) { return x.kind == kind; });
    if (b == _buckets.end()) {
        _buckets.push_back({std::string(kind), burst, now_ms});
        b = _buckets.end() - 1;
    }
    if (now_ms > b->refilled_ms) {
        b->tokens = std::min(
            burst, b->tokens + double(now_ms - b->refilled_ms) * _limits.per_second / 1000.0);
        b->refilled_ms = now_ms;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return true;
    }
    if (b->suppressed++ == 0) {
        b->first_suppressed_ms = now_ms;
        ++_suppressing;
    }
    b->level = std::max(b->level, level);
    return false;
}

std::vector<LogLimiter::Summary> LogLimiter::take_due(uint64_t now_ms) {
    std::vector<Summary> out;
    if (_suppressing == 0) return out;
    for (Bucket& b : _buckets) {
        if (b.suppressed == 0 || now_ms < b.first_suppressed_ms + _limits.report_ms) continue;
        out.push_back({b.kind, b.level, b.suppressed, now_ms - b.first_suppressed_ms});
        b.suppressed = 0;
        b.level = spdlog::level::trace;
        --_suppressing;
    }
    return out;
}

std::string LogLimiter::summary_text(const Summary& s) {
    return fmt::format("suppressed {} '{}' lines in the last {} s", s.suppressed, s.kind,
                       (s.over_ms + 500) / 1000);
}

}  // namespace ringcast

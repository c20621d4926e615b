#pragma once
// A token bucket per kind of log event ([log] rate_limit lines per second, the
// same as a burst), so that a flood of one kind (refusals under attack, slow
// readers after a network hiccup) writes a bounded number of lines. Lines held
// back are counted and summed up once per report interval:
//   suppressed 12345 'stream refused' lines in the last 10 s
// One limiter per thread (core/log_event.cc keeps it thread_local): no locks;
// each shard has its own budget. Time is passed in, so tests drive it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/common.h>

namespace ringcast {

struct LogLimits {
    uint32_t per_second = 20;     // lines of one kind per second; 0: no limit
    uint64_t report_ms = 10'000;  // how often suppressed lines are summed up
};

class LogLimiter {
public:
    explicit LogLimiter(LogLimits limits) : _limits(limits) {}

    // True: write this line of `kind`; false: it is suppressed (and counted).
    bool admit(std::string_view kind, spdlog::level::level_enum level, uint64_t now_ms);

    struct Summary {
        std::string kind;
        spdlog::level::level_enum level;  // the highest of the suppressed lines
        uint64_t suppressed;
        uint64_t over_ms;  // since the first suppressed line
    };
    // Summaries due at `now_ms` (a kind's first suppressed line is report_ms
    // old), which are then reset. Cheap when nothing is suppressed.
    std::vector<Summary> take_due(uint64_t now_ms);
    bool suppressing() const { return _suppressing > 0; }

    // The summary line's message.
    static std::string summary_text(const Summary& s);

private:
    struct Bucket {
        std::string kind;
        double tokens;
        uint64_t refilled_ms;
        uint64_t suppressed = 0;
        uint64_t first_suppressed_ms = 0;
        spdlog::level::level_enum level = spdlog::level::trace;
    };

    LogLimits _limits;
    std::vector<Bucket> _buckets;  // a few kinds: a scan beats a hash
    size_t _suppressing = 0;       // buckets with suppressed > 0
};

}  // namespace ringcast

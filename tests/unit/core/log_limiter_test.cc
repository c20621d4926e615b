// LogLimiter (core/log_limiter.h): a burst of rate_limit lines per kind, then
// a refill of rate_limit a second; what it holds back summed up once per
// report interval, per kind; and log_event's use of it on a thread.
#include "core/log_limiter.h"

#include <cstdlib>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "core/log_event.h"
#include "core/log_format.h"
#include "core/log_setup.h"

namespace ringcast {
namespace {

constexpr auto kInfo = spdlog::level::info;

TEST(LogLimiter, ABurstThenTheRate) {
    LogLimiter l({.per_second = 10, .report_ms = 10'000});
    int admitted = 0;
    for (int i = 0; i < 100; ++i)
        admitted += l.admit("stream refused", kInfo, 1000);
    EXPECT_EQ(admitted, 10);
    EXPECT_TRUE(l.suppressing());
    // 500 ms later: 5 more.
    admitted = 0;
    for (int i = 0; i < 100; ++i)
        admitted += l.admit("stream refused", kInfo, 1500);
    EXPECT_EQ(admitted, 5);
    // Never more than the burst, however long it was quiet.
    admitted = 0;
    for (int i = 0; i < 100; ++i)
        admitted += l.admit("stream refused", kInfo, 100'000);
    EXPECT_EQ(admitted, 10);
}

TEST(LogLimiter, KindsHaveTheirOwnBudget) {
    LogLimiter l({.per_second = 2, .report_ms = 1000});
    EXPECT_TRUE(l.admit("a", kInfo, 0));
    EXPECT_TRUE(l.admit("a", kInfo, 0));
    EXPECT_FALSE(l.admit("a", kInfo, 0));
    EXPECT_TRUE(l.admit("b", kInfo, 0));
    EXPECT_TRUE(l.admit("b", kInfo, 0));
}

TEST(LogLimiter, SuppressedLinesAreSummedUpOncePerInterval) {
    LogLimiter l({.per_second = 1, .report_ms = 10'000});
    l.admit("stream refused", kInfo, 0);
    for (int i = 0; i < 12345; ++i)
        l.admit("stream refused", spdlog::level::warn, 100);
    l.admit("slow reader disconnected", kInfo, 0);
    l.admit("slow reader disconnected", kInfo, 5000);  // a token came back: admitted
    EXPECT_TRUE(l.take_due(10'099).empty()) << "the first suppressed line is not 10 s old";
    auto due = l.take_due(10'100);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].kind, "stream refused");
    EXPECT_EQ(due[0].suppressed, 12345u);
    EXPECT_EQ(due[0].level, spdlog::level::warn);
    EXPECT_EQ(LogLimiter::summary_text(due[0]),
              "suppressed 12345 'stream refused' lines in the last 10 s");
    EXPECT_FALSE(l.suppressing());
    EXPECT_TRUE(l.take_due(50'000).empty()) << "said once";
}

TEST(LogLimiter, ZeroIsNoLimit) {
    LogLimiter l({.per_second = 0, .report_ms = 1000});
    for (int i = 0; i < 10'000; ++i)
        ASSERT_TRUE(l.admit("x", kInfo, 0));
    EXPECT_FALSE(l.suppressing());
}

// log_event on a fresh thread (its own limiter): a flood writes the burst, and
// flush_log_summaries, once the interval has passed, the summary.
TEST(LogLimiter, AFloodThroughLogEventIsBoundedAndSummedUp) {
    std::ostringstream out;
    auto saved = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    sink->set_formatter(make_json_formatter());
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
    set_log_event_options({.per_second = 5, .report_ms = 1}, false);
    std::thread([] {
        for (int i = 0; i < 500; ++i)
            log_event(spdlog::level::info, "stream refused", {{"ip", "192.0.2.1"}});
        // The interval is 1 ms: wait it out on the clock the limiter reads.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        flush_log_summaries();
    }).join();
    spdlog::set_default_logger(saved);
    set_log_event_options({}, false);
    std::istringstream in(out.str());
    int refused = 0, summaries = 0, suppressed = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.find("\"msg\":\"stream refused\"") != std::string::npos) ++refused;
        if (line.find("lines in the last") != std::string::npos) {
            ++summaries;
            EXPECT_NE(line.find("\"event\":\"stream refused\""), std::string::npos) << line;
            const size_t at = line.find("\"suppressed\":");
            ASSERT_NE(at, std::string::npos) << line;
            suppressed += std::atoi(line.c_str() + at + 13);
        }
    }
    EXPECT_GE(refused, 5);
    EXPECT_LE(refused, 10) << "a burst of 5, and at most a few refilled meanwhile";
    // One summary, or more when the loop itself outlasts the 1 ms interval (a
    // slow build): every line is written or counted in a summary, once.
    EXPECT_GE(summaries, 1) << out.str();
    EXPECT_EQ(refused + suppressed, 500) << out.str();
}

}  // namespace
}  // namespace ringcast

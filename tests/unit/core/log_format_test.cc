// The log line formats (core/log_format.h) through a real spdlog logger and
// log_event (core/log_event.h): JSON lines that parse whatever the message and
// fields hold (quotes, control characters, invalid UTF-8), and key=value text.
#include "core/log_format.h"

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "core/log_event.h"
#include "core/log_setup.h"
#include "support/random.h"

namespace ringcast {
namespace {

using namespace std::string_literals;

// The daemon's logger, writing to a string, with `formatter`; restores the
// previous default logger when done.
class CapturedLog {
public:
    explicit CapturedLog(std::unique_ptr<spdlog::formatter> formatter, LogLimits limits = {0, 1000},
                         bool access = false)
        : _saved(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(_out);
        sink->set_formatter(std::move(formatter));
        auto logger = std::make_shared<spdlog::logger>("test", sink);
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(logger);
        set_log_event_options(limits, access);
    }
    ~CapturedLog() {
        spdlog::set_default_logger(_saved);
        set_log_event_options({}, false);
    }
    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        std::istringstream in(_out.str());
        for (std::string l; std::getline(in, l);)
            out.push_back(l);
        return out;
    }

private:
    std::ostringstream _out;
    std::shared_ptr<spdlog::logger> _saved;
};

std::string json_string(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

TEST(LogJson, EscapesQuotesControlsAndDelete) {
    EXPECT_EQ(json_string("say \"hi\" \\ now"), R"(say \"hi\" \\ now)");
    EXPECT_EQ(json_string("a\nb\rc\td"), R"(a\nb\rc\td)");
    EXPECT_EQ(json_string("\x01\x1f\x7f"s), R"(\u0001\u001f\u007f)");
    EXPECT_EQ(json_string("nul\0end"s), R"(nul\u0000end)");
}

TEST(LogJson, KeepsUtf8AndReplacesWhatIsNot) {
    EXPECT_EQ(json_string("café 😀 ✓"), "café 😀 ✓");
    EXPECT_EQ(json_string("\xff"), R"(\ufffd)");
    EXPECT_EQ(json_string("a\xe2\x82"), R"(a\ufffd\ufffd)");                    // truncated €
    EXPECT_EQ(json_string("\xc0\xaf"), R"(\ufffd\ufffd)");                      // overlong '/'
    EXPECT_EQ(json_string("\xed\xa0\x80"), R"(\ufffd\ufffd\ufffd)");            // a surrogate
    EXPECT_EQ(json_string("\xf4\x90\x80\x80"), R"(\ufffd\ufffd\ufffd\ufffd)");  // > U+10FFFF
    EXPECT_EQ(json_string("\xe2\x82\xac"), "€");
}

TEST(LogJson, AnyBytesMakeAStringSimdjsonReads) {
    test::Rng rng(test::test_seed());
    simdjson::dom::parser parser;
    for (int i = 0; i < 2000; ++i) {
        SCOPED_TRACE(i);
        std::string bytes(rng.below(40), '\0');
        for (char& b : bytes)
            b = char(rng.below(256));
        std::string doc = "\"" + json_string(bytes) + "\"";
        std::string_view back;
        ASSERT_EQ(parser.parse(doc).get_string().get(back), simdjson::SUCCESS) << doc;
    }
}

TEST(LogJson, AnEventIsOneObjectWithItsFields) {
    CapturedLog log(make_json_formatter());
    log_event(spdlog::level::warn, "stream \"refused\"\n",
              {{"reason", "ip_limit"},
               {"ip", "203.0.113.9"},
               {"status", 429},
               {"user", ""},  // not there: left out
               {"path", "/s\x01\xff"}});
    spdlog::error("plain {} line", 1);
    const auto lines = log.lines();
    ASSERT_EQ(lines.size(), 2u);
    simdjson::dom::parser parser;
    simdjson::dom::object o;
    ASSERT_EQ(parser.parse(lines[0]).get_object().get(o), simdjson::SUCCESS) << lines[0];
    std::string_view ts, level, msg, reason, ip, path;
    int64_t status = 0;
    ASSERT_EQ(o["ts"].get_string().get(ts), simdjson::SUCCESS);
    EXPECT_EQ(ts.size(), 24u) << ts;  // 2026-12-07T14:45:01.123Z
    EXPECT_EQ(ts.back(), 'Z');
    ASSERT_EQ(o["level"].get_string().get(level), simdjson::SUCCESS);
    EXPECT_EQ(level, "warn");
    ASSERT_EQ(o["msg"].get_string().get(msg), simdjson::SUCCESS);
    EXPECT_EQ(msg, "stream \"refused\"\n");
    ASSERT_EQ(o["reason"].get_string().get(reason), simdjson::SUCCESS);
    EXPECT_EQ(reason, "ip_limit");
    ASSERT_EQ(o["ip"].get_string().get(ip), simdjson::SUCCESS);
    EXPECT_EQ(ip, "203.0.113.9");
    ASSERT_EQ(o["status"].get_int64().get(status), simdjson::SUCCESS) << "a number, bare";
    EXPECT_EQ(status, 429);
    ASSERT_EQ(o["path"].get_string().get(path), simdjson::SUCCESS);
    EXPECT_EQ(path, "/s\x01\xef\xbf\xbd");
    EXPECT_EQ(o["user"].error(), simdjson::NO_SUCH_FIELD);
    EXPECT_EQ(o["shard"].error(), simdjson::NO_SUCH_FIELD) << "not a shard thread";

    ASSERT_EQ(parser.parse(lines[1]).get_object().get(o), simdjson::SUCCESS) << lines[1];
    ASSERT_EQ(o["level"].get_string().get(level), simdjson::SUCCESS);
    EXPECT_EQ(level, "error");
    ASSERT_EQ(o["msg"].get_string().get(msg), simdjson::SUCCESS);
    EXPECT_EQ(msg, "plain 1 line");
}

TEST(LogJson, AShardThreadsLinesNameTheShard) {
    CapturedLog log(make_json_formatter());
    std::thread([] {
        set_log_shard(3);
        log_event(spdlog::level::info, "slow reader disconnected", {{"conn", "c3-7"}});
        spdlog::info("shard-free text");
    }).join();
    const auto lines = log.lines();
    ASSERT_EQ(lines.size(), 2u);
    simdjson::dom::parser parser;
    for (const std::string& l : lines) {
        int64_t shard = -1;
        ASSERT_EQ(parser.parse(l)["shard"].get_int64().get(shard), simdjson::SUCCESS) << l;
        EXPECT_EQ(shard, 3);
    }
}

TEST(LogText, FieldsFollowTheMessageAsKeyValue) {
    CapturedLog log(make_text_formatter());
    log_event(
        spdlog::level::info, "request refused",
        {{"status", 401}, {"ip", "::1"}, {"message", "a \"token\" is required"}, {"user", ""}});
    const auto lines = log.lines();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find(" request refused status=401 ip=::1 message=\"a \\\"token\\\" is "
                            "required\""),
              std::string::npos)
        << lines[0];
    EXPECT_EQ(lines[0].find("user="), std::string::npos) << lines[0];
}

TEST(LogAccess, WrittenWhateverTheLevelAndOnlyWhenOn) {
    {
        CapturedLog off(make_json_formatter());
        log_access("request", {{"path", "/api/stats"}});
        EXPECT_TRUE(off.lines().empty());
    }
    CapturedLog on(make_json_formatter(), {1, 1000}, true);
    spdlog::default_logger()->set_level(spdlog::level::err);
    for (int i = 0; i < 5; ++i)
        log_access("request", {{"path", "/api/stats"}, {"status", 200}});
    const auto lines = on.lines();
    ASSERT_EQ(lines.size(), 5u) << "the access log is not rate-limited";
    simdjson::dom::parser parser;
    std::string_view kind;
    ASSERT_EQ(parser.parse(lines[0])["log"].get_string().get(kind), simdjson::SUCCESS) << lines[0];
    EXPECT_EQ(kind, "access");
}

TEST(LogLevel, SetLogLevelChangesWhatIsWrittenAndRefusesBadNames) {
    CapturedLog log(make_json_formatter());
    std::string error;
    ASSERT_TRUE(set_log_level("info", &error)) << error;
    log_event(spdlog::level::debug, "stream opened", {{"conn", "c0-1"}});
    ASSERT_TRUE(set_log_level("debug", &error)) << error;
    EXPECT_EQ(log_level(), "debug");
    log_event(spdlog::level::debug, "stream opened", {{"conn", "c0-2"}});
    EXPECT_FALSE(set_log_level("loud", &error));
    EXPECT_NE(error.find("\"loud\" is not a log level"), std::string::npos) << error;
    EXPECT_EQ(log_level(), "debug");
    const auto lines = log.lines();
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_NE(lines[0].find("log level: info (was trace)"), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("log level: debug (was info)"), std::string::npos) << lines[1];
    EXPECT_NE(lines[2].find("c0-2"), std::string::npos) << lines[2];
}

}  // namespace
}  // namespace ringcast

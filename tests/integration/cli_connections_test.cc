// `ringcast connections` against the real daemon: every stream on both shards
// as a table (anonymous ones too), pages that follow the "more:" line to the
// end, --json as the socket's reply, and bad limits and cursors refused.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_support.h"
#include "daemon_process.h"
#include "json.h"
#include "keeps_support.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

class CliConnections : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(_d.start({.shards = 2})) << _d.error();
        _streams = open_on_both_shards(_d.port(), "/api/sse/stream?channels=orders,news");
        for (auto& s : _streams)
            _ids.push_back((*Json::parse(s->events()[0].event.data))["connectionId"].as_string());
        // The daemon's order: by shard, then serial.
        auto key = [](const std::string& id) {
            const size_t dash = id.find('-');
            return std::make_pair(std::stoul(id.substr(1, dash - 1)),
                                  std::stoull(id.substr(dash + 1)));
        };
        std::sort(_ids.begin(), _ids.end(),
                  [&](const std::string& a, const std::string& b) { return key(a) < key(b); });
    }
    DaemonProcess _d;
    std::vector<std::unique_ptr<SseClient>> _streams;
    std::vector<std::string> _ids;
};

TEST_F(CliConnections, ATableOfEveryStream) {
    CliRun r = run_on(_d, {"connections"});
    ASSERT_EQ(r.code, 0) << r.describe();
    const auto lines = lines_of(r.out);
    ASSERT_FALSE(lines.empty());
    const std::string n = std::to_string(_ids.size());
    EXPECT_EQ(lines[0], n + " connections of " + n) << r.out;
    EXPECT_TRUE(contains(r.out, "queued bytes")) << r.out;
    EXPECT_FALSE(contains(r.out, "more:")) << r.out;
    for (const std::string& id : _ids) {
        std::vector<std::string> row = row_of(lines, id);
        ASSERT_GE(row.size(), 4u) << id << " not listed:\n" << r.out;
        EXPECT_TRUE(std::find(row.begin(), row.end(), "(anonymous)") != row.end()) << r.out;
        EXPECT_TRUE(std::find(row.begin(), row.end(), "orders,news") != row.end()) << r.out;
    }
}

TEST_F(CliConnections, PagesFollowTheMoreLineToTheEnd) {
    std::vector<std::string> seen;
    std::vector<std::string> args = {"connections", "--limit", "1"};
    for (int pages = 0; pages < 10; ++pages) {
        CliRun r = run_on(_d, args);
        ASSERT_EQ(r.code, 0) << r.describe();
        const auto lines = lines_of(r.out);
        for (const std::string& id : _ids)
            if (!row_of(lines, id).empty()) seen.push_back(id);
        const std::string more = "more: ringcast connections --after ";
        if (!contains(r.out, more)) break;
        const std::string& last = lines.back();
        ASSERT_TRUE(last.starts_with(more)) << r.out;
        std::string after = last.substr(more.size(), last.find(' ', more.size()) - more.size());
        EXPECT_EQ(after, seen.back());
        EXPECT_TRUE(last.ends_with(" --limit 1")) << last;
        args = {"connections", "--limit", "1", "--after", after};
    }
    EXPECT_EQ(seen, _ids);
    CliRun end = run_on(_d, {"connections", "--after", _ids.back()});
    ASSERT_EQ(end.code, 0) << end.describe();
    EXPECT_TRUE(contains(end.out, "no connections after " + _ids.back())) << end.out;
}

TEST_F(CliConnections, JsonIsTheSocketsReply) {
    CliRun r = run_on(_d, {"connections", "--json", "--limit", "1"});
    ASSERT_EQ(r.code, 0) << r.describe();
    Json j = parse_json(r.out);
    EXPECT_TRUE(j["ok"].as_bool());
    EXPECT_EQ(j["total"].as_int(), int64_t(_ids.size()));
    ASSERT_GE(_ids.size(), 2u);
    ASSERT_EQ(j["connections"].size(), 1u);
    EXPECT_EQ(j["connections"][0]["connectionId"].as_string(), _ids[0]);
    EXPECT_EQ(j["next"].as_string(), _ids[0]);
    Json all = parse_json(run_on(_d, {"connections", "--json"}).out);
    EXPECT_EQ(all["connections"].size(), _ids.size());
    EXPECT_TRUE(all["next"].is_null());
}

TEST_F(CliConnections, BadLimitsAndCursorsAreRefused) {
    for (const char* limit : {"0", "1001", "x"}) {
        CliRun r = run_on(_d, {"connections", "--limit", limit});
        EXPECT_EQ(r.code, 2) << limit << "\n" << r.describe();
        EXPECT_TRUE(contains(r.err, "--limit")) << r.describe();
    }
    CliRun r = run_on(_d, {"connections", "--after", "nonsense"});
    EXPECT_EQ(r.code, 1) << r.describe();
    EXPECT_TRUE(contains(r.err, "invalid_field") || contains(r.err, "\"after\"")) << r.describe();
}

}  // namespace
}  // namespace ringcast::itest

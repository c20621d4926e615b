// The persistent-event cache from the `ringcast` tool and the C++ client,
// against the real daemon: `ringcast invalidate` and Client::invalidate remove
// cached events by channel, by user and by both (a stream opened afterwards
// no longer gets them, which a live marker proves without sleeping), refusals
// exit 1 / answer with the daemon's code, and `ringcast stats` shows what the
// log keeps (history, cache, mailboxes), the store and the catch-ups with the
// numbers of the stats document.
#include <ringcast/client.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_support.h"
#include "daemon_process.h"
#include "http_client.h"
#include "json.h"
#include "keeps_support.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

using Strings = std::vector<std::string>;

class CliCache : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(_d.start({.config = keeps_config()})) << _d.error();
        _api = std::make_unique<HttpClient>(_d.port());
    }
    // `ringcast publish` of a persistent event with JSON `data` and more flags.
    void persist(const std::string& channel, const std::string& data, Strings more = {}) {
        Strings args = {"publish", "-c", channel, "-e", "p", "-d", data, "--persistent"};
        args.insert(args.end(), more.begin(), more.end());
        CliRun r = run_on(_d, args);
        ASSERT_EQ(r.code, 0) << r.describe();
    }
    // What a new stream on `channel` (as `user`, if given) gets from the cache.
    Strings cached_for(const std::string& channel, const std::string& user = {}) {
        auto s = open_stream(_d.port(), stream_target(channel, user));
        read_past_marker(*_api, *s, channel);
        return before_marker(*s);
    }
    Json stats_json() {
        CliRun r = run_on(_d, {"stats", "--json"});
        EXPECT_EQ(r.code, 0) << r.describe();
        return parse_json(r.out)["stats"];
    }
    DaemonProcess _d;
    std::unique_ptr<HttpClient> _api;
};

TEST_F(CliCache, InvalidateByChannelByUserAndBoth) {
    persist("a", R"("a1")");
    persist("a", R"("a2")");
    persist("b", R"("b-42")", {"--user", "42"});
    persist("b", R"("b-7")", {"--user", "7"});
    persist("b", R"("b-all")");
    ASSERT_EQ(cached_for("a"), (Strings{R"("a1")", R"("a2")"}));

    CliRun r = run_on(_d, {"invalidate", "--channel", "a"});
    ASSERT_EQ(r.code, 0) << r.describe();
    EXPECT_EQ(r.out, "removed 2 cached events\n");
    EXPECT_TRUE(cached_for("a").empty());

    CliRun j = run_on(_d, {"invalidate", "--user", "42", "--json"});
    ASSERT_EQ(j.code, 0) << j.describe();
    Json v = parse_json(j.out);
    EXPECT_TRUE(v["ok"].as_bool());
    EXPECT_EQ(v["removed"].as_int(), 1);
    EXPECT_EQ(cached_for("b", "42"), (Strings{R"("b-all")"}));
    EXPECT_EQ(cached_for("b", "7"), (Strings{R"("b-7")", R"("b-all")"}));

    // Both: only those users' events on those channels ("a,b" splits; user ids do not).
    CliRun none = run_on(_d, {"invalidate", "-c", "a,b", "--user", "nobody"});
    ASSERT_EQ(none.code, 0) << none.describe();
    EXPECT_EQ(none.out, "removed 0 cached events\n");
    CliRun one = run_on(_d, {"invalidate", "-c", "b", "--user", "7"});
    ASSERT_EQ(one.code, 0) << one.describe();
    EXPECT_EQ(one.out, "removed 1 cached event\n");
    EXPECT_EQ(cached_for("b", "7"), (Strings{R"("b-all")"}));

    Json st = stats_json();
    EXPECT_EQ(st["cacheSize"].as_int(), 1);
    EXPECT_EQ(st["cache"]["invalidated"].as_int(), 4);
}

TEST_F(CliCache, RefusedInvalidateExitsOneWithTheDaemonsMessage) {
    CliRun r = run_on(_d, {"invalidate", "--channel", "bad name"});
    EXPECT_EQ(r.code, 1) << r.describe();
    EXPECT_TRUE(contains(r.err, "invalidate request: invalid_field")) << r.describe();
    EXPECT_TRUE(contains(r.err, "\"bad name\" is not a channel name")) << r.describe();
    CliRun j = run_on(_d, {"invalidate", "--json", "--user", ""});
    EXPECT_EQ(j.code, 1) << j.describe();
    Json v = parse_json(j.out);
    EXPECT_FALSE(v["ok"].as_bool());
    EXPECT_EQ(v["error"]["code"].as_string(), "invalid_field");
}

TEST_F(CliCache, StatsShowKeptEventsStoreAndCatchUps) {
    persist("alerts", R"("for-all")");
    persist("alerts", R"("for-42")", {"--user", "42"});
    // Retryable, to a user with no stream: it waits in 9's mailbox.
    CliRun mail = run_on(_d, {"publish", "-c", "news", "-e", "m", "-d", "1", "--retryable",
                              "--user", "9", "--json"});
    ASSERT_EQ(mail.code, 0) << mail.describe();
    EXPECT_EQ(parse_json(mail.out)["sent"].as_int(), 0);
    ASSERT_EQ(cached_for("alerts"), (Strings{R"("for-all")"}));

    Json st = stats_json();
    ASSERT_EQ(st["cacheSize"].as_int(), 2);
    ASSERT_EQ(st["mailboxes"]["events"].as_int(), 1);
    CliRun r = run_on(_d, {"stats"});
    ASSERT_EQ(r.code, 0) << r.describe();
    for (const char* title : {"Totals", "Kept events", "Store", "Catch-ups"})
        EXPECT_FALSE(section_of(r.out, title).empty()) << title << "\n" << r.out;
    auto n = [&](const char* object, const char* key) {
        return std::to_string(st[object][key].as_int());
    };
    Strings totals = section_of(r.out, "Totals");
    EXPECT_EQ(row_of(totals, "cacheSize"), (Strings{"cacheSize", "2"})) << r.out;

    // History, cache and mailboxes side by side; a blank where one lacks a row.
    Strings kept = section_of(r.out, "Kept events");
    auto row = [&](const std::string& first) { return row_of(kept, first); };
    EXPECT_EQ(row("figure"), (Strings{"figure", "history", "cache", "mailboxes"})) << r.out;
    EXPECT_EQ(row("channels"),
              (Strings{"channels", n("history", "channels"), n("cache", "channels")}))
        << r.out;
    EXPECT_EQ(row("users"), (Strings{"users", "1"})) << r.out;
    EXPECT_EQ(row("events"), (Strings{"events", n("history", "events"), "2", "1"})) << r.out;
    EXPECT_EQ(row("bytes"), (Strings{"bytes", n("history", "bytes"), n("cache", "bytes"),
                                     n("mailboxes", "bytes")}))
        << r.out;
    EXPECT_EQ(row("invalidated"), (Strings{"invalidated", "0"})) << r.out;
    EXPECT_EQ(row("mailed"), (Strings{"mailed", "1"})) << r.out;

    // The store: where it is, and its figures with their units.
    Strings store = section_of(r.out, "Store");
    EXPECT_EQ(row_of(store, "enabled"), (Strings{"enabled", "true"})) << r.out;
    EXPECT_EQ(row_of(store, "path"), (Strings{"path", st["store"]["path"].as_string()})) << r.out;
    EXPECT_TRUE(contains(st["store"]["path"].as_string(), _d.dir().path())) << r.out;
    Strings last = row_of(store, "lastCommitUs");
    ASSERT_EQ(last.size(), 3u) << r.out;
    EXPECT_EQ(last[2], "us");
    Strings size = row_of(store, "bytes");
    ASSERT_EQ(size.size(), 4u) << "bytes N (x.y KiB)\n" << r.out;
    EXPECT_TRUE(size[3] == "B)" || size[3] == "KiB)" || size[3] == "MiB)") << r.out;

    // Catch-ups: the stream handed the cached event before going live.
    Strings catch_up = section_of(r.out, "Catch-ups");
    EXPECT_GE(st["catchUp"]["streams"].as_int(), 1);
    for (const char* key :
         {"streams", "resumes", "gaps", "replayed", "trimmed", "buffered", "deferred"})
        EXPECT_EQ(row_of(catch_up, key), (Strings{key, n("catchUp", key)})) << r.out;
}

TEST(CliCacheStore, StatsSayWhenTheStoreIsOff) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = "[store]\npath = \"\"\n"})) << d.error();
    CliRun r = run_on(d, {"stats"});
    ASSERT_EQ(r.code, 0) << r.describe();
    EXPECT_TRUE(contains(r.out,
                         "Store\n  (disabled: history, cache and mailboxes do not survive a "
                         "restart)\n"))
        << r.out;
}

// The C++ client's invalidate, one at a time and pipelined with other requests.
TEST_F(CliCache, CppClientInvalidate) {
    client::Client c;
    ASSERT_TRUE(c.connect(socket_of(_d))) << c.error();
    client::Message m;
    m.channel = "a";
    m.event = "p";
    m.persistent = true;
    for (const char* data : {"1", "2"}) {
        m.data = data;
        ASSERT_TRUE(c.publish(m).ok);
    }
    m.channel = "b";
    m.target_users = {"42"};
    ASSERT_TRUE(c.publish(m).ok);
    m.target_users = {"7"};
    ASSERT_TRUE(c.publish(m).ok);

    client::Result r = c.invalidate({"a"});
    ASSERT_TRUE(r.ok) << r.code << " " << r.message;
    EXPECT_EQ(r.op, client::Op::invalidate);
    EXPECT_EQ(r.removed, 2u);
    EXPECT_TRUE(cached_for("a").empty());
    client::Result by_user = c.invalidate({}, {"42"});
    ASSERT_TRUE(by_user.ok) << by_user.message;
    EXPECT_EQ(by_user.removed, 1u);
    EXPECT_EQ(cached_for("b", "42"), Strings{});
    EXPECT_EQ(cached_for("b", "7"), (Strings{"2"}));

    client::Result bad = c.invalidate({}, {});
    EXPECT_TRUE(bad.answered);
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.code, "invalid_field");
    EXPECT_TRUE(contains(bad.message, "give \"channels\", \"users\" or both")) << bad.message;
    client::Result not_a_channel = c.invalidate({"bad name"});
    EXPECT_EQ(not_a_channel.code, "invalid_field") << not_a_channel.message;

    // Pipelined: replies in order, each parsed for its own op.
    c.send_invalidate({"b"}, {"7"});
    c.send_stats();
    c.send_invalidate({"b"});
    ASSERT_TRUE(c.flush()) << c.error();
    client::Result first = c.receive();
    ASSERT_TRUE(first.ok) << first.message;
    EXPECT_EQ(first.removed, 1u);
    client::Result stats = c.receive();
    ASSERT_TRUE(stats.ok) << stats.message;
    auto doc = Json::parse(stats.json);
    ASSERT_TRUE(doc) << stats.json;
    EXPECT_EQ((*doc)["cacheSize"].as_int(), 0);
    EXPECT_EQ((*doc)["cache"]["invalidated"].as_int(), 4);
    client::Result again = c.receive();
    ASSERT_TRUE(again.ok);
    EXPECT_EQ(again.removed, 0u);
    EXPECT_EQ(c.outstanding(), 0u);
}

}  // namespace
}  // namespace ringcast::itest

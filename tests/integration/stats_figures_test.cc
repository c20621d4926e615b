// The product documents' statistics (docs/protocol.md, "Statistics"):
// messagesPerMinute in total and per channel (busiestChannels, otherChannels),
// uniqueUsers, connectionsByUser (bounded, with otherUsers), activeChannels,
// memoryUsage, cacheSize and uptime, from a real daemon with identified
// streams on two shards, the same over HTTP and the socket; and `ringcast top`
// printing them into a pipe.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "child_process.h"
#include "cli_support.h"
#include "daemon_process.h"
#include "http_client.h"
#include "jwt_mint.h"
#include "publish_support.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

constexpr unsigned kShards = 2;
constexpr char kSecret[] = "stats-figures-test-secret-0123456789abcdef";
constexpr size_t kTopN = 20;  // ops/stats.h kStatsTopN, as documented

// HS256 tokens name the users; the general endpoint without its per-IP limit.
std::string figures_config() {
    return std::string("[auth]\nalgorithm = \"HS256\"\nsecret = \"") + kSecret +
           "\"\n[[endpoint]]\npath = \"/api/sse/stream\"\n";
}

std::string stream_of(const std::string& user, const std::string& channels) {
    std::string target = "/api/sse/stream?channels=" + channels;
    if (!user.empty()) {
        TokenClaims c;
        c.sub = user;
        target += "&token=" + mint_hs256(kSecret, c.json());
    }
    return target;
}

// Opens a stream and awaits its `connected` event; empty on success.
std::string open(SseFleet& fleet, const std::string& user, const std::string& channels) {
    size_t i = fleet.add(stream_of(user, channels));
    if (!fleet.run_until([&] { return fleet[i].connected || !fleet[i].error.empty(); },
                         Deadline(10s)) ||
        !fleet[i].connected)
        return user + " on " + channels + " did not connect: " + fleet.problems();
    return {};
}

// n publishes to `channel`, each acknowledged, over the socket.
void publish_n(UnixClient& c, const std::string& channel, int n) {
    for (int i = 0; i < n; ++i)
        ASSERT_TRUE(ask(c, publish_line("\"p\"", channel, "e", std::to_string(i)))["ok"].as_bool())
            << c.error();
}

// "u07": names that sort as their numbers do.
std::string name(const char* prefix, int i) {
    return prefix + std::string(i < 10 ? "0" : "") + std::to_string(i);
}

std::map<std::string, int64_t> counts_of(const Json& object) {
    std::map<std::string, int64_t> out;
    for (const auto& [k, v] : object.members())
        out[k] = v.as_int();
    return out;
}

TEST(StatsFigures, EveryFigureOfTheProductDocumentsIsExact) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = kShards, .config = figures_config()})) << d.error();
    SseFleet fleet(d.port());
    // alice: two streams on a; bob: a and b; carol: b; one anonymous stream on c.
    for (auto [user, channels] : std::vector<std::pair<std::string, std::string>>{
             {"alice", "a"}, {"alice", "a"}, {"bob", "a,b"}, {"carol", "b"}, {"", "c"}})
        ASSERT_EQ(open(fleet, user, channels), "");

    // Publishes over the socket (two connections) and over HTTP, to a (5), b (3)
    // and d (2, nobody subscribed); c gets none.
    UnixClient c1, c2;
    ASSERT_TRUE(c1.connect(socket_path(d))) << c1.error();
    ASSERT_TRUE(c2.connect(socket_path(d))) << c2.error();
    publish_n(c1, "a", 3);
    publish_n(c2, "a", 1);
    publish_n(c2, "b", 2);
    publish_n(c1, "d", 2);
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    for (const char* channel : {"a", "b"}) {
        auto r = publish(api, channel, "e", "1");
        ASSERT_TRUE(r && r->response.status == 200) << api.error();
    }

    auto first = fetch_stats(api);
    ASSERT_TRUE(first) << api.error();
    Json sock = ask(c1, R"({"op":"stats","req":"s"})");
    ASSERT_TRUE(sock["ok"].as_bool()) << c1.error();
    for (const Json* s : std::initializer_list<const Json*>{&*first, &sock["stats"]}) {
        SCOPED_TRACE(s == &*first ? "GET /api/stats" : "socket stats");
        const Json& st = *s;
        EXPECT_EQ(st["totalConnections"].as_int(), 5);
        EXPECT_EQ(st["messagesPerMinute"].as_int(), 10) << "every publish of the last minute";
        const Json& busiest = st["busiestChannels"];
        ASSERT_EQ(busiest.size(), 3u) << "a, b and d; c had no publish";
        const std::vector<std::tuple<std::string, int64_t, int64_t>> want = {
            {"a", 5, 3}, {"b", 3, 2}, {"d", 2, 0}};
        for (size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(busiest[i]["channel"].as_string(), std::get<0>(want[i])) << i;
            EXPECT_EQ(busiest[i]["messagesPerMinute"].as_int(), std::get<1>(want[i])) << i;
            EXPECT_EQ(busiest[i]["connections"].as_int(), std::get<2>(want[i])) << i;
        }
        EXPECT_EQ(st["otherChannels"]["channels"].as_int(), 0);
        EXPECT_EQ(st["otherChannels"]["messagesPerMinute"].as_int(), 0);
        EXPECT_EQ(st["uniqueUsers"].as_int(), 3);
        EXPECT_EQ(counts_of(st["connectionsByUser"]),
                  (std::map<std::string, int64_t>{{"alice", 2}, {"bob", 1}, {"carol", 1}}));
        EXPECT_EQ(st["connectionsByUser"].members()[0].first, "alice") << "busiest first";
        EXPECT_EQ(st["otherUsers"]["users"].as_int(), 0);
        EXPECT_EQ(st["otherUsers"]["connections"].as_int(), 0);
        EXPECT_EQ(st["activeChannels"].as_int(), 3) << "a, b, c: channels with a subscriber";
        EXPECT_EQ(st["cacheSize"].as_int(), 0) << "no persistent event";
        EXPECT_GT(st["memoryUsage"]["rss"].as_int(0), 1 << 20);
        EXPECT_GE(st["memoryUsage"]["peakRss"].as_int(0), st["memoryUsage"]["rss"].as_int());
        if (st["memoryUsage"].has("heapCommitted")) {  // a daemon on mimalloc
            EXPECT_GT(st["memoryUsage"]["heapCommitted"].as_int(0), 0);
            EXPECT_GE(st["memoryUsage"]["heapPeakCommitted"].as_int(0),
                      st["memoryUsage"]["heapCommitted"].as_int());
        }
        EXPECT_GT(st["uptime"].as_double(), 0);
    }

    // A persistent event is cached: cacheSize counts it.
    ASSERT_TRUE(
        ask(c1, publish_line("\"k\"", "a", "e", "1", "\"persistent\":true"))["ok"].as_bool());
    Json later;
    EXPECT_TRUE(await_stats(
        api,
        [&](const Json& s) {
            return s["uptime"].as_double() > (*first)["uptime"].as_double() &&
                   s["cacheSize"].as_int() == 1;
        },
        Deadline(5s), &later, [&](int ms) { fleet.pump(ms); }))
        << "uptime " << later["uptime"].as_double() << ", cacheSize "
        << later["cacheSize"].as_int();
    EXPECT_EQ(later["messagesPerMinute"].as_int(), 11);
    EXPECT_EQ(later["busiestChannels"][0]["messagesPerMinute"].as_int(), 6);

    // A user who leaves is no longer counted.
    fleet.close(3, false);  // carol
    EXPECT_TRUE(await_stats(
        api, [](const Json& s) { return s["uniqueUsers"].as_int() == 2; }, Deadline(5s), &later,
        [&](int ms) { fleet.pump(ms); }));
    EXPECT_FALSE(later["connectionsByUser"].has("carol"));
}

// More users and channels than the stats list: the busiest N, the rest summed.
TEST(StatsFigures, UsersAndChannelsBeyondTheBoundAreSummed) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = kShards, .config = figures_config()})) << d.error();
    SseFleet fleet(d.port());
    constexpr int kUsers = int(kTopN) + 5, kDoubled = 5;
    for (int i = 0; i < kUsers; ++i) {
        ASSERT_EQ(open(fleet, name("u", i), "x"), "");
        if (i < kDoubled) {
            ASSERT_EQ(open(fleet, name("u", i), "x"), "");
        }
    }
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    constexpr int kChannels = int(kTopN) + 7;
    for (int i = 0; i < kChannels; ++i)
        publish_n(c, name("ch", i), i == 0 ? 3 : 1);

    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto s = fetch_stats(api);
    ASSERT_TRUE(s) << api.error();
    const Json& st = *s;
    EXPECT_EQ(st["uniqueUsers"].as_int(), kUsers);
    EXPECT_EQ(st["totalConnections"].as_int(), kUsers + kDoubled);
    ASSERT_EQ(st["connectionsByUser"].size(), kTopN);
    std::map<std::string, int64_t> want;
    for (int i = 0; i < int(kTopN); ++i)  // the doubled ones, then by name
        want[name("u", i)] = i < kDoubled ? 2 : 1;
    EXPECT_EQ(counts_of(st["connectionsByUser"]), want);
    EXPECT_EQ(st["otherUsers"]["users"].as_int(), kUsers - int(kTopN));
    EXPECT_EQ(st["otherUsers"]["connections"].as_int(), kUsers - int(kTopN));

    EXPECT_EQ(st["messagesPerMinute"].as_int(), kChannels + 2);
    ASSERT_EQ(st["busiestChannels"].size(), kTopN);
    EXPECT_EQ(st["busiestChannels"][0]["channel"].as_string(), "ch00");
    EXPECT_EQ(st["busiestChannels"][0]["messagesPerMinute"].as_int(), 3);
    EXPECT_EQ(st["busiestChannels"][kTopN - 1]["channel"].as_string(), name("ch", int(kTopN) - 1));
    EXPECT_EQ(st["otherChannels"]["channels"].as_int(), kChannels - int(kTopN));
    EXPECT_EQ(st["otherChannels"]["messagesPerMinute"].as_int(), kChannels - int(kTopN));
}

// The blocks `ringcast top` printed into a pipe: each starts with "ringcast top".
std::vector<std::vector<std::string>> snapshots(const std::string& out) {
    std::vector<std::vector<std::string>> blocks;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("ringcast top", 0) == 0) blocks.emplace_back();
        if (!blocks.empty()) blocks.back().push_back(line);
    }
    return blocks;
}

// A table row: the line's words are exactly `words`.
bool has_row(const std::string& text, const std::vector<std::string>& words) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::istringstream w(line);
        std::vector<std::string> got;
        for (std::string word; w >> word;)
            got.push_back(word);
        if (got == words) return true;
    }
    return false;
}

bool has_row(const std::vector<std::string>& block, const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& l : block)
        text += l + "\n";
    return has_row(text, words);
}

bool has_line(const std::vector<std::string>& block, const std::string& text) {
    for (const std::string& l : block)
        if (l.find(text) != std::string::npos) return true;
    return false;
}

TEST(StatsFigures, TopPrintsOneSnapshotPerRefreshIntoAPipe) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = kShards, .config = figures_config()})) << d.error();
    SseFleet fleet(d.port());
    for (auto [user, channels] : std::vector<std::pair<std::string, std::string>>{
             {"alice", "news"}, {"alice", "news"}, {"bob", "news,ops"}})
        ASSERT_EQ(open(fleet, user, channels), "");
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    publish_n(c, "news", 4);
    publish_n(c, "ops", 1);

    CliRun r = run_cli({"--socket", socket_of(d), "top", "--count", "2", "--interval", "0.2"});
    ASSERT_EQ(r.code, 0) << r.describe();
    auto blocks = snapshots(r.out);
    ASSERT_EQ(blocks.size(), 2u) << r.out;
    for (const auto& b : blocks) {
        EXPECT_TRUE(has_line(b, "streams 3  ")) << r.out;
        EXPECT_TRUE(has_line(b, "users 2  ")) << r.out;
        EXPECT_TRUE(has_line(b, "channels 2  ")) << r.out;
        EXPECT_TRUE(has_line(b, "messages/min 5  ")) << r.out;
        EXPECT_TRUE(has_line(b, "memory: rss ")) << r.out;
        EXPECT_TRUE(has_row(b, {"news", "4", "3"})) << r.out;
        EXPECT_TRUE(has_row(b, {"ops", "1", "1"})) << r.out;
        EXPECT_TRUE(has_row(b, {"alice", "2"})) << r.out;
        EXPECT_TRUE(has_row(b, {"bob", "1"})) << r.out;
    }
    // The first has no previous sample; the second's rates are between the two
    // samples, when nothing was published.
    EXPECT_TRUE(has_line(blocks[0], "(rates: average since start)")) << r.out;
    EXPECT_TRUE(has_line(blocks[1], "events/s 0.0  messages/min 5  deliveries/s 0.0")) << r.out;
    EXPECT_FALSE(has_line(blocks[1], "since start")) << r.out;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << "no terminal control in a pipe";

    // --json: one line per refresh, with the document.
    CliRun j = run_cli({"--socket", socket_of(d), "--json", "top", "-n", "2", "-i", "0.1"});
    ASSERT_EQ(j.code, 0) << j.describe();
    std::istringstream in(j.out);
    int lines = 0;
    for (std::string line; std::getline(in, line); ++lines) {
        auto doc = Json::parse(line);
        ASSERT_TRUE(doc) << line;
        EXPECT_EQ((*doc)["stats"]["messagesPerMinute"].as_int(), 5);
        EXPECT_TRUE((*doc)["eventsPerSecond"].is_number());
    }
    EXPECT_EQ(lines, 2);

    // `ringcast stats` shows the same figures.
    CliRun st = run_cli({"--socket", socket_of(d), "stats"});
    ASSERT_EQ(st.code, 0) << st.describe();
    EXPECT_NE(st.out.find("messagesPerMinute"), std::string::npos) << st.out;
    EXPECT_NE(st.out.find("Busiest channels"), std::string::npos) << st.out;
    EXPECT_TRUE(has_row(st.out, {"news", "4", "3"})) << st.out;
    EXPECT_TRUE(has_row(st.out, {"alice", "2"})) << st.out;
    EXPECT_NE(st.out.find("memoryUsage.peakRss"), std::string::npos) << st.out;

    for (const char* bad : {"0", "-1", "abc"}) {
        CliRun u = run_cli({"--socket", socket_of(d), "top", "--interval", bad});
        EXPECT_EQ(u.code, 2) << bad << ": " << u.describe();
    }
}

// Reads what the terminal got until `want` is in it, the deadline passes, or the
// other side is gone (EIO once the tool has exited).
bool read_terminal(int master, std::string& got, std::string_view want, const Deadline& d) {
    char buf[4096];
    while (got.find(want) == std::string::npos) {
        pollfd p{master, POLLIN, 0};
        int ms = d.poll_ms();
        if (ms <= 0 || ::poll(&p, 1, ms) <= 0) return false;
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n <= 0) return got.find(want) != std::string::npos;
        got.append(buf, size_t(n));
    }
    return true;
}

TEST(StatsFigures, TopOnATerminalUsesTheAlternateScreenAndRestoresItOnCtrlC) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = kShards, .config = figures_config()})) << d.error();
    int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    ASSERT_GE(master, 0);
    ASSERT_EQ(::grantpt(master), 0);
    ASSERT_EQ(::unlockpt(master), 0);
    TempDir dir;
    SpawnOptions so;
    so.out_path = ::ptsname(master);  // stdout is the terminal
    so.err_path = dir.path() + "/stderr";
    so.drop_env = {"RINGCAST_SOCKET="};
    std::string error;
    Child c =
        spawn_child(cli_path(), {"--socket", socket_of(d), "top", "--interval", "0.2"}, so, &error);
    ASSERT_GE(c.pid, 0) << error;
    std::string got;
    // Two screens drawn, then Ctrl-C.
    EXPECT_TRUE(read_terminal(master, got, "\x1b[?1049h", Deadline(10s))) << got;
    const size_t first = got.find("ringcast top");
    EXPECT_TRUE(read_terminal(master, got, "streams 0", Deadline(10s))) << got;
    got.clear();
    EXPECT_TRUE(read_terminal(master, got, "ringcast top", Deadline(10s))) << "a second screen";
    ASSERT_EQ(::kill(c.pid, SIGINT), 0);
    auto code = await_exit(c.pid, c.pidfd, Deadline(10s));
    read_terminal(master, got, "\x1b[?1049l", Deadline(2s));
    ::close(master);
    ::close(c.pidfd);
    ASSERT_TRUE(code.has_value()) << "top did not stop on SIGINT";
    EXPECT_EQ(*code, 0) << slurp(so.err_path);
    EXPECT_NE(first, std::string::npos);
    EXPECT_NE(got.find("\x1b[?25h\x1b[?1049l"), std::string::npos)
        << "the cursor and the main screen are back";
}

}  // namespace
}  // namespace ringcast::itest

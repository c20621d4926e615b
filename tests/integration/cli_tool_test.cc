// The `ringcast` command-line tool ($RINGCAST_CLI) and the C++ client
// (include/ringcast/client.h) against the real daemon: publishing reaches SSE
// subscribers, --json output parses, every exit code, tail, stats tables, and
// the directory commands on real connections. Every wait is bounded: processes
// are awaited through pidfds, subscriptions through the daemon's stats.
#include <netinet/in.h>
#include <ringcast/client.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_support.h"
#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "json.h"
#include "kernel_features.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

// Waits until `channel` has `n` subscribers (the tool's tail, say).
bool await_subscribers(const DaemonProcess& d, const std::string& channel, int64_t n,
                       const Deadline& dl = Deadline(kIoTimeout)) {
    HttpClient c(d.port());
    if (!c.connect(dl)) return false;
    return await_stats(
        c, [&](const Json& s) { return s["channels"][channel]["connections"].as_int(0) >= n; }, dl);
}

// An SSE stream whose `connected` event has arrived; its connection id.
std::string open_stream(const DaemonProcess& d, SseClient& s, const std::string& channels) {
    if (!s.open(d.port(), "/api/sse/stream?channels=" + channels)) return {};
    if (s.status() != 200 || !s.await_events(1, Deadline(kIoTimeout))) return {};
    auto j = Json::parse(s.events()[0].event.data);
    return j ? (*j)["connectionId"].as_string() : std::string();
}

class CliTool : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(_d.start({.shards = 2})) << _d.error(); }
    DaemonProcess _d;
};

// --- help and usage ----------------------------------------------------------------

TEST(CliToolHelp, HelpListsCommandsAndExitCodes) {
    CliRun r = run_cli({"--help"});
    ASSERT_EQ(r.code, 0) << r.describe();
    for (const char* s :
         {"publish", "stats", "user", "connection", "connections", "disconnect", "invalidate",
          "ping", "tail", "--socket", "--json", "RINGCAST_SOCKET", "Exit codes", "0  ok",
          "1  the daemon answered with an error", "2  usage error", "3  cannot reach the daemon"})
        EXPECT_TRUE(contains(r.out, s)) << s << " missing from --help:\n" << r.out;
    for (const char* cmd : {"publish", "stats", "user", "connection", "connections", "disconnect",
                            "invalidate", "ping", "tail"}) {
        CliRun h = run_cli({cmd, "--help"});
        EXPECT_EQ(h.code, 0) << cmd << "\n" << h.describe();
        EXPECT_TRUE(contains(h.out, "Usage")) << cmd << "\n" << h.out;
        EXPECT_TRUE(contains(h.out, "--socket")) << cmd << ": global flags not mentioned\n"
                                                 << h.out;
    }
}

// `ringcast --version` and `ringcastd --version` print the same version, and so
// does the daemon it talks to.
TEST(CliToolHelp, VersionIsTheDaemons) {
    CliRun tool = run_cli({"--version"});
    ASSERT_EQ(tool.code, 0) << tool.describe();
    CommandResult daemon = run_ringcastd({"--version"});
    ASSERT_TRUE(daemon.exit_code);
    ASSERT_EQ(*daemon.exit_code, 0) << daemon.err;
    ASSERT_TRUE(tool.out.starts_with("ringcast ")) << tool.out;
    ASSERT_TRUE(daemon.out.starts_with("ringcastd ")) << daemon.out;
    const std::string version = daemon.out.substr(std::string("ringcastd ").size());
    EXPECT_EQ(tool.out.substr(std::string("ringcast ").size()), version);
    EXPECT_TRUE(version.starts_with("0.") || version.starts_with("1.")) << version;

    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    CliRun ping = run_on(d, {"ping", "--json"});
    ASSERT_EQ(ping.code, 0) << ping.describe();
    EXPECT_EQ(parse_json(ping.out)["version"].as_string() + "\n", version);
}

// Usage errors are found before the daemon is contacted: no socket is needed.
TEST(CliToolHelp, UsageErrorsExitTwoAndNameTheProblem) {
    struct Case {
        std::vector<std::string> args;
        std::string mentions;
    };
    const std::vector<Case> cases = {
        {{}, "subcommand"},
        {{"frobnicate"}, "frobnicate"},
        {{"publish", "--event", "e", "--data", "1"}, "--channel"},
        {{"publish", "-c", "a", "-e", "e", "--data", "hello"}, "not valid JSON"},
        {{"publish", "-c", "a", "-e", "e", "--data", "hello"}, "'\"hello\"'"},
        {{"publish", "-c", "a", "-e", "e", "--data", "{\"a\":"}, "--data"},
        {{"publish", "-c", "a", "-e", "e", "-d", "1", "--user", "u", "--role", "r"}, "--role"},
        {{"publish", "-c", "a", "-e", "e", "-d", "1", "--role", "r", "--permission", "p"},
         "--permission"},
        {{"publish", "-c", "a", "-e", "e", "-d", "1", "--target", "all", "--user", "u"},
         "conflicts"},
        {{"publish", "-c", "a", "-e", "e", "-d", "1", "--target", "role-based"}, "--role"},
        {{"publish", "-c", "a", "-e", "e", "-d", "1", "--target", "everyone"}, "--target"},
        {{"publish", "-c", "a", "-e", "e", "-d", "1", "--priority", "11"}, "--priority"},
        {{"publish", "-c", "a", "-e", "e", "-d", "1", "--ttl", "0"}, "--ttl"},
        {{"publish", "-c", "a", "-e", "e", "-d", "1", "--frobnicate"}, "--frobnicate"},
        {{"disconnect"}, "exactly one"},
        {{"disconnect", "--user", "u", "--connection", "c0-1"}, "--connection"},
        {{"invalidate"}, "at least one --channel or --user"},
        {{"invalidate", "--frobnicate"}, "--frobnicate"},
        {{"connection"}, "id"},
        {{"user"}, "id"},
        {{"tail"}, "--channel"},
        {{"tail", "--channel", "a", "--http", "nonsense"}, "nonsense"},
        {{"tail", "--channel", "a", "--count", "0"}, "--count"},
    };
    TempDir nowhere;
    for (const Case& k : cases) {
        std::vector<std::string> args = {"--socket", nowhere.path() + "/none.sock"};
        args.insert(args.end(), k.args.begin(), k.args.end());
        CliRun r = run_cli(args);
        std::string cmd;
        for (const auto& a : k.args)
            cmd += a + " ";
        EXPECT_EQ(r.code, 2) << cmd << "\n" << r.describe();
        EXPECT_TRUE(contains(r.err, k.mentions))
            << cmd << ": the message should mention " << k.mentions << "\n"
            << r.describe();
    }
}

// --- unreachable ---------------------------------------------------------------------

TEST(CliToolHelp, UnreachableDaemonExitsThreeAndSaysWhereAndWhy) {
    TempDir dir;
    std::string missing = dir.path() + "/missing.sock";
    for (std::vector<std::string> cmd : {std::vector<std::string>{"ping"},
                                         {"publish", "-c", "a", "-e", "e", "-d", "1"},
                                         {"stats"},
                                         {"user", "u"},
                                         {"connection", "c0-1"},
                                         {"connections"},
                                         {"disconnect", "--user", "u"},
                                         {"invalidate", "--channel", "a"}}) {
        std::vector<std::string> args = {"--socket", missing};
        args.insert(args.end(), cmd.begin(), cmd.end());
        CliRun r = run_cli(args);
        EXPECT_EQ(r.code, 3) << cmd[0] << "\n" << r.describe();
        EXPECT_TRUE(contains(r.err, missing)) << r.describe();
        EXPECT_TRUE(contains(r.err, "no such socket")) << r.describe();
        EXPECT_TRUE(contains(r.err, "make run")) << r.describe();
        EXPECT_TRUE(contains(r.err, "--socket")) << r.describe();
    }

    // A socket file nobody listens on, as a stopped daemon leaves it.
    std::string stale = dir.path() + "/stale.sock";
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, stale.c_str(), sizeof sa.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    CliRun r = run_cli({"ping", "--socket", stale});
    ::close(fd);
    EXPECT_EQ(r.code, 3) << r.describe();
    EXPECT_TRUE(contains(r.err, "refused")) << r.describe();

    // Without --socket: $RINGCAST_SOCKET, else ./var/ringcast.sock if it exists, else
    // the systemd unit's (cli_socket_test.cc); both are named.
    CliRun by_env = run_cli({"ping"}, {.env = {"RINGCAST_SOCKET=" + missing}});
    EXPECT_EQ(by_env.code, 3) << by_env.describe();
    EXPECT_TRUE(contains(by_env.err, missing)) << by_env.describe();
    CliRun by_default = run_cli({"ping"}, {.cwd = dir.path()});
    EXPECT_EQ(by_default.code, 3) << by_default.describe();
    EXPECT_TRUE(contains(by_default.err, "./var/ringcast.sock")) << by_default.describe();
}

// A publisher outside publish.allow_uids is refused by the daemon: exit 1, with
// the daemon's reason; the C++ client reports the same verdict as an answer.
TEST(CliToolAccess, RefusedPublisherExitsOneWithTheDaemonsReason) {
    SKIP_WITHOUT_PEER_CREDENTIALS();
    DaemonProcess d;
    std::string other_uid = std::to_string(::getuid() + 4242);
    ASSERT_TRUE(d.start({.shards = 1, .config = "[publish]\nallow_uids = [" + other_uid + "]\n"}))
        << d.error();
    CliRun r = run_on(d, {"ping"});
    EXPECT_EQ(r.code, 1) << r.describe();
    EXPECT_TRUE(contains(r.err, "forbidden")) << r.describe();
    EXPECT_TRUE(contains(r.err, "not allowed") || contains(r.err, "did not tell")) << r.describe();

    client::Client c;
    ASSERT_TRUE(c.connect(socket_of(d))) << c.error();
    client::Result p = c.ping();
    EXPECT_TRUE(p.answered);
    EXPECT_FALSE(p.ok);
    EXPECT_EQ(p.code, "forbidden");
    EXPECT_EQ(c.ping().code, client::errc::connection_lost) << "the daemon closed it";
}

TEST_F(CliTool, SocketFromTheEnvironment) {
    CliRun r = run_cli({"ping"}, {.env = {"RINGCAST_SOCKET=" + socket_of(_d)}});
    EXPECT_EQ(r.code, 0) << r.describe();
    // --socket wins over the environment.
    CliRun both = run_cli({"ping", "--socket", socket_of(_d)},
                          {.env = {"RINGCAST_SOCKET=/nonexistent/ringcast.sock"}});
    EXPECT_EQ(both.code, 0) << both.describe();
}

// --- ping and publish --------------------------------------------------------------

TEST_F(CliTool, PingAnswersWithTheVersion) {
    CliRun r = run_on(_d, {"ping"});
    ASSERT_EQ(r.code, 0) << r.describe();
    EXPECT_TRUE(contains(r.out, "ringcastd 0.1.0")) << r.out;
    CliRun j = run_on(_d, {"ping", "--json"});
    ASSERT_EQ(j.code, 0) << j.describe();
    Json v = parse_json(j.out);
    EXPECT_TRUE(v["ok"].as_bool());
    EXPECT_EQ(v["version"].as_string(), "0.1.0");
    EXPECT_GT(v["time"].as_int(0), 1'600'000'000'000);
}

TEST_F(CliTool, PublishReachesASubscriber) {
    SseClient s;
    ASSERT_FALSE(open_stream(_d, s, "news").empty()) << s.error();
    CliRun r = run_on(_d, {"publish", "--channel", "news", "--event", "update", "--data",
                           R"({"hello": "world", "n": [1, 2]})"});
    ASSERT_EQ(r.code, 0) << r.describe();
    EXPECT_TRUE(contains(r.out, "sent 1, failed 0")) << r.out;
    ASSERT_TRUE(s.await_events(2, Deadline(kIoTimeout))) << "the event did not arrive";
    const SseEvent& ev = s.events()[1].event;
    EXPECT_EQ(ev.type, "update");
    EXPECT_EQ(ev.data, R"({"hello":"world","n":[1,2]})");
    // The first event published to this daemon.
    EXPECT_EQ(id_sequence(ev.last_event_id), 1u) << ev.last_event_id;
}

TEST_F(CliTool, PublishJsonOutputAndEveryMessageFlag) {
    SseClient s;
    ASSERT_FALSE(open_stream(_d, s, "orders").empty()) << s.error();
    CliRun r = run_on(_d, {"--json",       "publish",   "-c",          "orders",   "-e",
                           "order-update", "-d",        "\"shipped\"", "--id",     "A-1",
                           "--priority",   "9",         "--ttl",       "60",       "--persistent",
                           "--retryable",  "--exclude", "u9",          "--target", "all"});
    ASSERT_EQ(r.code, 0) << r.describe();
    Json j = parse_json(r.out);
    EXPECT_TRUE(j["ok"].as_bool());
    EXPECT_EQ(j["id"].as_string(), "A-1");
    EXPECT_EQ(j["sent"].as_int(), 1);
    EXPECT_EQ(j["failed"].as_int(), 0);
    ASSERT_TRUE(s.await_events(2, Deadline(kIoTimeout)));
    EXPECT_EQ(s.events()[1].event.last_event_id, "A-1");
    EXPECT_EQ(s.events()[1].event.data, "\"shipped\"");

    // Streams are anonymous in this release: targeted messages are accepted and
    // reach nobody (docs/protocol.md, Messages).
    for (std::vector<std::string> extra :
         {std::vector<std::string>{"--user", "u1", "--user", "42"},
          {"--role", "admin"},
          {"--permission", "billing:read", "--target", "permission-based"},
          {"--require-auth"},
          {"--target", "authenticated"},
          {"--target", "subscribers"}}) {
        std::vector<std::string> args = {"publish", "--json", "-c", "orders", "-e", "x", "-d", "1"};
        args.insert(args.end(), extra.begin(), extra.end());
        CliRun t = run_on(_d, args);
        ASSERT_EQ(t.code, 0) << extra[0] << "\n" << t.describe();
        Json tj = parse_json(t.out);
        EXPECT_EQ(tj["sent"].as_int(), 0) << extra[0];
    }
}

TEST_F(CliTool, PublishDataFromStandardInput) {
    SseClient s;
    ASSERT_FALSE(open_stream(_d, s, "news").empty()) << s.error();
    CliRun r = run_on(_d, {"publish", "-c", "news", "-e", "doc", "--data", "-"},
                      {.stdin_text = "{\n  \"title\": \"multi\\nline\",\n  \"n\": 3\n}\n"});
    ASSERT_EQ(r.code, 0) << r.describe();
    ASSERT_TRUE(s.await_events(2, Deadline(kIoTimeout)));
    EXPECT_EQ(s.events()[1].event.data, R"({"title":"multi\nline","n":3})");

    CliRun bad =
        run_on(_d, {"publish", "-c", "news", "-e", "doc", "--data", "-"}, {.stdin_text = "{oops"});
    EXPECT_EQ(bad.code, 2) << bad.describe();
}

// --- the daemon's errors --------------------------------------------------------------

TEST_F(CliTool, DaemonErrorsExitOneWithTheDaemonsMessage) {
    CliRun r = run_on(_d, {"publish", "-c", "bad name!", "-e", "x", "-d", "1"});
    EXPECT_EQ(r.code, 1) << r.describe();
    EXPECT_TRUE(contains(r.err, "invalid_field")) << r.describe();
    EXPECT_TRUE(contains(r.err, "\"channel\" must be")) << r.describe();

    CliRun j = run_on(_d, {"publish", "--json", "-c", "bad name!", "-e", "x", "-d", "1"});
    EXPECT_EQ(j.code, 1) << j.describe();
    Json v = parse_json(j.out);
    EXPECT_FALSE(v["ok"].as_bool());
    EXPECT_EQ(v["error"]["code"].as_string(), "invalid_field");
    EXPECT_FALSE(v["error"]["message"].as_string().empty());

    CliRun nf = run_on(_d, {"connection", "c0-999999"});
    EXPECT_EQ(nf.code, 1) << nf.describe();
    EXPECT_TRUE(contains(nf.err, "not_found")) << nf.describe();
    EXPECT_TRUE(contains(nf.err, "c0-999999")) << nf.describe();
}

TEST_F(CliTool, RequestLineTooLongExitsOne) {
    std::string big = "\"" + std::string(1100 * 1024, 'x') + "\"";
    CliRun r = run_on(_d, {"publish", "-c", "a", "-e", "x", "--data", "-"}, {.stdin_text = big});
    EXPECT_EQ(r.code, 1) << r.describe().substr(0, 2000);
    EXPECT_TRUE(contains(r.err, "line_too_long")) << r.err.substr(0, 2000);
}

// --- stats ---------------------------------------------------------------------------------

TEST_F(CliTool, StatsTablesContainTheNumbers) {
    SseClient a, b, c;
    ASSERT_FALSE(open_stream(_d, a, "news").empty());
    ASSERT_FALSE(open_stream(_d, b, "news").empty());
    ASSERT_FALSE(open_stream(_d, c, "alerts").empty());
    for (int i = 0; i < 2; ++i)
        ASSERT_EQ(run_on(_d, {"publish", "-c", "news", "-e", "x", "-d", "1"}).code, 0);
    ASSERT_TRUE(b.await_events(3, Deadline(kIoTimeout)));

    CliRun j = run_on(_d, {"stats", "--json"});
    ASSERT_EQ(j.code, 0) << j.describe();
    Json v = parse_json(j.out);
    EXPECT_TRUE(v["ok"].as_bool());
    const Json& st = v["stats"];
    EXPECT_EQ(st["totalConnections"].as_int(), 3);
    EXPECT_EQ(st["channels"]["news"]["connections"].as_int(), 2);
    EXPECT_EQ(st["eventsPublished"].as_int(), 2);
    ASSERT_EQ(st["shards"].size(), 2u);

    CliRun r = run_on(_d, {"stats"});
    ASSERT_EQ(r.code, 0) << r.describe();
    std::vector<std::string> lines = lines_of(r.out);
    auto row = [&](const std::string& first_cell) { return row_of(lines, first_cell); };
    for (const char* title :
         {"Totals", "Kept events", "Store", "Catch-ups", "Shards", "Channels", "Users"})
        EXPECT_NE(std::find(lines.begin(), lines.end(), title), lines.end()) << title << "\n"
                                                                             << r.out;
    EXPECT_EQ(row("totalConnections"), (std::vector<std::string>{"totalConnections", "3"}))
        << r.out;
    EXPECT_EQ(row("eventsPublished"), (std::vector<std::string>{"eventsPublished", "2"})) << r.out;
    // Channels: subscribers, then what they lost (channelStats).
    EXPECT_EQ(row("channel"), (std::vector<std::string>{"channel", "connections", "dropped",
                                                        "expired", "disconnected"}))
        << r.out;
    EXPECT_EQ(row("news"), (std::vector<std::string>{"news", "2", "0", "0", "0"})) << r.out;
    EXPECT_EQ(row("alerts"), (std::vector<std::string>{"alerts", "1", "0", "0", "0"})) << r.out;
    // Shards: one column per shard and the total, which matches the document.
    EXPECT_EQ(row("counter"),
              (std::vector<std::string>{"counter", "shard", "0", "shard", "1", "total"}))
        << r.out;
    std::vector<std::string> conns = row("connections");
    ASSERT_EQ(conns.size(), 4u) << r.out;
    EXPECT_EQ(std::stoll(conns[1]), st["shards"][0]["connections"].as_int());
    EXPECT_EQ(std::stoll(conns[2]), st["shards"][1]["connections"].as_int());
    EXPECT_EQ(conns[3], "3");
    // Columns line up: every row of the shards table is as long as its header.
    size_t header_at = 0;
    for (size_t i = 0; i < lines.size(); ++i)
        if (lines[i].find("counter") != std::string::npos) header_at = i;
    ASSERT_GT(header_at, 0u);
    EXPECT_EQ(lines[header_at + 1].size(), lines[header_at].size()) << r.out;
}

// --- the directory -------------------------------------------------------------------------

TEST_F(CliTool, ConnectionUserAndDisconnectOnRealConnections) {
    SseClient s;
    std::string id = open_stream(_d, s, "orders,news");
    ASSERT_FALSE(id.empty()) << s.error();

    CliRun c = run_on(_d, {"connection", id});
    ASSERT_EQ(c.code, 0) << c.describe();
    EXPECT_TRUE(contains(c.out, id)) << c.out;
    EXPECT_TRUE(contains(c.out, "orders,news")) << c.out;
    EXPECT_TRUE(contains(c.out, "(anonymous)")) << c.out;
    EXPECT_TRUE(contains(c.out, "connected at")) << c.out;

    CliRun cj = run_on(_d, {"connection", id, "--json"});
    ASSERT_EQ(cj.code, 0) << cj.describe();
    Json conn = parse_json(cj.out)["connection"];
    EXPECT_EQ(conn["connectionId"].as_string(), id);
    ASSERT_EQ(conn["channels"].size(), 2u);
    EXPECT_EQ(conn["channels"][0].as_string(), "orders");
    EXPECT_TRUE(conn["userId"].is_null());

    // Anonymous streams belong to no user.
    CliRun u = run_on(_d, {"user", "42"});
    ASSERT_EQ(u.code, 0) << u.describe();
    EXPECT_TRUE(contains(u.out, "user 42: not connected")) << u.out;
    CliRun uj = run_on(_d, {"user", "42", "--json"});
    ASSERT_EQ(uj.code, 0) << uj.describe();
    Json uv = parse_json(uj.out);
    EXPECT_EQ(uv["userId"].as_string(), "42");
    EXPECT_FALSE(uv["connected"].as_bool());
    EXPECT_EQ(uv["connections"].size(), 0u);
    CliRun du = run_on(_d, {"disconnect", "--user", "42", "--json"});
    ASSERT_EQ(du.code, 0) << du.describe();
    EXPECT_EQ(parse_json(du.out)["disconnected"].as_int(), 0);

    CliRun d = run_on(_d, {"disconnect", "--connection", id});
    ASSERT_EQ(d.code, 0) << d.describe();
    EXPECT_TRUE(contains(d.out, "disconnected connection " + id)) << d.out;
    EXPECT_TRUE(s.read_to_eof(Deadline(kIoTimeout))) << "the stream was not closed";

    CliRun gone = run_on(_d, {"connection", id});
    EXPECT_EQ(gone.code, 1) << gone.describe();
    CliRun again = run_on(_d, {"disconnect", "--connection", id, "--json"});
    ASSERT_EQ(again.code, 0) << again.describe();
    EXPECT_EQ(parse_json(again.out)["disconnected"].as_int(), 0);
}

// --- tail ------------------------------------------------------------------------------------

TEST_F(CliTool, TailPrintsPublishedEventsAndStopsAfterCount) {
    CliProcess tail;
    ASSERT_TRUE(tail.start({"tail", "--channel", "news", "--channel", "alerts", "--http",
                            http_of(_d), "--count", "3"}));
    ASSERT_TRUE(await_subscribers(_d, "alerts", 1)) << tail.err();
    ASSERT_EQ(run_on(_d, {"publish", "-c", "news", "-e", "update", "-d", R"({"a":1})"}).code, 0);
    ASSERT_EQ(
        run_on(_d, {"publish", "-c", "alerts", "-e", "alert", "-d", "\"fire\"", "--id", "al-7"})
            .code,
        0);
    ASSERT_EQ(run_on(_d, {"publish", "-c", "news", "-e", "update", "-d", "[true]"}).code, 0);
    auto code = tail.wait(Deadline(kIoTimeout));
    ASSERT_TRUE(code) << "tail did not stop after --count 3\n" << tail.out() << tail.err();
    EXPECT_EQ(*code, 0) << tail.err();
    std::vector<std::string> lines = lines_of(tail.out());
    ASSERT_EQ(lines.size(), 3u) << tail.out();
    auto cells = [](const std::string& l) {
        std::istringstream in(l);
        std::vector<std::string> out;
        for (std::string w; in >> w;)
            out.push_back(w);
        return out;
    };
    // One sequence over every channel: news is event 1, the alert (its own id
    // on the wire) event 2, the second news event 3.
    EXPECT_EQ(id_sequence(cells(lines[0]).at(1)), 1u) << lines[0];
    EXPECT_EQ(cells(lines[0]).at(2), "update");
    EXPECT_EQ(cells(lines[0]).at(3), R"({"a":1})");
    EXPECT_EQ(cells(lines[1]).at(1), "al-7");
    EXPECT_EQ(cells(lines[1]).at(2), "alert");
    EXPECT_EQ(cells(lines[1]).at(3), "\"fire\"");
    EXPECT_EQ(id_sequence(cells(lines[2]).at(1)), 3u) << lines[2];
    EXPECT_EQ(id_epoch(cells(lines[2]).at(1)), id_epoch(cells(lines[0]).at(1)));
    EXPECT_EQ(cells(lines[2]).at(3), "[true]");
    EXPECT_EQ(lines[0].find(':'), 2u) << "starts with the time: " << lines[0];
}

TEST_F(CliTool, TailJsonPrintsOneObjectPerEvent) {
    CliProcess tail;
    ASSERT_TRUE(tail.start({"--json", "tail", "-c", "news", "--http", http_of(_d), "-n", "2"}));
    ASSERT_TRUE(await_subscribers(_d, "news", 1)) << tail.err();
    ASSERT_EQ(run_on(_d, {"publish", "-c", "news", "-e", "a", "-d", R"({"k":"v"})"}).code, 0);
    ASSERT_EQ(run_on(_d, {"publish", "-c", "news", "-e", "b", "-d", "7"}).code, 0);
    ASSERT_EQ(tail.wait(Deadline(kIoTimeout)), 0) << tail.out() << tail.err();
    std::vector<std::string> lines = lines_of(tail.out());
    ASSERT_EQ(lines.size(), 2u) << tail.out();
    Json first = parse_json(lines[0]);
    EXPECT_EQ(first["event"].as_string(), "a");
    EXPECT_EQ(id_sequence(first["id"].as_string()), 1u) << lines[0];
    EXPECT_EQ(first["data"]["k"].as_string(), "v");
    EXPECT_GT(first["time"].as_int(0), 1'600'000'000'000);
    Json second = parse_json(lines[1]);
    EXPECT_EQ(second["event"].as_string(), "b");
    EXPECT_EQ(second["id"].as_string(), event_id(id_epoch(first["id"].as_string()), 2)) << lines[1];
    EXPECT_EQ(second["data"].as_int(), 7);
}

TEST_F(CliTool, TailStopsCleanlyOnCtrlC) {
    for (int sig : {SIGINT, SIGTERM}) {
        CliProcess tail;
        ASSERT_TRUE(tail.start({"tail", "-c", "quiet", "--http", http_of(_d)}));
        ASSERT_TRUE(await_subscribers(_d, "quiet", 1)) << tail.err();
        ASSERT_TRUE(tail.signal(sig));
        auto code = tail.wait(Deadline(5s));
        ASSERT_TRUE(code) << "tail ignored signal " << sig;
        EXPECT_EQ(*code, 0) << "signal " << sig << ": " << tail.err();
        // Its stream is gone from the daemon.
        HttpClient c(_d.port());
        ASSERT_TRUE(c.connect());
        EXPECT_TRUE(await_stats(
            c, [](const Json& s) { return s["channels"]["quiet"]["connections"].as_int(0) == 0; },
            Deadline(kIoTimeout)));
    }
}

TEST_F(CliTool, TailTimeoutAndTheEndOfTheStream) {
    // --timeout before --count events: exit 4; --timeout alone is a normal end.
    CliRun short_count =
        run_cli({"tail", "-c", "quiet", "--http", http_of(_d), "--count", "5", "--timeout", "0.3"});
    EXPECT_EQ(short_count.code, 4) << short_count.describe();
    EXPECT_TRUE(contains(short_count.err, "0 of 5")) << short_count.describe();
    CliRun just_time = run_cli({"tail", "-c", "quiet", "--http", http_of(_d), "--timeout", "0.3"});
    EXPECT_EQ(just_time.code, 0) << just_time.describe();

    // The daemon closes the stream (here: it shuts down): exit 3.
    CliProcess tail;
    ASSERT_TRUE(tail.start({"tail", "-c", "doomed", "--http", http_of(_d)}));
    ASSERT_TRUE(await_subscribers(_d, "doomed", 1)) << tail.err();
    ASSERT_EQ(_d.stop(), 0);
    EXPECT_EQ(tail.wait(Deadline(kIoTimeout)), 3) << tail.err();
    EXPECT_TRUE(contains(tail.err(), "closed the stream")) << tail.err();
}

TEST_F(CliTool, TailUnreachableOrRefused) {
    // A port nobody listens on: bind one, then close it.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
    std::string dead = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
    ::close(fd);
    CliRun r = run_cli({"tail", "-c", "news", "--http", dead});
    EXPECT_EQ(r.code, 3) << r.describe();
    EXPECT_TRUE(contains(r.err, dead)) << r.describe();
    EXPECT_TRUE(contains(r.err, "make run")) << r.describe();
    CliRun env = run_cli({"tail", "-c", "news"}, {.env = {"RINGCAST_HTTP=" + dead}});
    EXPECT_EQ(env.code, 3) << env.describe();
    EXPECT_TRUE(contains(env.err, dead)) << env.describe();

    CliRun bad = run_cli({"tail", "-c", "bad name", "--http", http_of(_d)});
    EXPECT_EQ(bad.code, 1) << bad.describe();
    EXPECT_TRUE(contains(bad.err, "400")) << bad.describe();
}

// --- the C++ client against the daemon --------------------------------------------------

class CppClient : public CliTool {};

TEST_F(CppClient, PipelinedPublishesReachTheSubscriberInOrder) {
    constexpr int kN = 5000;
    SseClient s;
    ASSERT_FALSE(open_stream(_d, s, "bench").empty());
    client::Client c;
    ASSERT_TRUE(c.connect(socket_of(_d))) << c.error();
    client::Message m;
    m.channel = "bench";
    m.event = "tick";
    for (int i = 0; i < kN; ++i) {
        m.data = "{\"seq\":" + std::to_string(i) + "}";
        c.send_publish(m);
    }
    ASSERT_TRUE(c.flush()) << c.error();
    client::Result r;
    std::string epoch;
    for (int i = 1; i <= kN; ++i) {
        ASSERT_TRUE(c.receive(r));
        ASSERT_TRUE(r.ok) << i << ": " << r.code << " " << r.message;
        // Publishes of one connection are numbered in the order they were sent.
        ASSERT_EQ(id_sequence(r.id), uint64_t(i)) << r.id;
        if (i == 1) epoch = id_epoch(r.id);
        ASSERT_EQ(id_epoch(r.id), epoch) << r.id;
        ASSERT_EQ(r.sent, 1u);
    }
    ASSERT_TRUE(s.await_events(kN + 1, Deadline(30s))) << s.events().size();
    for (int i = 0; i < kN; ++i) {
        ASSERT_EQ(s.events()[size_t(i) + 1].event.data, "{\"seq\":" + std::to_string(i) + "}");
        ASSERT_EQ(s.events()[size_t(i) + 1].event.last_event_id, event_id(epoch, uint64_t(i) + 1));
    }
}

TEST_F(CppClient, BatchesAndFireAndForgetFailures) {
    client::Client c;
    ASSERT_TRUE(c.connect(socket_of(_d))) << c.error();
    client::Message good, bad;
    good.channel = "a";
    good.event = "x";
    good.data = "1";
    bad = good;
    bad.channel = "bad name";
    std::vector<client::Message> batch = {good, bad, good};
    client::Result r = c.publish_batch(batch);
    ASSERT_TRUE(r.ok) << r.code << " " << r.message;
    ASSERT_EQ(r.items.size(), 3u);
    EXPECT_TRUE(r.items[0].ok);
    EXPECT_EQ(id_sequence(r.items[0].id), 1u) << r.items[0].id;
    EXPECT_FALSE(r.items[1].ok);
    EXPECT_EQ(r.items[1].code, "invalid_field");
    EXPECT_TRUE(r.items[2].ok);
    // The refused message took no number.
    EXPECT_EQ(r.items[2].id, event_id(id_epoch(r.items[0].id), 2)) << r.items[2].id;

    c.post(good);
    uint64_t line = c.post(bad);
    c.post(good);
    client::Message no_data = good;
    no_data.data.clear();
    uint64_t line2 = c.post(no_data);
    ASSERT_TRUE(c.sync());
    std::vector<client::LineError> errors = c.take_line_errors();
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].line, line);
    EXPECT_EQ(errors[0].code, "invalid_field");
    EXPECT_EQ(errors[1].line, line2);
    EXPECT_TRUE(contains(errors[1].message, "\"data\" is required")) << errors[1].message;
}

TEST_F(CppClient, QueriesAndEveryMessageField) {
    SseClient s;
    std::string id = open_stream(_d, s, "orders");
    ASSERT_FALSE(id.empty());
    client::Client c;
    ASSERT_TRUE(c.connect(socket_of(_d))) << c.error();

    client::Result ping = c.ping();
    ASSERT_TRUE(ping.ok);
    EXPECT_EQ(ping.version, "0.1.0");

    client::Message m;
    m.channel = "orders";
    m.event = "order-update";
    m.data = R"({"orderId":"A-1"})";
    m.id = "o-1";
    m.timestamp_ms = 1795410947321;
    m.target = client::Target::users;
    m.target_users = {"u1"};
    m.exclude_users = {"u2"};
    m.require_auth = true;
    m.priority = 10;
    m.ttl_seconds = 30;
    m.persistent = true;
    m.retryable = true;
    client::Result p = c.publish(m);
    ASSERT_TRUE(p.ok) << p.code << " " << p.message;
    EXPECT_EQ(p.id, "o-1");
    EXPECT_EQ(p.sent, 0u) << "anonymous streams are not user u1";

    client::Message everyone;
    everyone.channel = "orders";
    everyone.event = "note";
    everyone.data = client::json_quote("hi \"there\"");
    client::Result e = c.publish(everyone);
    ASSERT_TRUE(e.ok);
    EXPECT_EQ(e.sent, 1u);
    ASSERT_TRUE(s.await_events(2, Deadline(kIoTimeout)));
    EXPECT_EQ(s.events()[1].event.data, R"("hi \"there\"")");

    client::Message invalid = everyone;
    invalid.priority = 11;
    client::Result bad = c.publish(invalid);
    EXPECT_TRUE(bad.answered);
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.code, "invalid_field");
    EXPECT_TRUE(contains(bad.message, "priority")) << bad.message;

    client::Result st = c.stats();
    ASSERT_TRUE(st.ok);
    auto stats = Json::parse(st.json);
    ASSERT_TRUE(stats) << st.json;
    EXPECT_EQ((*stats)["totalConnections"].as_int(), 1);

    client::Result conn = c.connection(id);
    ASSERT_TRUE(conn.ok) << conn.message;
    EXPECT_EQ((*Json::parse(conn.json))["connectionId"].as_string(), id);
    client::Result none = c.connection("c0-999999");
    EXPECT_TRUE(none.answered);
    EXPECT_EQ(none.code, "not_found");

    client::Result user = c.user("u1");
    ASSERT_TRUE(user.ok);
    EXPECT_FALSE(user.connected);
    EXPECT_EQ(user.json, "[]");
    EXPECT_EQ(c.disconnect_user("u1").disconnected, 0u);
    client::Result d = c.disconnect_connection(id);
    ASSERT_TRUE(d.ok);
    EXPECT_EQ(d.disconnected, 1u);
    EXPECT_TRUE(s.read_to_eof(Deadline(kIoTimeout)));
}

// Raw payloads are not parsed by the client: one the daemon cannot read fails
// alone, and the connection goes on.
TEST_F(CppClient, UnreadablePayloadFailsItsRequestOnly) {
    client::Client c;
    ASSERT_TRUE(c.connect(socket_of(_d))) << c.error();
    client::Message good;
    good.channel = "a";
    good.event = "x";
    good.data = "1";
    client::Message broken = good;
    broken.data = "{\"unterminated\": ";
    client::Message huge = good;
    huge.data = client::json_quote(std::string(1100 * 1024, 'x'));  // over publish.max_line
    c.send_publish(good);
    c.send_publish(broken);
    c.send_publish(good);
    ASSERT_TRUE(c.flush());
    client::Result before = c.receive();
    EXPECT_TRUE(before.ok);
    EXPECT_EQ(id_sequence(before.id), 1u) << before.id;
    client::Result r = c.receive();
    EXPECT_TRUE(r.answered);
    EXPECT_EQ(r.code, "invalid_json") << r.message;
    client::Result after = c.receive();
    EXPECT_TRUE(after.ok) << after.code << " " << after.message;
    // The unreadable request took no number.
    EXPECT_EQ(after.id, event_id(id_epoch(before.id), 2)) << after.id;

    // A line too long is refused by name, and the daemon closes the connection.
    client::Result big = c.publish(huge);
    EXPECT_TRUE(big.answered);
    EXPECT_EQ(big.code, "line_too_long") << big.message;
}

TEST_F(CppClient, StoppedDaemonFailsOutstandingRequestsWithoutHanging) {
    client::Client c(client::ClientOptions{.timeout = 10s});
    ASSERT_TRUE(c.connect(socket_of(_d))) << c.error();
    ASSERT_TRUE(c.ping().ok);
    ASSERT_EQ(_d.stop(), 0);
    client::Message m;
    m.channel = "a";
    m.event = "x";
    c.send_publish(m);
    c.send_publish(m);
    auto start = Clock::now();
    for (int i = 0; i < 2; ++i) {
        client::Result r = c.receive();
        EXPECT_FALSE(r.ok);
        EXPECT_FALSE(r.answered);
        EXPECT_EQ(r.code, client::errc::connection_lost) << r.message;
    }
    EXPECT_LT(Clock::now() - start, 5s);
    EXPECT_FALSE(c.connect(socket_of(_d)));
    EXPECT_TRUE(contains(c.error(), socket_of(_d))) << c.error();
}

}  // namespace
}  // namespace ringcast::itest

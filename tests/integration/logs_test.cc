// The daemon's log (docs/operations.md, "Logs"), read from its stderr: JSON
// lines when stderr is not a terminal, each refusal, slow reader and stream
// with its reason, client address and connection; a flood of refusals written
// as a bounded number of lines and a summary; the level changed while it runs
// (socket op, HTTP API, CLI); the opt-in access log; the text format.
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cli_support.h"
#include "daemon_process.h"
#include "http_client.h"
#include "json.h"
#include "publish_support.h"
#include "sse_fleet.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

using namespace std::chrono_literals;

// Every line of the daemon's log, each a JSON object (a line that is not one
// fails the test: with stderr a file, every line must be JSON).
std::vector<Json> json_lines(const DaemonProcess& d) {
    std::vector<Json> out;
    const std::string log = d.log();
    for (size_t at = 0; at < log.size();) {
        size_t end = log.find('\n', at);
        if (end == std::string::npos) break;  // a line still being written
        const std::string line = log.substr(at, end - at);
        at = end + 1;
        std::string error;
        auto j = Json::parse(line, &error);
        EXPECT_TRUE(j && j->has("ts") && j->has("level") && j->has("msg"))
            << "not a JSON log line (" << error << "): " << line;
        if (j) out.push_back(*j);
    }
    return out;
}

std::vector<Json> lines_with(const DaemonProcess& d, std::string_view msg) {
    std::vector<Json> out;
    for (Json& j : json_lines(d))
        if (j["msg"].as_string() == msg) out.push_back(std::move(j));
    return out;
}

// Waits (polling the log file) for a line with `msg` that `pred` accepts.
std::optional<Json> await_line(const DaemonProcess& d, std::string_view msg,
                               const std::function<bool(const Json&)>& pred, Deadline until) {
    for (;;) {
        for (const Json& j : lines_with(d, msg))
            if (pred(j)) return j;
        if (until.expired()) return std::nullopt;
        std::this_thread::sleep_for(10ms);  // a file has nothing to wait on
    }
}

bool any(const Json&) {
    return true;
}

TEST(Logs, RefusalsAreJsonLinesWithReasonAddressAndConnection) {
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 2, .config = "[[endpoint]]\npath = \"/s\"\nmax_connections_per_ip = 1\n"}))
        << d.error();
    SseFleet fleet(d.port());
    size_t first = open_from(fleet, "/s?channels=a", "127.0.0.7");
    ASSERT_TRUE(fleet[first].connected) << fleet.problems();
    size_t over = open_from(fleet, "/s?channels=a", "127.0.0.7");
    ASSERT_TRUE(fleet[over].head_done) << fleet.problems();
    ASSERT_EQ(fleet[over].status, 429) << fleet[over].head;

    auto refused = await_line(d, "stream refused", any, Deadline(5s));
    ASSERT_TRUE(refused) << d.log();
    EXPECT_EQ((*refused)["level"].as_string(), "info");
    EXPECT_EQ((*refused)["status"].as_int(), 429);
    EXPECT_EQ((*refused)["reason"].as_string(), "ip_connections");
    EXPECT_EQ((*refused)["ip"].as_string(), "127.0.0.7");
    EXPECT_EQ((*refused)["path"].as_string(), "/s");
    EXPECT_TRUE((*refused)["conn"].as_string().starts_with("c")) << d.log();
    EXPECT_GE((*refused)["shard"].as_int(-1), 0);

    // A 401 from the API: its path, never the query (a token may be there).
    HttpClient c(d.port(), "127.0.0.9");
    ASSERT_TRUE(c.connect()) << c.error();
    auto r = c.request("GET", "/api/connections?token=secret-in-the-url");
    ASSERT_TRUE(r) << c.error();
    ASSERT_EQ(r->status, 401);
    auto unauthorized = await_line(
        d, "request refused", [](const Json& j) { return j["status"].as_int() == 401; },
        Deadline(5s));
    ASSERT_TRUE(unauthorized) << d.log();
    EXPECT_EQ((*unauthorized)["ip"].as_string(), "127.0.0.9");
    EXPECT_EQ((*unauthorized)["method"].as_string(), "GET");
    EXPECT_EQ((*unauthorized)["path"].as_string(), "/api/connections");
    EXPECT_EQ((*unauthorized)["code"].as_string(), "unauthorized");
    EXPECT_FALSE((*unauthorized)["reason"].as_string().empty());
    EXPECT_EQ(d.log().find("secret-in-the-url"), std::string::npos);
}

// A publisher over publish.rate_limit: its connection, pid and why; for a
// batch, one line with how many of its messages were refused.
TEST(Logs, PublishRefusalsNameThePublisher) {
    DaemonProcess d;
    ASSERT_TRUE(
        d.start({.shards = 1, .config = "[publish]\nrate_limit = { max = 1, window = \"1m\" }\n"}))
        << d.error();
    UnixClient pub;
    ASSERT_TRUE(pub.connect(socket_path(d))) << pub.error();
    Json ok = ask(pub, R"({"op":"publish","req":1,"channel":"a","event":"e","data":1})");
    ASSERT_TRUE(ok["ok"].as_bool());
    Json refused = ask(pub, R"({"op":"publish","req":2,"channel":"a","event":"e","data":2})");
    ASSERT_EQ(refused["error"]["code"].as_string(), "rate_limited");
    auto line = await_line(d, "publish refused", any, Deadline(5s));
    ASSERT_TRUE(line) << d.log();
    EXPECT_EQ((*line)["reason"].as_string(), "publisher_rate");
    EXPECT_EQ((*line)["pid"].as_int(), int64_t(getpid()));
    EXPECT_TRUE((*line)["conn"].as_string().starts_with("c0-")) << d.log();
    EXPECT_GT((*line)["retry_ms"].as_int(), 0);
}

// 500 refusals in a burst: at most the limit's lines, and one summary line
// that accounts for the rest.
TEST(Logs, AFloodOfRefusalsIsBoundedAndSummedUp) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = "[log]\nrate_limit = 5\nrate_report = \"1s\"\n"}))
        << d.error();
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    constexpr int kRequests = 500;
    std::string burst;
    for (int i = 0; i < kRequests; ++i)
        burst += build_request("GET", "/api/connections");
    ASSERT_TRUE(c.send(burst)) << c.error();
    for (int i = 0; i < kRequests; ++i) {
        auto r = c.read_response(Deadline(10s));
        ASSERT_TRUE(r) << "response " << i << ": " << c.error();
        ASSERT_EQ(r->status, 401);
    }
    // Summaries name the kind ("event") and the count; the shard's timer
    // writes them once the report interval has passed: awaited until they
    // account for every refusal.
    int64_t written = 0, suppressed = 0;
    std::vector<Json> summaries;
    Deadline until(10s);
    for (;;) {
        summaries.clear();
        suppressed = 0;
        for (const Json& j : json_lines(d)) {
            if (j["event"].as_string() != "request refused") continue;
            summaries.push_back(j);
            suppressed += j["suppressed"].as_int();
        }
        written = int64_t(lines_with(d, "request refused").size());
        if (written + suppressed >= kRequests || until.expired()) break;
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(written + suppressed, kRequests) << d.log();
    EXPECT_GE(written, 5);
    EXPECT_LT(written, 50) << "a burst of 5 lines, then 5 a second";
    ASSERT_FALSE(summaries.empty()) << d.log();
    EXPECT_LE(summaries.size(), 3u) << "one a second at most";
    const Json& first = summaries[0];
    EXPECT_TRUE(first["msg"].as_string().starts_with("suppressed " +
                                                     std::to_string(first["suppressed"].as_int()) +
                                                     " 'request refused' lines in the last "))
        << first["msg"].as_string();
}

// Debug lines appear after the level is changed, not before: by the socket
// op, the HTTP API (admin credentials) and the CLI.
TEST(Logs, TheLevelChangesWhileTheDaemonRuns) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseFleet fleet(d.port());
    size_t before = fleet.add("/api/sse/stream?channels=a");
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();
    const std::string before_id = connection_id(fleet, before);

    UnixClient pub;
    ASSERT_TRUE(pub.connect(socket_path(d))) << pub.error();
    Json r = ask(pub, R"({"op":"log-level","req":1})");
    EXPECT_EQ(r["level"].as_string(), "info") << "asked, not changed";
    r = ask(pub, R"({"op":"log-level","req":2,"level":"debug"})");
    ASSERT_TRUE(r["ok"].as_bool());
    EXPECT_EQ(r["level"].as_string(), "debug");
    EXPECT_EQ(r["was"].as_string(), "info");
    r = ask(pub, R"({"op":"log-level","req":3,"level":"loud"})");
    EXPECT_EQ(r["error"]["code"].as_string(), "invalid_field");

    size_t after = fleet.add("/api/sse/stream?channels=a,b");
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();
    const std::string after_id = connection_id(fleet, after);
    auto opened = await_line(
        d, "stream opened", [&](const Json& j) { return j["conn"].as_string() == after_id; },
        Deadline(5s));
    ASSERT_TRUE(opened) << d.log();
    EXPECT_EQ((*opened)["level"].as_string(), "debug");
    EXPECT_EQ((*opened)["channels"].as_int(), 2);
    EXPECT_EQ((*opened)["ip"].as_string(), "127.0.0.1");
    for (const Json& j : lines_with(d, "stream opened"))
        EXPECT_NE(j["conn"].as_string(), before_id) << "logged at info: no debug line";
    EXPECT_EQ(lines_with(d, "log level: debug (was info)").size(), 1u) << d.log();

    // Closed by the client: a debug line with why and how long.
    fleet.close(after, false);
    auto closed = await_line(
        d, "stream closed", [&](const Json& j) { return j["conn"].as_string() == after_id; },
        Deadline(5s));
    ASSERT_TRUE(closed) << d.log();
    EXPECT_EQ((*closed)["reason"].as_string(), "client_closed");
    EXPECT_GE((*closed)["duration_ms"].as_int(-1), 0);

    // A connection that was not a stream: accepted, its request, closed.
    {
        HttpClient probe(d.port(), "127.0.0.3");
        ASSERT_TRUE(probe.connect()) << probe.error();
        auto ping =
            probe.request("GET", "/api/ping", {}, {{"X-API-Key", std::string(kTestApiKey)}});
        ASSERT_TRUE(ping && ping->status == 200) << probe.error();
    }
    const auto from_probe = [](const Json& j) { return j["ip"].as_string() == "127.0.0.3"; };
    EXPECT_TRUE(await_line(d, "connection accepted", from_probe, Deadline(5s))) << d.log();
    auto request = await_line(d, "request", from_probe, Deadline(5s));
    ASSERT_TRUE(request) << d.log();
    EXPECT_EQ((*request)["path"].as_string(), "/api/ping");
    auto probe_closed = await_line(d, "connection closed", from_probe, Deadline(5s));
    ASSERT_TRUE(probe_closed) << d.log();
    EXPECT_EQ((*probe_closed)["reason"].as_string(), "client_closed");

    // Over HTTP: the API key, as for the other admin routes.
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    auto no_key = c.request("PUT", "/api/log-level", R"({"level":"warn"})");
    ASSERT_TRUE(no_key) << c.error();
    EXPECT_EQ(no_key->status, 401);
    const Headers key = {{"Authorization", "Bearer " + std::string(kTestApiKey)}};
    auto put = c.request("PUT", "/api/log-level", R"({"level":"warn"})", key);
    ASSERT_TRUE(put) << c.error();
    ASSERT_EQ(put->status, 200) << put->body;
    EXPECT_EQ(parse_json(put->body)["was"].as_string(), "debug");
    auto bad = c.request("PUT", "/api/log-level", R"({"level":5})", key);
    ASSERT_TRUE(bad) << c.error();
    EXPECT_EQ(bad->status, 400) << bad->body;
    auto get = c.request("GET", "/api/log-level", {}, key);
    ASSERT_TRUE(get) << c.error();
    EXPECT_EQ(parse_json(get->body)["level"].as_string(), "warn");

    // And the CLI.
    CliRun cli = run_on(d, {"log-level", "info"});
    ASSERT_EQ(cli.code, 0) << cli.describe();
    EXPECT_EQ(cli.out, "log level: info (was warn)\n") << cli.describe();
    cli = run_on(d, {"log-level"});
    EXPECT_EQ(cli.out, "log level: info\n") << cli.describe();
    cli = run_on(d, {"log-level", "--json"});
    EXPECT_EQ(cli.out, "{\"ok\":true,\"level\":\"info\"}\n") << cli.describe();
    cli = run_on(d, {"log-level", "loud"});
    EXPECT_EQ(cli.code, 2) << cli.describe();
}

TEST(Logs, TheAccessLogHasEveryStreamAndRequestWhateverTheLevel) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1,
                         .config = "[server]\nlog_level = \"error\"\n[log]\naccess = true\n"
                                   "rate_limit = 1\n"}))
        << d.error();
    SseFleet fleet(d.port());
    size_t s = fleet.add("/api/sse/stream?channels=a,b,c");
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();
    const std::string id = connection_id(fleet, s);
    fleet.close(s, false);
    auto closed = await_line(
        d, "stream closed", [&](const Json& j) { return j["conn"].as_string() == id; },
        Deadline(5s));
    ASSERT_TRUE(closed) << d.log();
    EXPECT_EQ((*closed)["log"].as_string(), "access");
    EXPECT_EQ((*closed)["channels"].as_int(), 3);
    EXPECT_EQ((*closed)["path"].as_string(), "/api/sse/stream");
    EXPECT_EQ((*closed)["reason"].as_string(), "client_closed");
    EXPECT_EQ(lines_with(d, "stream opened").size(), 1u) << d.log();

    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    const Headers key = {{"Authorization", "Bearer " + std::string(kTestApiKey)}};
    for (int i = 0; i < 20; ++i) {
        auto r = c.request("GET", "/api/ping", {}, key);
        ASSERT_TRUE(r && r->status == 200) << c.error();
    }
    auto r = c.request("GET", "/api/connections");  // no key: 401
    ASSERT_TRUE(r) << c.error();
    auto requests = lines_with(d, "request");
    ASSERT_EQ(requests.size(), 21u) << "complete, never rate-limited:\n" << d.log();
    EXPECT_EQ(requests[0]["status"].as_int(), 200);
    EXPECT_EQ(requests[0]["method"].as_string(), "GET");
    EXPECT_EQ(requests[0]["path"].as_string(), "/api/ping");
    EXPECT_GE(requests[0]["duration_ms"].as_int(-1), 0);
    EXPECT_EQ(requests[20]["status"].as_int(), 401);
    EXPECT_TRUE(lines_with(d, "request refused").empty()) << "below log_level = error";
}

TEST(Logs, TextFormatOnRequest) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .extra_args = {"--log-format", "text"}})) << d.error();
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    auto r = c.request("GET", "/api/connections");
    ASSERT_TRUE(r && r->status == 401) << c.error();
    const std::string log = d.log();
    EXPECT_EQ(log.find("{\"ts\""), std::string::npos) << log;
    EXPECT_NE(log.find(" request refused shard=0 status=401 code=unauthorized"), std::string::npos)
        << log;
}

}  // namespace
}  // namespace ringcast::itest

// SIGHUP reloads the configuration (server/reload.h, docs/operations.md#reload):
// what may change applies at once on every shard, open streams stay open and
// follow their endpoint's new options, a bad file is refused with its problems
// while the running configuration stays, and the keys that need a restart are
// named in one line and keep their running values.
#include <csignal>
#include <string>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "json.h"
#include "sse_client.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

constexpr const char* kReloaded = "STATUS=configuration reloaded";
constexpr const char* kRefused = "STATUS=reload refused; running the previous configuration";

int publish_status(uint16_t port, const std::string& key, const std::string& data) {
    HttpClient c(port);
    if (!c.connect()) return -1;
    auto r = c.request("POST", "/api/publish", publish_body("news", "update", data),
                       {{"X-API-Key", key}});
    return r ? r->status : -1;
}

// Writes the daemon's configuration file anew and sends SIGHUP; true once the
// daemon said `outcome` (kReloaded, kRefused) to systemd.
bool reload_with(DaemonProcess& d, const std::string& config, const char* outcome) {
    d.dir().write("ringcast.toml", config);
    return d.signal(SIGHUP) && d.await_notify(outcome, Deadline(10s));
}

size_t count_type(const SseClient& s, const std::string& type) {
    size_t n = 0;
    for (const ReceivedEvent& e : s.events())
        n += e.event.type == type;
    return n;
}

TEST(Reload, NewKeysAndEndpointOptionsApplyWhileOpenStreamsStay) {
    const std::string before = R"(
[publish]
api_keys = ["key-before"]
[[endpoint]]
path = "/api/sse/stream"
heartbeat_interval = "60s"
)";
    const std::string after = R"(
[publish]
api_keys = ["key-after"]
[[endpoint]]
path = "/api/sse/stream"
heartbeat_interval = "1s"
[[endpoint]]
path = "/live"
)";
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = before, .keep_notify = true})) << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=news")) << s.error();
    ASSERT_EQ(s.status(), 200);
    EXPECT_EQ(publish_status(d.port(), "key-before", "1"), 200);
    ASSERT_TRUE(s.await_events(2, Deadline(5s)));  // connected, the event

    ASSERT_TRUE(reload_with(d, after, kReloaded)) << d.log();
    EXPECT_EQ(publish_status(d.port(), "key-before", "2"), 401);
    EXPECT_EQ(publish_status(d.port(), "key-after", "3"), 200);
    // The stream opened before the reload: still the same connection, it gets
    // the event, and its endpoint's new heartbeat interval (60 s before).
    ASSERT_TRUE(s.read_until([&] { return s.data_events().size() == 2; }, Deadline(5s)))
        << s.raw_body();
    EXPECT_EQ(s.data_events()[1].data, "3");
    EXPECT_TRUE(s.read_until([&] { return count_type(s, "heartbeat") >= 1; }, Deadline(5s)))
        << s.raw_body();
    EXPECT_FALSE(s.ended());
    // The endpoint the reload added serves streams.
    SseClient added;
    ASSERT_TRUE(added.open(d.port(), "/live?channels=news")) << added.error();
    EXPECT_EQ(added.status(), 200);
    EXPECT_NE(d.log().find("configuration reloaded from"), std::string::npos) << d.log();
}

TEST(Reload, ABadFileIsRefusedWithItsProblemsAndTheRunningOneStays) {
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 2, .config = "[publish]\napi_keys = [\"key-kept\"]\n", .keep_notify = true}))
        << d.error();
    ASSERT_TRUE(reload_with(
        d, "[publish]\napi_keys = [\"key-new\"]\n[server]\nmax_connections = \"many\"\n", kRefused))
        << d.log();
    EXPECT_NE(d.log().find("reload refused"), std::string::npos) << d.log();
    EXPECT_NE(d.log().find("server.max_connections"), std::string::npos) << d.log();
    EXPECT_EQ(publish_status(d.port(), "key-kept", "1"), 200);
    EXPECT_EQ(publish_status(d.port(), "key-new", "2"), 401);
    // A file that does not parse at all, likewise.
    ASSERT_TRUE(reload_with(d, "[publish\n", kRefused)) << d.log();
    EXPECT_EQ(publish_status(d.port(), "key-kept", "3"), 200);
}

TEST(Reload, RestartOnlyKeysAreNamedInOneLineAndKeepTheirValues) {
    DaemonProcess d;
    ASSERT_TRUE(
        d.start({.shards = 2, .config = "[publish]\napi_keys = [\"k1\"]\n", .keep_notify = true}))
        << d.error();
    ASSERT_TRUE(reload_with(d,
                            "[publish]\napi_keys = [\"k2\"]\n[server]\nlisten_backlog = 77\n"
                            "[engine]\nrecv_buffers = 1024\n",
                            kReloaded))
        << d.log();
    const std::string log = d.log();
    const size_t at = log.find("server.listen_backlog, engine.recv_buffers cannot change");
    EXPECT_NE(at, std::string::npos) << log;
    // The rest of the file applied.
    EXPECT_EQ(publish_status(d.port(), "k2", "1"), 200);
}

TEST(Reload, TheStreamLimitAndTheHistoryBoundsChangeAtOnce) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .keep_notify = true})) << d.error();
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(publish(c, "news", "update", std::to_string(i)));
    Json stats;
    ASSERT_TRUE(await_stats(c, [](const Json& s) { return s["history"]["events"].as_int() == 5; },
                            Deadline(5s), &stats, {}, {{"X-API-Key", std::string(kTestApiKey)}}))
        << stats["history"]["events"].as_int();
    SseClient first;
    ASSERT_TRUE(first.open(d.port(), "/api/sse/stream?channels=other")) << first.error();
    ASSERT_EQ(first.status(), 200);

    ASSERT_TRUE(reload_with(d,
                            with_test_api_key("[server]\nmax_connections = 1\n"
                                              "[history]\nmax_events = 2\n"),
                            kReloaded))
        << d.log();
    // The open stream stays; a second one is past the new limit.
    SseClient second;
    ASSERT_TRUE(second.open(d.port(), "/api/sse/stream?channels=other")) << second.error();
    EXPECT_EQ(second.status(), 503);
    EXPECT_FALSE(first.ended());
    // The channel's history was cut to its newest two at once.
    ASSERT_TRUE(await_stats(c, [](const Json& s) { return s["history"]["events"].as_int() == 2; },
                            Deadline(5s), &stats, {}, {{"X-API-Key", std::string(kTestApiKey)}}))
        << stats["history"]["events"].as_int();
}

// A reload applies the file's log level, also over one set at runtime.
TEST(Reload, TheFilesLogLevelAppliesOverOneSetAtRuntime) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .keep_notify = true})) << d.error();
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    const Headers key = {{"X-API-Key", std::string(kTestApiKey)}};
    auto set = c.request("PUT", "/api/log-level", R"({"level":"debug"})", key);
    ASSERT_TRUE(set) << c.error();
    ASSERT_EQ(set->status, 200) << set->body;
    ASSERT_TRUE(reload_with(d, with_test_api_key(""), kReloaded)) << d.log();
    auto now = c.request("GET", "/api/log-level", {}, key);
    ASSERT_TRUE(now) << c.error();
    EXPECT_NE(now->body.find(R"("level":"info")"), std::string::npos) << now->body;
}

// Reloads while 200 streams on both shards receive a steady publish: no
// stream ends, and each gets every event once, in order.
TEST(Reload, UnderLoadNoStreamEndsAndNoEventIsLostOrRepeated) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .keep_notify = true})) << d.error();
    SseFleet fleet(d.port());
    constexpr size_t kStreams = 200;
    for (size_t i = 0; i < kStreams; ++i)
        fleet.add("/api/sse/stream?channels=news");
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    constexpr int kEvents = 60;
    const std::string config = with_test_api_key("[sse]\nheartbeat_interval = \"2s\"\n");
    for (int i = 0; i < kEvents; ++i) {
        ASSERT_TRUE(publish(c, "news", "update", std::to_string(i)));
        if (i % 15 == 7) {
            d.dir().write("ringcast.toml", config);
            ASSERT_TRUE(d.signal(SIGHUP));
            // The streams are read meanwhile: the reload must not wait on them.
            ASSERT_TRUE(fleet.run_until([&] { return d.await_notify(kReloaded, Deadline(0ms)); },
                                        Deadline(10s)))
                << d.log();
        }
        fleet.pump(0);
    }
    ASSERT_TRUE(fleet.run_until(
        [&] {
            for (size_t i = 0; i < fleet.size(); ++i)
                if (fleet[i].data_events().size() < size_t(kEvents)) return false;
            return true;
        },
        Deadline(20s)))
        << fleet.problems();
    for (size_t i = 0; i < fleet.size(); ++i) {
        const FleetClient& f = fleet[i];
        EXPECT_FALSE(f.ended) << "stream " << i;
        const auto events = f.data_events();
        ASSERT_EQ(events.size(), size_t(kEvents)) << "stream " << i;
        for (int k = 0; k < kEvents; ++k)
            ASSERT_EQ(events[size_t(k)]->data, std::to_string(k)) << "stream " << i;
    }
}

}  // namespace
}  // namespace ringcast::itest

// What ringcastd tells systemd through NOTIFY_SOCKET after READY=1: STATUS=
// lines with the streams open and the rates, STOPPING=1 with a STATUS when it
// drains, and WATCHDOG=1 pings that stop when a shard's loop stops turning.
// The harness plays systemd (DaemonOptions::keep_notify, WATCHDOG_USEC). A
// shard is stalled for real: its thread alone is stopped with ptrace
// (PTRACE_INTERRUPT), as a handler stuck in a loop would hold it.
#include <signal.h>

#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "sse_client.h"
#include "stopped_thread.h"

namespace ringcast::itest {
namespace {

// Reads notifications until one satisfies `pred`; that one, or nullopt by the deadline.
std::optional<std::string> await_notify(DaemonProcess& d,
                                        const std::function<bool(const std::string&)>& pred,
                                        const Deadline& deadline) {
    while (auto msg = d.next_notify(deadline))
        if (pred(*msg)) return msg;
    return std::nullopt;
}

bool has_line(const std::string& msg, const std::string& line) {
    return ("\n" + msg + "\n").find("\n" + line + "\n") != std::string::npos;
}

// Watchdog pings among the notifications that arrive until the deadline.
int count_pings(DaemonProcess& d, const Deadline& deadline) {
    int pings = 0;
    while (auto msg = d.next_notify(deadline))
        pings += has_line(*msg, "WATCHDOG=1");
    return pings;
}

TEST(SystemdNotify, StatusLinesCountStreamsAndRates) {
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 2, .config = "[server]\nstatus_interval = \"1s\"\n", .keep_notify = true}))
        << d.error();
    EXPECT_TRUE(d.status_line().starts_with("listening on 127.0.0.1:")) << d.status_line();
    SseClient a, b;
    ASSERT_TRUE(a.open(d.port(), "/api/sse/stream?channels=news")) << a.error();
    ASSERT_TRUE(b.open(d.port(), "/api/sse/stream?channels=news")) << b.error();
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    for (int i = 0; i < 5; ++i) {
        auto r = publish(api, "news", "tick", "{\"n\":" + std::to_string(i) + "}");
        ASSERT_TRUE(r) << api.error();
        ASSERT_EQ(r->response.status, 200) << r->response.describe();
    }
    // Lines that have seen both streams and the publishes: "2 streams, N
    // events/s, M deliveries/s". Each shard adds its figures at its own beat, so
    // the events and their deliveries may be counted in different lines.
    bool events = false, deliveries = false;
    auto status = await_notify(
        d,
        [&](const std::string& m) {
            if (!m.starts_with("STATUS=2 streams, ")) return false;
            events |= m.find(", 0 events/s") == std::string::npos;
            deliveries |= m.find(", 0 deliveries/s") == std::string::npos;
            return events && deliveries;
        },
        Deadline(10s));
    ASSERT_TRUE(status) << "no STATUS lines with 2 streams, events and deliveries";
    // Nothing published since: the next lines say 0 events/s.
    EXPECT_TRUE(await_notify(
        d, [](const std::string& m) { return m == "STATUS=2 streams, 0 events/s, 0 deliveries/s"; },
        Deadline(10s)));
}

TEST(SystemdNotify, StoppingWithTheStreamsDraining) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .keep_notify = true})) << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=news")) << s.error();
    ASSERT_TRUE(d.signal(SIGTERM));
    auto stopping = await_notify(
        d, [](const std::string& m) { return has_line(m, "STOPPING=1"); }, Deadline(10s));
    ASSERT_TRUE(stopping) << "no STOPPING=1 on SIGTERM";
    EXPECT_NE(stopping->find("STATUS=draining: "), std::string::npos) << *stopping;
    auto code = d.wait_exit(Deadline(15s));
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0);
}

TEST(SystemdNotify, WatchdogPingsOnlyWhileEveryShardTurns) {
    DaemonProcess d;
    // WatchdogSec=1s: a ping every 500 ms, each shard beating every 125 ms.
    ASSERT_TRUE(d.start({.shards = 2, .env = {"WATCHDOG_USEC=1000000"}, .keep_notify = true}))
        << d.error();
    // Healthy: pings keep coming (about 5 in 2.5 s).
    EXPECT_GE(count_pings(d, Deadline(2500ms)), 3);
    EXPECT_NE(d.log().find("systemd watchdog: 1000 ms"), std::string::npos) << d.log();

    pid_t tid = thread_named(d.pid(), "ringcast-s1");
    ASSERT_GT(tid, 0) << "no thread named ringcast-s1 in the daemon";
    StoppedThread stalled;
    std::string why;
    if (!stalled.stop(tid, &why)) GTEST_SKIP() << "cannot stop one thread here: " << why;
    // A ping decided just before the stall may still be on its way.
    count_pings(d, Deadline(700ms));
    EXPECT_EQ(count_pings(d, Deadline(2s)), 0) << "pinged while shard 1 was stalled";
    EXPECT_NE(d.log().find("shard 1: its loop has not turned for"), std::string::npos) << d.log();

    stalled.resume();
    EXPECT_GE(count_pings(d, Deadline(3s)), 2) << "no pings once shard 1 turned again";
    EXPECT_NE(d.log().find("shard 1: its loop turns again"), std::string::npos) << d.log();
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    EXPECT_TRUE(fetch_stats(api)) << api.error();
}

TEST(SystemdNotify, NoWatchdogWithoutWatchdogSec) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .keep_notify = true})) << d.error();
    EXPECT_EQ(count_pings(d, Deadline(1500ms)), 0);
    EXPECT_EQ(d.log().find("systemd watchdog"), std::string::npos) << d.log();
}

}  // namespace
}  // namespace ringcast::itest

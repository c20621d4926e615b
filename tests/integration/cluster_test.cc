// [cluster] redis on the real daemon with a real redis-server
// (tests/common/redis_server.h): a node starts without Redis and is unready,
// with the check "redis" saying why; it becomes ready once Redis is there, is
// unready again while Redis is gone (killed) and ready when it returns; it
// stops cleanly with its links. A malformed URL stops the daemon at startup
// with a message naming the key, never the password.
#include <gtest/gtest.h>

#include "../common/redis_server.h"
#include "daemon_process.h"
#include "http_client.h"
#include "json.h"

namespace ringcast::itest {
namespace {

const Headers kKey = {{"X-API-Key", std::string(kTestApiKey)}};

struct Ready {
    int status = 0;
    bool redis_ok = false;
    std::string reason;
    std::string body;
};

Ready ready_of(uint16_t port) {
    Ready out;
    HttpClient c(port);
    if (!c.connect()) return out;
    auto r = c.request("GET", "/healthz/ready", {}, kKey);
    if (!r) return out;
    out.status = r->status;
    out.body = r->body;
    auto j = r->json();
    if (!j) return out;
    Json redis = (*j)["checks"]["redis"];
    out.redis_ok = redis["ok"].as_bool();
    if (!out.redis_ok) out.reason = redis["reason"].as_string();
    return out;
}

// Asks /healthz/ready until it answers `status` (the links change on their
// own time: a connect, a backoff of up to redis_reconnect_max).
Ready await_ready(uint16_t port, int status, const Deadline& d) {
    for (;;) {
        Ready r = ready_of(port);
        if (r.status == status || d.expired()) return r;
        usleep(20'000);
    }
}

std::string cluster_config(const std::string& url) {
    return "[cluster]\nredis = \"" + url +
           "\"\nredis_reconnect_base = \"10ms\"\nredis_reconnect_max = \"200ms\"\n"
           "redis_ping_interval = \"200ms\"\nredis_command_timeout = \"500ms\"\n";
}

TEST(Cluster, ReadinessFollowsRedisDownAndUp) {
    if (test::redis_server_path().empty())
        GTEST_SKIP() << "redis-server is not installed (Debian: apt-get install redis-server)";
    test::RedisServer redis;  // its socket path; not started yet
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = cluster_config(redis.unix_url())})) << d.error();

    // No Redis yet: the node runs, but tells the load balancer to wait.
    Ready r = await_ready(d.port(), 503, Deadline(10s));
    ASSERT_EQ(r.status, 503) << r.body;
    EXPECT_FALSE(r.redis_ok) << r.body;
    EXPECT_EQ(r.reason.rfind("redis: shard ", 0), 0u) << r.body;
    EXPECT_NE(r.reason.find("No such file or directory"), std::string::npos) << r.body;

    ASSERT_TRUE(redis.start()) << redis.error();
    r = await_ready(d.port(), 200, Deadline(10s));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.redis_ok);
    EXPECT_NE(d.log().find("linked to Redis at " + redis.unix_url()), std::string::npos);

    // Redis dies without a word: unready again, and ready once it is back.
    redis.kill();
    r = await_ready(d.port(), 503, Deadline(10s));
    ASSERT_EQ(r.status, 503) << r.body;
    EXPECT_FALSE(r.redis_ok) << r.body;
    EXPECT_NE(d.log().find("no link to Redis at " + redis.unix_url()), std::string::npos)
        << d.log();
    ASSERT_TRUE(redis.start()) << redis.error();
    r = await_ready(d.port(), 200, Deadline(10s));
    ASSERT_EQ(r.status, 200) << r.body;

    auto code = d.stop();
    ASSERT_TRUE(code) << "the daemon did not stop with its links";
    EXPECT_EQ(*code, 0) << d.log();
}

TEST(Cluster, OverTcpWithAPassword) {
    if (test::redis_server_path().empty())
        GTEST_SKIP() << "redis-server is not installed (Debian: apt-get install redis-server)";
    test::RedisServer redis;
    ASSERT_TRUE(redis.start({.tcp = true, .password = "pa@ss"})) << redis.error();
    const std::string host = "127.0.0.1:" + std::to_string(redis.port());
    {
        DaemonProcess d;
        ASSERT_TRUE(d.start({.config = cluster_config("redis://:wrong@" + host)})) << d.error();
        // Unready from the start ("connecting"); the reason names the refusal
        // once the first attempt has been answered.
        Ready r;
        for (Deadline until(10s); !until.expired(); usleep(20'000)) {
            r = await_ready(d.port(), 503, until);
            if (r.reason.find("WRONGPASS") != std::string::npos) break;
        }
        ASSERT_EQ(r.status, 503) << r.body;
        EXPECT_NE(r.reason.find("Redis refused AUTH: WRONGPASS"), std::string::npos) << r.body;
        EXPECT_EQ(d.log().find("wrong@"), std::string::npos) << "the password in the log";
    }
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = cluster_config(
                             "redis://:pa%40ss@localhost:" + std::to_string(redis.port()) + "/1")}))
        << d.error();
    Ready r = await_ready(d.port(), 200, Deadline(10s));
    ASSERT_EQ(r.status, 200) << r.body;
}

TEST(Cluster, ABadUrlStopsTheDaemonAtStartup) {
    TempDir dir;
    const std::string conf = dir.write("bad.toml", "[cluster]\nredis = \"redis://:hunter2@\"\n");
    CommandResult start = run_ringcastd(
        {"--http", "127.0.0.1:0", "--data-dir", dir.path() + "/data", "--config", conf},
        Deadline(10s));
    ASSERT_TRUE(start.exit_code) << "the daemon started";
    EXPECT_EQ(*start.exit_code, 2) << start.err;
    EXPECT_NE(start.err.find("cluster.redis"), std::string::npos) << start.err;
    EXPECT_NE(start.err.find("no host"), std::string::npos) << start.err;
    EXPECT_EQ(start.err.find("hunter2"), std::string::npos) << "the password:\n" << start.err;
}

}  // namespace
}  // namespace ringcast::itest

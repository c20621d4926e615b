// Per-user stream caps across a cluster, and who is in it: real redis-server
// (tests/common/redis_server.h) and real daemons on loopback. A user capped at
// 2 opens one stream on node A and one on node B; a third on either is refused
// with the one-node refusal (429 rate_limited, user_connections); closing one
// frees a slot on the other node; kill -9 of a node frees its slots within
// [cluster] node_ttl. A node whose name is held by another live node stays
// out (unready, with the reason) until that node leaves.
#include <signal.h>

#include <gtest/gtest.h>

#include "../common/redis_server.h"
#include "cli_support.h"
#include "daemon_process.h"
#include "http_client.h"
#include "json.h"
#include "jwt_mint.h"
#include "publish_support.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

using namespace std::chrono_literals;

constexpr char kSecret[] = "cluster-caps-secret-0123456789abcdefXYZ";
const Headers kKey = {{"X-API-Key", std::string(kTestApiKey)}};

std::string node_config(const std::string& url, const std::string& name) {
    return std::string("[auth]\nalgorithm = \"HS256\"\nsecret = \"") + kSecret +
           "\"\n[cluster]\nredis = \"" + url + "\"\nnode = \"" + name +
           "\"\nnode_ttl = \"1s\"\nredis_reconnect_base = \"10ms\"\n"
           "redis_reconnect_max = \"200ms\"\nredis_command_timeout = \"500ms\"\n"
           "[[endpoint]]\npath = \"/u\"\nmax_connections_per_user = 2\n";
}

// /healthz/ready's status and body, asked until it answers `status`.
std::pair<int, std::string> await_ready(uint16_t port, int status, const Deadline& d) {
    for (;;) {
        int got = 0;
        std::string body;
        HttpClient c(port);
        if (c.connect())
            if (auto r = c.request("GET", "/healthz/ready", {}, kKey)) {
                got = r->status;
                body = r->body;
            }
        if (got == status || d.expired()) return {got, body};
        usleep(20'000);
    }
}

struct Refused {
    int status = 0;
    std::string code, reason, message, retry_after;
};

// A stream that is meant to be refused: the whole answer, read plainly.
Refused refused_on(uint16_t port, const std::string& token) {
    Refused out;
    HttpClient c(port);
    if (!c.connect()) return out;
    auto r = c.request("GET", "/u?channels=a&token=" + token);
    if (!r) return out;
    out.status = r->status;
    for (const auto& [k, v] : r->headers)
        if (k == "retry-after") out.retry_after = v;
    if (auto j = r->json()) {
        out.code = (*j)["error"]["code"].as_string();
        out.reason = (*j)["error"]["reason"].as_string();
        out.message = (*j)["error"]["message"].as_string();
    }
    return out;
}

// Opens streams until one is accepted: a slot freed elsewhere is seen once
// the release (or the dead node's TTL) has reached Redis.
size_t open_when_free(SseFleet& fleet, uint16_t port, const std::string& token, const Deadline& d) {
    (void)port;
    for (;;) {
        size_t i = open_from(fleet, "/u?channels=a&token=" + token, "127.0.0.1");
        if (fleet[i].connected || d.expired()) return i;
        usleep(50'000);
    }
}

// A real redis-server for each test (skipped without one), and two nodes on
// it, named node-a and node-b, started and ready.
class ClusterPair : public ::testing::Test {
protected:
    void SetUp() override {
        if (test::redis_server_path().empty())
            GTEST_SKIP() << "redis-server is not installed (Debian: apt-get install redis-server)";
        ASSERT_TRUE(redis.start()) << redis.error();
    }
    void start_both() {
        ASSERT_TRUE(a.start({.config = node_config(redis.unix_url(), "node-a")})) << a.error();
        ASSERT_TRUE(b.start({.config = node_config(redis.unix_url(), "node-b")})) << b.error();
        ASSERT_EQ(await_ready(a.port(), 200, Deadline(10s)).first, 200);
        ASSERT_EQ(await_ready(b.port(), 200, Deadline(10s)).first, 200);
    }
    test::RedisServer redis;
    DaemonProcess a, b;
};

TEST_F(ClusterPair, AUserCapHoldsAcrossNodes) {
    start_both();
    if (HasFatalFailure()) return;
    EXPECT_TRUE(a.await_log("joined the cluster under prefix", Deadline(5s))) << a.log();
    const std::string alice = mint_hs256(kSecret, R"({"sub":"alice"})");
    const std::string bob = mint_hs256(kSecret, R"({"sub":"bob"})");

    SseFleet on_a(a.port()), on_b(b.port());
    size_t a1 = open_from(on_a, "/u?channels=a&token=" + alice, "127.0.0.1");
    ASSERT_TRUE(on_a[a1].connected) << on_a.problems();
    size_t b1 = open_from(on_b, "/u?channels=a&token=" + alice, "127.0.0.1");
    ASSERT_TRUE(on_b[b1].connected) << on_b.problems();

    // The third, on either node: the refusal one node gives.
    for (uint16_t port : {a.port(), b.port()}) {
        Refused r = refused_on(port, alice);
        EXPECT_EQ(r.status, 429);
        EXPECT_EQ(r.code, "rate_limited");
        EXPECT_EQ(r.reason, "user_connections");
        EXPECT_EQ(r.message, "user alice already has 2 streams open (the most allowed)");
        EXPECT_EQ(r.retry_after, "5");
    }
    size_t other = open_from(on_b, "/u?channels=a&token=" + bob, "127.0.0.1");
    EXPECT_TRUE(on_b[other].connected) << "bob has his own count";

    // Closing the stream on B frees a slot on A.
    on_b.close(b1, false);
    size_t a2 = open_when_free(on_a, a.port(), alice, Deadline(10s));
    ASSERT_TRUE(on_a[a2].connected) << on_a.problems();
    EXPECT_EQ(refused_on(b.port(), alice).status, 429) << "A holds both now";

    // One back on B, then B dies without a word: its slot frees within node_ttl.
    on_a.close(a2, false);
    size_t b2 = open_when_free(on_b, b.port(), alice, Deadline(10s));
    ASSERT_TRUE(on_b[b2].connected) << on_b.problems();
    EXPECT_EQ(refused_on(a.port(), alice).status, 429);
    ASSERT_TRUE(b.signal(SIGKILL));
    ASSERT_TRUE(b.wait_exit(Deadline(5s)));
    const auto killed = std::chrono::steady_clock::now();
    size_t a3 = open_when_free(on_a, a.port(), alice, Deadline(10s));
    ASSERT_TRUE(on_a[a3].connected) << on_a.problems();
    EXPECT_LT(std::chrono::steady_clock::now() - killed, 3s) << "node_ttl is 1s";
}

// Redis gone: each node's own cap decides at once (no stream waits), and the
// node says so; Redis back, empty: every node writes its counts again, and
// the cap holds across the nodes once more.
TEST_F(ClusterPair, WithoutRedisEachNodeCountsItsOwnThenWritesItBack) {
    start_both();
    if (HasFatalFailure()) return;
    const std::string alice = mint_hs256(kSecret, R"({"sub":"alice"})");
    SseFleet on_a(a.port()), on_b(b.port());
    size_t a1 = open_from(on_a, "/u?channels=a&token=" + alice, "127.0.0.1");
    ASSERT_TRUE(on_a[a1].connected) << on_a.problems();
    size_t b1 = open_from(on_b, "/u?channels=a&token=" + alice, "127.0.0.1");
    ASSERT_TRUE(on_b[b1].connected) << on_b.problems();

    redis.kill();
    ASSERT_EQ(await_ready(a.port(), 503, Deadline(10s)).first, 503);
    const auto asked = std::chrono::steady_clock::now();
    size_t a2 = open_from(on_a, "/u?channels=a&token=" + alice, "127.0.0.1", {}, Deadline(5s));
    ASSERT_TRUE(on_a[a2].connected) << "A's own count is 1 of 2: " << on_a.problems();
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s) << "the link is known to be down";
    EXPECT_EQ(refused_on(a.port(), alice).status, 429) << "A's own cap still holds";
    EXPECT_TRUE(a.await_log("counted on this node only", Deadline(5s))) << a.log();

    // Redis back, empty: A's 2 and B's 1 are written again, so B refuses a
    // stream its own count (1) would allow.
    ASSERT_TRUE(redis.start()) << redis.error();
    ASSERT_EQ(await_ready(a.port(), 200, Deadline(10s)).first, 200);
    ASSERT_EQ(await_ready(b.port(), 200, Deadline(10s)).first, 200);
    bool refused = false;
    for (Deadline d(10s); !refused && !d.expired();) {
        size_t i = open_from(on_b, "/u?channels=a&token=" + alice, "127.0.0.1");
        refused = on_b[i].status == 429;
        if (on_b[i].connected) {  // not written back yet: this one goes again
            on_b.close(i, false);
            usleep(100'000);
        }
    }
    EXPECT_TRUE(refused) << "the counts were not written back";
    EXPECT_TRUE(a.await_log("counted across the cluster again", Deadline(5s))) << a.log();
}

TEST(ClusterCaps, ANameHeldByALiveNodeKeepsTheSecondOut) {
    if (test::redis_server_path().empty())
        GTEST_SKIP() << "redis-server is not installed (Debian: apt-get install redis-server)";
    test::RedisServer redis;
    ASSERT_TRUE(redis.start()) << redis.error();
    DaemonProcess first, second;
    ASSERT_TRUE(first.start({.config = node_config(redis.unix_url(), "same")})) << first.error();
    ASSERT_EQ(await_ready(first.port(), 200, Deadline(10s)).first, 200);
    ASSERT_TRUE(second.start({.config = node_config(redis.unix_url(), "same")})) << second.error();
    EXPECT_TRUE(second.await_log("is held by another live ringcastd", Deadline(10s)))
        << second.log();
    auto [status, body] = await_ready(second.port(), 503, Deadline(5s));
    EXPECT_EQ(status, 503) << body;
    EXPECT_NE(body.find("cluster: the node name \\\"same\\\" is held by another live node"),
              std::string::npos)
        << body;
    EXPECT_EQ(await_ready(first.port(), 200, Deadline(1s)).first, 200) << "the first stays in";

    // The first stops (and gives its name up): the second joins.
    auto code = first.stop();
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0) << first.log();
    EXPECT_EQ(await_ready(second.port(), 200, Deadline(5s)).first, 200);
    EXPECT_TRUE(second.await_log("joined the cluster", Deadline(5s))) << second.log();
}

// GET /api/stats?cluster=1 on any node: every live node's summary and the
// totals; `ringcast stats --cluster` prints them; a node killed leaves the
// list within node_ttl.
TEST_F(ClusterPair, ClusterStatsShowEveryLiveNodeFromAnyNode) {
    start_both();
    if (HasFatalFailure()) return;
    // A stream on B, seen from A once B's next beat has written it.
    SseFleet on_b(b.port());
    size_t s = open_from(on_b, "/u?channels=a", "127.0.0.1");
    ASSERT_TRUE(on_b[s].connected) << on_b.problems();

    auto cluster_of = [](uint16_t port) {
        HttpClient c(port);
        std::optional<Json> out;
        if (!c.connect()) return out;
        auto r = c.request("GET", "/api/stats?cluster=1", {}, kKey);
        if (r && r->status == 200) out = r->json();
        return out;
    };
    std::optional<Json> doc;
    for (Deadline d(10s); !d.expired(); usleep(50'000)) {
        doc = cluster_of(a.port());
        if (doc && (*doc)["totals"]["nodes"].as_int() == 2 &&
            (*doc)["totals"]["streams"].as_int() == 1)
            break;
    }
    ASSERT_TRUE(doc);
    EXPECT_EQ((*doc)["self"].as_string(), "node-a");
    EXPECT_EQ((*doc)["prefix"].as_string(), "ringcast");
    ASSERT_EQ((*doc)["nodes"].size(), 2u);
    EXPECT_EQ((*doc)["nodes"][0]["node"].as_string(), "node-a");
    EXPECT_EQ((*doc)["nodes"][1]["node"].as_string(), "node-b");
    EXPECT_EQ((*doc)["nodes"][1]["streams"].as_int(), 1);
    EXPECT_EQ((*doc)["nodes"][1]["shards"].as_int(), 2);
    EXPECT_EQ((*doc)["totals"]["shards"].as_int(), 4);
    EXPECT_EQ((*doc)["totals"]["streams"].as_int(), 1);

    CliRun cli = run_on(a, {"stats", "--cluster"});
    ASSERT_EQ(cli.code, 0) << cli.describe();
    EXPECT_NE(cli.out.find("node-a *"), std::string::npos) << cli.out;
    EXPECT_NE(cli.out.find("node-b"), std::string::npos) << cli.out;
    EXPECT_NE(cli.out.find("total (2 nodes)"), std::string::npos) << cli.out;

    // /metrics counts the live nodes too (its snapshot is taken every second).
    std::string metrics;
    for (Deadline d(5s); !d.expired(); usleep(50'000)) {
        HttpClient c(a.port());
        ASSERT_TRUE(c.connect());
        auto m = c.request("GET", "/metrics", {}, kKey);
        ASSERT_TRUE(m);
        metrics = m->body;
        if (metrics.find("ringcast_cluster_nodes 2") != std::string::npos) break;
    }
    EXPECT_NE(metrics.find("ringcast_cluster_nodes 2"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("ringcast_cluster_registered 1"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("ringcast_redis_link_commands_total{shard=\"0\"}"), std::string::npos)
        << metrics;

    ASSERT_TRUE(b.signal(SIGKILL));
    ASSERT_TRUE(b.wait_exit(Deadline(5s)));
    for (Deadline d(5s); !d.expired(); usleep(50'000)) {
        doc = cluster_of(a.port());
        if (doc && (*doc)["totals"]["nodes"].as_int() == 1) break;
    }
    ASSERT_TRUE(doc);
    EXPECT_EQ((*doc)["totals"]["nodes"].as_int(), 1) << "node_ttl is 1s";

    // A node alone is told so.
    DaemonProcess alone;
    ASSERT_TRUE(alone.start()) << alone.error();
    HttpClient c(alone.port());
    ASSERT_TRUE(c.connect());
    auto r = c.request("GET", "/api/stats?cluster=1", {}, kKey);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(r->body.find("no_cluster"), std::string::npos) << r->body;
}

}  // namespace
}  // namespace ringcast::itest

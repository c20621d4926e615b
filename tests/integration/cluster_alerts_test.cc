// Alerts in a cluster (docs/alerts.md, "In a cluster"): real daemons sharing
// one real redis-server. An alert created on one node is on the streams of the
// others at once, and every node's API shows the same list; two nodes editing
// the same version: one wins, the other gets 409 with the winner; a dismissal
// on one node reaches the user's streams on another; an expiry is announced
// once however many nodes see it pass; a node started late gets the list; an
// alerts.db is put into a Redis that holds no set; without Redis a change is a
// 503 and streams keep what they have, and once Redis is back (empty) the nodes
// put their set back.
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../common/redis_server.h"
#include "alerts_support.h"
#include "cluster_support.h"
#include "daemon_process.h"
#include "publish_support.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

using Ids = std::vector<int64_t>;
using namespace std::chrono_literals;

int ready_status(uint16_t port) {
    HttpClient c(port);
    if (!c.connect()) return 0;
    auto r = c.request("GET", "/healthz/ready", {}, kApiKey);
    return r ? r->status : 0;
}

// A PATCH as raw bytes, to send on two connections before reading either answer.
std::string raw_patch(int64_t id, const std::string& body, int if_match) {
    return "PATCH /api/alerts/" + std::to_string(id) +
           " HTTP/1.1\r\nHost: t\r\nX-API-Key: " + std::string(kTestApiKey) +
           "\r\nContent-Type: application/json\r\nIf-Match: \"" + std::to_string(if_match) +
           "\"\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class ClusterAlerts : public ::testing::Test {
protected:
    void SetUp() override {
        if (test::redis_server_path().empty())
            GTEST_SKIP() << "redis-server is not installed (Debian: apt-get install redis-server)";
        ASSERT_TRUE(_redis.start()) << _redis.error();
    }
    // Starts a node and awaits its readiness: in the cluster's order and
    // holding the cluster's alerts.
    DaemonProcess& node(const std::string& data_dir = {}) {
        auto d = std::make_unique<DaemonProcess>();
        EXPECT_TRUE(d->start(
            {.config = alerts_config() + node_config(_redis.unix_url()), .data_dir = data_dir}))
            << d->error();
        await_ready(*d);
        _nodes.push_back(std::move(d));
        return *_nodes.back();
    }
    static void await_ready(const DaemonProcess& d) {
        Deadline dl(10s);
        while (ready_status(d.port()) != 200 && !dl.expired())
            usleep(10'000);
        EXPECT_EQ(ready_status(d.port()), 200) << d.log();
    }
    static HttpResponse api(const DaemonProcess& d, const std::string& method,
                            const std::string& path, const std::string& body = {},
                            Headers headers = kApiKey) {
        HttpClient c(d.port());
        return alert_api(c, method, path, body, std::move(headers));
    }
    static int64_t create(const DaemonProcess& d, const std::string& body) {
        HttpResponse r = api(d, "POST", "/api/alerts", body);
        EXPECT_EQ(r.status, 201) << r.describe();
        return json_of(r)["id"].as_int();
    }
    // GET /api/alerts/{id} on `d` until it answers `status` (a node hears of a
    // change a moment after it was made).
    static HttpResponse await_alert(const DaemonProcess& d, int64_t id, int status,
                                    int64_t version = 0) {
        Deadline dl(5s);
        for (;;) {
            HttpResponse r = api(d, "GET", "/api/alerts/" + std::to_string(id));
            if ((r.status == status &&
                 (version == 0 || json_of(r)["version"].as_int() == version)) ||
                dl.expired())
                return r;
            usleep(5'000);
        }
    }
    test::RedisServer _redis;
    std::vector<std::unique_ptr<DaemonProcess>> _nodes;
};

TEST_F(ClusterAlerts, CreatedOnOneNodeIsOnEveryNodesStreamsAndApi) {
    DaemonProcess* n[3] = {&node(), &node(), &node()};
    std::unique_ptr<SseClient> streams[3];
    size_t at[3] = {};
    for (int i = 0; i < 3; ++i) {
        streams[i] = open_stream(n[i]->port(), alerts_stream("u" + std::to_string(i)));
        auto first = next_event(*streams[i], "alerts", &at[i]);
        ASSERT_TRUE(first) << streams[i]->raw_body();
        EXPECT_EQ(ids_of(first->data), Ids{});
    }
    const int64_t sent_at = unix_now_ms();
    const int64_t id = create(*n[0], R"({"title":"Maintenance tonight","priority":8})");
    for (int i = 0; i < 3; ++i) {
        auto e = next_event(*streams[i], "alert", &at[i]);
        ASSERT_TRUE(e) << "node " << i << ": " << streams[i]->raw_body();
        EXPECT_EQ(json_of_text(e->data)["id"].as_int(), id);
        EXPECT_EQ(json_of_text(e->data)["title"].as_string(), "Maintenance tonight");
        auto list = next_event(*streams[i], "alerts-update", &at[i]);
        ASSERT_TRUE(list);
        EXPECT_EQ(ids_of(list->data), Ids{id});
    }
    // The issue asks for 100 ms; a loaded test machine is allowed more.
    const int64_t took = unix_now_ms() - sent_at;
    EXPECT_LT(took, 1000) << "the alert took " << took << " ms to reach every node's streams";
    RecordProperty("create_to_every_stream_ms", std::to_string(took));
    // Every node's API: the same alert, id, version and ETag.
    const std::string made = api(*n[0], "GET", "/api/alerts/" + std::to_string(id)).body;
    for (int i = 0; i < 3; ++i) {
        HttpResponse r = api(*n[i], "GET", "/api/alerts/" + std::to_string(id));
        ASSERT_EQ(r.status, 200) << r.describe();
        EXPECT_EQ(r.header("etag"), "\"1\"");
        EXPECT_EQ(r.body, made) << "node " << i;
        Json list = json_of(api(*n[i], "GET", "/api/alerts"));
        EXPECT_EQ(list["total"].as_int(), 1);
    }
    // A second alert made on another node takes the next id.
    EXPECT_EQ(create(*n[2], R"({"title":"second"})"), id + 1);
}

TEST_F(ClusterAlerts, TwoNodesEditingTheSameVersionOneWinsTheOtherGetsTheWinner) {
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    for (int round = 0; round < 5; ++round) {
        const int64_t id = create(a, R"({"title":"base"})");
        ASSERT_EQ(await_alert(b, id, 200).status, 200);
        HttpClient ca(a.port()), cb(b.port());
        ASSERT_TRUE(ca.connect() && cb.connect());
        // Both sent before either answer is read: as close to the same moment as
        // two admins get.
        ASSERT_TRUE(ca.send(raw_patch(id, R"({"title":"from A"})", 1)));
        ASSERT_TRUE(cb.send(raw_patch(id, R"({"title":"from B"})", 1)));
        auto ra = ca.read_response();
        auto rb = cb.read_response();
        ASSERT_TRUE(ra && rb);
        ASSERT_TRUE((ra->status == 200) != (rb->status == 200)) << ra->describe() << "\n"
                                                                << rb->describe();
        const HttpResponse& won = ra->status == 200 ? *ra : *rb;
        const HttpResponse& lost = ra->status == 200 ? *rb : *ra;
        EXPECT_EQ(check_json_error(lost, 409, "version_conflict"), "") << lost.describe();
        Json current = json_of(lost)["current"];
        EXPECT_EQ(current["version"].as_int(), 2);
        EXPECT_EQ(current["title"].as_string(), json_of(won)["title"].as_string());
        // And both nodes hold the winner.
        EXPECT_EQ(json_of(await_alert(a, id, 200, 2))["title"].as_string(),
                  json_of(won)["title"].as_string());
        EXPECT_EQ(json_of(await_alert(b, id, 200, 2))["title"].as_string(),
                  json_of(won)["title"].as_string());
    }
}

TEST_F(ClusterAlerts, ADismissalOnOneNodeReachesTheUsersStreamsOnAnother) {
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    auto amy = open_stream(a.port(), alerts_stream("amy"));
    auto bob = open_stream(a.port(), alerts_stream("bob"));
    size_t at_amy = 0, at_bob = 0;
    ASSERT_TRUE(next_event(*amy, "alerts", &at_amy));
    ASSERT_TRUE(next_event(*bob, "alerts", &at_bob));
    const int64_t id = create(a, R"({"title":"dismiss me"})");
    ASSERT_TRUE(next_event(*amy, "alerts-update", &at_amy));
    ASSERT_EQ(await_alert(b, id, 200).status, 200);
    HttpResponse d = api(b, "POST", "/api/alerts/" + std::to_string(id) + "/dismiss", "{}",
                         bearer(token_of("amy")));
    ASSERT_EQ(d.status, 200) << d.describe();
    auto gone = next_event(*amy, "alerts-update", &at_amy);
    ASSERT_TRUE(gone) << amy->raw_body();
    EXPECT_EQ(ids_of(gone->data), Ids{});
    // Amy's list on A, asked over the API, agrees; Bob still sees it.
    HttpClient c(a.port());
    Json active = json_of(alert_api(c, "GET", "/api/alerts/active", {}, bearer(token_of("amy"))));
    EXPECT_EQ(active["alerts"].size(), 0u);
    Json bobs = json_of(alert_api(c, "GET", "/api/alerts/active", {}, bearer(token_of("bob"))));
    EXPECT_EQ(bobs["alerts"].size(), 1u);
}

TEST_F(ClusterAlerts, ARefreshAskedOfOneNodeReachesEveryNodesStreams) {
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    std::unique_ptr<SseClient> streams[2] = {open_stream(a.port(), alerts_stream()),
                                             open_stream(b.port(), alerts_stream())};
    HttpResponse r = api(a, "POST", "/api/alerts/refresh", R"({"reason":"new-banner-css"})");
    ASSERT_EQ(r.status, 200) << r.describe();
    for (auto& s : streams) {
        size_t at = 0;
        auto e = next_event(*s, "alerts-refresh", &at);
        ASSERT_TRUE(e) << s->raw_body();
        EXPECT_EQ(json_of_text(e->data)["reason"].as_string(), "new-banner-css");
    }
    // Once: the node that asked hears it from the channel like the others, and
    // a change made after it reaches the streams after it.
    create(a, R"({"title":"after the refresh"})");
    for (auto& s : streams) {
        size_t at = 0;
        ASSERT_TRUE(next_event(*s, "alerts-update", &at)) << s->raw_body();
        size_t refreshes = 0;
        for (const auto& e : s->events())
            refreshes += e.event.type == "alerts-refresh";
        EXPECT_EQ(refreshes, 1u) << s->raw_body();
    }
}

TEST_F(ClusterAlerts, AnExpiryIsAnnouncedOnceByOneNode) {
    DaemonProcess* n[3] = {&node(), &node(), &node()};
    auto admin = open_stream(n[1]->port(), "/api/sse/stream?channels=admin-actions&token=" +
                                               token_of("boss", {"admin"}));
    const int64_t expires = unix_now_ms() + 1500;
    const int64_t id = create(*n[0], R"({"title":"short","expires_at":")" + iso(expires) + "\"}");
    size_t at = 0;
    auto created = next_event(*admin, "update", &at);
    ASSERT_TRUE(created) << admin->raw_body();
    EXPECT_EQ(json_of_text(created->data)["action"].as_string(), "created");
    auto expired = next_event(*admin, "update", &at, Deadline(10s));
    ASSERT_TRUE(expired) << admin->raw_body();
    EXPECT_EQ(json_of_text(expired->data)["action"].as_string(), "expired");
    EXPECT_EQ(json_of_text(expired->data)["alertId"].as_int(), id);
    EXPECT_GE(unix_now_ms(), expires);
    // Each node then makes a change: it holds the expiry's mark by then, and a
    // node announces its own changes in order, so a second announcement of the
    // expiry would come before its change's.
    for (int i = 0; i < 3; ++i) {
        const int version = 1 + i;
        HttpResponse r = api(*n[i], "PATCH", "/api/alerts/" + std::to_string(id),
                             R"({"priority":)" + std::to_string(i) + R"(,"version":)" +
                                 std::to_string(version) + "}");
        if (r.status == 409) {  // the node had not heard of the previous change yet
            ASSERT_EQ(await_alert(*n[i], id, 200, version).status, 200);
            r = api(*n[i], "PATCH", "/api/alerts/" + std::to_string(id),
                    R"({"priority":)" + std::to_string(i) + R"(,"version":)" +
                        std::to_string(version) + "}");
        }
        ASSERT_EQ(r.status, 200) << r.describe();
        auto e = next_event(*admin, "update", &at);
        ASSERT_TRUE(e) << admin->raw_body();
        EXPECT_EQ(json_of_text(e->data)["action"].as_string(), "updated") << e->data;
    }
}

TEST_F(ClusterAlerts, ANodeStartedLateGetsTheList) {
    DaemonProcess& a = node();
    const int64_t one = create(a, R"({"title":"one"})");
    const int64_t two = create(a, R"({"title":"two","priority":9})");
    ASSERT_EQ(api(a, "DELETE", "/api/alerts/" + std::to_string(one)).status, 200);
    const int64_t three = create(a, R"({"title":"three"})");
    DaemonProcess& late = node();
    Json list = json_of(api(late, "GET", "/api/alerts"));
    EXPECT_EQ(list["total"].as_int(), 2);
    auto s = open_stream(late.port(), alerts_stream("zed"));
    size_t at = 0;
    auto first = next_event(*s, "alerts", &at);
    ASSERT_TRUE(first) << s->raw_body();
    EXPECT_EQ(ids_of(first->data), (Ids{two, three}));
    EXPECT_EQ(create(late, R"({"title":"four"})"), three + 1);
}

TEST_F(ClusterAlerts, ANodeWhoseSubscriptionWasCutReadsTheSetAgain) {
    DaemonProcess& a = node();
    auto s = open_stream(a.port(), alerts_stream("amy"));
    size_t at = 0;
    ASSERT_TRUE(next_event(*s, "alerts", &at));
    // A change no node announced (as one made while this node's subscription
    // was down would be, for it): only a read after the cut finds it.
    const std::string set =
        R"({"alerts":[{"id":50,"title":"written while unheard","version":1,)"
        R"("created_at":"2026-12-07T10:00:00.000Z","updated_at":"2026-12-07T10:00:00.000Z"}],)"
        R"("dismissed":[],"expiryAnnounced":[]})";
    ASSERT_EQ(redis_command(_redis.socket_path(), {"SET", "ringcast:alerts", set}), "+OK");
    ASSERT_EQ(redis_command(_redis.socket_path(), {"SET", "ringcast:alerts:version", "100"}),
              "+OK");
    EXPECT_EQ(api(a, "GET", "/api/alerts/50").status, 404) << "not heard of yet";
    EXPECT_NE(redis_command(_redis.socket_path(), {"CLIENT", "KILL", "TYPE", "pubsub"}), ":0");
    auto update = next_event(*s, "alerts-update", &at);
    ASSERT_TRUE(update) << s->raw_body();
    EXPECT_EQ(ids_of(update->data), Ids{50});
    HttpResponse r = api(a, "GET", "/api/alerts/50");
    EXPECT_EQ(r.status, 200) << r.describe();
    // And changes go on from that version.
    r = api(a, "PATCH", "/api/alerts/50", R"({"priority":9,"version":1})");
    EXPECT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(redis_command(_redis.socket_path(), {"GET", "ringcast:alerts:version"}), "$3");
}

TEST_F(ClusterAlerts, AnAlertsDbGoesIntoARedisThatHoldsNoSet) {
    // One node alone first: its alerts in alerts.db.
    auto alone = std::make_unique<DaemonProcess>();
    ASSERT_TRUE(alone->start({.config = alerts_config()})) << alone->error();
    const int64_t id = create(*alone, R"({"title":"from before the cluster"})");
    ASSERT_EQ(alone->stop(), 0);
    // The same data directory in a cluster: Redis holds no set, so it takes
    // this one; a second node (empty alerts.db) gets it from Redis.
    DaemonProcess& a = node(alone->data_dir());
    EXPECT_TRUE(a.await_log("Redis held no alert set; this node put its 1 there", Deadline(5s)))
        << a.log();
    DaemonProcess& b = node();
    HttpResponse r = api(b, "GET", "/api/alerts/" + std::to_string(id));
    ASSERT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(json_of(r)["title"].as_string(), "from before the cluster");
    EXPECT_EQ(create(b, R"({"title":"next"})"), id + 1) << "ids go on above the seeded ones";
}

TEST_F(ClusterAlerts, ANodesAlertsDbFollowsTheClusterForARedisThatLostEverything) {
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    const int64_t gone = create(a, R"({"title":"deleted later"})");
    const int64_t kept = create(b, R"({"title":"made on the other node"})");
    ASSERT_EQ(await_alert(a, kept, 200).status, 200);
    ASSERT_EQ(api(b, "DELETE", "/api/alerts/" + std::to_string(gone)).status, 200);
    ASSERT_EQ(await_alert(a, gone, 404).status, 404);
    // Everything stops, and Redis comes back without its data: node A, the
    // first to start, puts back the set it last held (its alerts.db), not what
    // its alerts.db held before.
    const std::string dir = a.data_dir();
    ASSERT_EQ(b.stop(), 0);
    ASSERT_EQ(a.stop(), 0);
    _redis.kill();
    ASSERT_TRUE(_redis.start()) << _redis.error();
    DaemonProcess& again = node(dir);
    EXPECT_TRUE(again.await_log("Redis held no alert set; this node put its 1 there", Deadline(5s)))
        << again.log();
    Json list = json_of(api(again, "GET", "/api/alerts"));
    ASSERT_EQ(list["total"].as_int(), 1);
    EXPECT_EQ(list["alerts"][size_t(0)]["id"].as_int(), kept);
    EXPECT_GT(create(again, R"({"title":"new"})"), kept);
}

TEST_F(ClusterAlerts, WithoutRedisAChangeIsA503AndStreamsKeepTheirAlerts) {
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    const int64_t id = create(a, R"({"title":"kept"})");
    ASSERT_EQ(await_alert(b, id, 200).status, 200);
    auto s = open_stream(b.port(), alerts_stream("amy"));
    size_t at = 0;
    auto first = next_event(*s, "alerts", &at);
    ASSERT_TRUE(first);
    EXPECT_EQ(ids_of(first->data), Ids{id});

    _redis.kill();
    Deadline d(10s);
    HttpResponse r;
    do {
        r = api(a, "POST", "/api/alerts", R"({"title":"not now"})");
    } while (r.status == 201 && !d.expired());
    EXPECT_EQ(check_json_error(r, 503, "cluster_unavailable"), "") << r.describe();
    EXPECT_EQ(r.header("retry-after"), "1");
    // The socket's ops are the same mechanism: the same code.
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(a))) << u.error();
    auto line = u.request(R"({"op":"alerts.create","req":1,"alert":{"title":"nor now"}})");
    ASSERT_TRUE(line) << u.error();
    EXPECT_NE(line->find("cluster_unavailable"), std::string::npos) << *line;
    // The streams keep what they had, and so does the API.
    EXPECT_EQ(api(b, "GET", "/api/alerts/" + std::to_string(id)).status, 200);
    EXPECT_FALSE(s->ended());

    // Redis back, empty: the nodes put their set back, and changes work again.
    ASSERT_TRUE(_redis.start()) << _redis.error();
    await_ready(a);
    await_ready(b);
    const int64_t next = create(b, R"({"title":"after"})");
    EXPECT_GT(next, id);
    auto update = next_event(*s, "alerts-update", &at);
    ASSERT_TRUE(update) << s->raw_body();
    EXPECT_EQ(ids_of(update->data), (Ids{next, id}));
    EXPECT_EQ(await_alert(a, next, 200).status, 200);
    EXPECT_EQ(api(a, "GET", "/api/alerts/" + std::to_string(id)).status, 200);
}

}  // namespace
}  // namespace ringcast::itest

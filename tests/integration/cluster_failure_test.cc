// What failures cost in a cluster (docs/scaling.md, "What each failure
// costs"), with real daemons and a real redis-server: a node killed while
// publishing, a frozen node, subscriptions cut or silently dead, Redis killed
// (with its data kept, and without).
#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "cluster_support.h"
#include "freezing_proxy.h"

namespace ringcast::itest {
namespace {

TEST_F(ClusterTest, ANodeKilledWhilePublishingLosesItsClientsNothing) {
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    DaemonProcess& c = node();
    SseClient s;
    ASSERT_TRUE(s.open(a.port(), "/api/sse/stream?channels=k"));
    ASSERT_TRUE(s.await_events(1, Deadline(kIoTimeout)));
    UnixClient pub;
    ASSERT_TRUE(pub.connect(socket_path(b))) << pub.error();
    std::vector<std::string> ids;
    auto publish_one = [&](int i) {
        ids.push_back(socket_publish(pub, "k", std::to_string(i))["id"].as_string());
    };
    for (int i = 1; i <= 50; ++i)
        publish_one(i);
    ASSERT_TRUE(s.read_until([&] { return s.data_events().size() >= 20; }, Deadline(kIoTimeout)));
    a.signal(SIGKILL);  // mid-stream: some of the 50 may not have reached the client
    for (int i = 51; i <= 100; ++i)
        publish_one(i);
    s.read_to_eof(Deadline(kIoTimeout));
    const std::string last = s.parser().last_event_id();
    // The client reconnects elsewhere with what it read.
    SseClient back;
    ASSERT_TRUE(back.open(c.port(), "/api/sse/stream?channels=k", Deadline(kIoTimeout),
                          {{"Last-Event-ID", last}}));
    const size_t before = s.data_events().size();
    ASSERT_TRUE(back.read_until([&] { return before + back.data_events().size() >= 100; },
                                Deadline(kIoTimeout)));
    std::vector<std::string> all = ids_of(s);
    for (const std::string& id : ids_of(back))
        all.push_back(id);
    EXPECT_EQ(all, ids) << "every event once, in order";
    EXPECT_EQ(back.raw_body().find("refresh"), std::string::npos);
}

// Nchan's open bug: clients stop receiving after the subscription to Redis is
// lost. Here every subscription is cut again and again while a node publishes;
// the streams on the other node get every acknowledged event once, in order,
// because a node reads what it missed from the stream before going live again.
TEST_F(ClusterTest, CutSubscriptionsLoseNothingAndRepeatNothing) {
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    SseClient s;
    ASSERT_TRUE(s.open(b.port(), "/api/sse/stream?channels=cut"));
    ASSERT_TRUE(s.await_events(1, Deadline(kIoTimeout)));
    UnixClient pub;
    ASSERT_TRUE(pub.connect(socket_path(a))) << pub.error();
    std::vector<std::string> ids;
    for (int i = 1; i <= 300; ++i) {
        if (i % 60 == 0)  // both nodes' bus subscriptions, dropped by Redis
            EXPECT_EQ(redis_command(_redis.socket_path(), {"CLIENT", "KILL", "TYPE", "pubsub"})
                          .substr(0, 1),
                      ":");
        const Json reply = socket_publish(pub, "cut", std::to_string(i));
        if (reply["ok"].as_bool()) ids.push_back(reply["id"].as_string());
    }
    ASSERT_GE(ids.size(), 250u) << "a cut refuses nothing: the command link stays";
    ASSERT_TRUE(
        s.read_until([&] { return s.data_events().size() >= ids.size(); }, Deadline(kIoTimeout)));
    EXPECT_EQ(ids_of(s), ids);
    EXPECT_GE(cluster_stats(b.port())["catchUps"].as_int(), 1);
    EXPECT_EQ(cluster_stats(b.port())["missed"].as_int(), 0);
}

// A subscription that is silently dead (its connection open, nothing coming
// through: a network cut, a stuck proxy) takes the node out of the load
// balancer until its subscription is made again, and then nothing published
// meanwhile is missing.
TEST_F(ClusterTest, ASilentlyDeadSubscriptionMakesTheNodeUnreadyUntilItIsBack) {
    DaemonProcess& a = node();
    FreezingProxy proxy(_redis.dir() + "/proxy.sock", _redis.socket_path(), "SUBSCRIBE");
    ASSERT_TRUE(proxy.ok());
    DaemonProcess& b = node("", proxy.url());
    SseClient s;
    ASSERT_TRUE(s.open(b.port(), "/api/sse/stream?channels=dead"));
    std::vector<std::string> ids{publish_json(a.port(), "dead", "1")["id"].as_string()};
    ASSERT_TRUE(s.await_events(2, Deadline(kIoTimeout)));

    // Held: every new subscription of b is frozen too, until release().
    // b subscribes twice: the bus (log shard) and the alerts (home shard).
    ASSERT_EQ(proxy.freeze(true), 2u) << "b's subscriber connections";
    // Published while b's subscription is dead: a answers without b.
    for (int i = 2; i <= 4; ++i)
        ids.push_back(publish_json(a.port(), "dead", std::to_string(i))["id"].as_string());
    bool unready = false;
    Deadline d1(10s);
    while (!unready && !d1.expired()) {
        HttpClient probe(b.port());
        if (probe.connect()) {
            auto r = probe.request("GET", "/healthz/ready", {}, api_key_header());
            unready = r && r->status == 503;
        }
        if (!unready) usleep(5'000);
    }
    EXPECT_TRUE(unready) << "the node stays in the load balancer with a dead subscription";
    proxy.release();
    // Made again through the proxy (a new connection), b catches up and is ready.
    ASSERT_TRUE(await_live(b.port(), Deadline(10s))) << b.log();
    ASSERT_TRUE(
        s.read_until([&] { return s.data_events().size() >= ids.size(); }, Deadline(kIoTimeout)));
    EXPECT_EQ(ids_of(s), ids);
    EXPECT_GE(cluster_stats(b.port())["readFromStream"].as_int(), 3);
}

// Redis killed and started again while a node publishes: with its data kept
// (an append-only file), the numbering goes on, and the streams of every node
// get every acknowledged event once, in order, including those whose bus
// message was lost with Redis (read from the stream once it is back).
TEST_F(ClusterTest, ARedisRestartLosesNoAcknowledgedEvent) {
    _redis.stop();
    ASSERT_TRUE(_redis.start({.durable = true})) << _redis.error();
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    SseClient s;
    ASSERT_TRUE(s.open(b.port(), "/api/sse/stream?channels=rr"));
    ASSERT_TRUE(s.await_events(1, Deadline(kIoTimeout)));
    UnixClient pub;
    ASSERT_TRUE(pub.connect(socket_path(a))) << pub.error();
    std::vector<std::string> acked;
    size_t refused = 0;
    auto publish_one = [&](int i) {
        const Json reply = socket_publish(pub, "rr", std::to_string(i));
        if (reply["ok"].as_bool())
            acked.push_back(reply["id"].as_string());
        else
            ++refused;
    };
    int i = 0;
    while (i < 100)
        publish_one(++i);
    _redis.kill();
    // Refused while it is away (or, for a publish in flight, unknown).
    while (refused == 0 && i < 10'000)
        publish_one(++i);
    ASSERT_GT(refused, 0u);
    ASSERT_TRUE(_redis.start({.durable = true})) << _redis.error();
    Deadline up(10s);
    while (
        !(cluster_stats(a.port())["live"].as_bool() && cluster_stats(b.port())["live"].as_bool()) &&
        !up.expired())
        publish_one(++i);
    for (int k = 0; k < 100; ++k)
        publish_one(++i);
    ASSERT_TRUE(
        s.read_until([&] { return s.data_events().size() >= acked.size(); }, Deadline(kIoTimeout)));
    std::vector<std::string> got = ids_of(s);
    EXPECT_EQ(got, acked) << "every acknowledged event once, in order";
    EXPECT_EQ(acked.front().substr(0, acked.front().find('-')),
              acked.back().substr(0, acked.back().find('-')))
        << "Redis kept its data: the same numbering";
}

TEST_F(ClusterTest, AFrozenNodeHoldsAReplyNoLongerThanReplyWait) {
    const std::string extra = "reply_wait = \"300ms\"\n";
    DaemonProcess& a = node(extra);
    DaemonProcess& b = node(extra);
    DaemonProcess& frozen = node(extra);
    SseClient s;
    ASSERT_TRUE(s.open(b.port(), "/api/sse/stream?channels=f"));
    ASSERT_TRUE(s.await_events(1, Deadline(kIoTimeout)));
    ASSERT_TRUE(frozen.signal(SIGSTOP));
    const auto t0 = Clock::now();
    Json reply = publish_json(a.port(), "f", "1");
    const auto waited = Clock::now() - t0;
    ASSERT_TRUE(frozen.signal(SIGCONT));
    EXPECT_EQ(reply["nodes"].as_int(), 3) << "the bus reached the frozen node's subscription";
    EXPECT_EQ(reply["nodesAnswered"].as_int(), 2);
    EXPECT_EQ(reply["sent"].as_int(), 1);
    EXPECT_GE(waited, 300ms);
    EXPECT_LT(waited, 5s);
    ASSERT_TRUE(s.await_events(2, Deadline(kIoTimeout)));
    // Thawed, it delivers what it was sent and answers again.
    Deadline d(10s);
    Json again;
    do {
        again = publish_json(a.port(), "f", "2");
    } while (again["nodesAnswered"].as_int() != 3 && !d.expired());
    EXPECT_EQ(again["nodesAnswered"].as_int(), 3);
    EXPECT_GE(cluster_stats(a.port())["nodesUnanswered"].as_int(), 1);
}

TEST_F(ClusterTest, WithoutRedisAPublishIsRefusedAndTheClusterGoesOnAfter) {
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    SseClient s;
    ASSERT_TRUE(s.open(b.port(), "/api/sse/stream?channels=r"));
    const std::string before = publish_json(a.port(), "r", "1")["id"].as_string();
    ASSERT_TRUE(s.await_events(2, Deadline(kIoTimeout)));

    _redis.kill();
    // Refused with a reason, never half-published: over HTTP a 503 with a JSON
    // body, over the socket an error reply.
    HttpClient api(a.port());
    ASSERT_TRUE(api.connect());
    Deadline d(10s);
    std::optional<HttpResponse> r;
    do {
        r = api.request("POST", "/api/publish", R"({"channel":"r","event":"e","data":2})",
                        {{"X-API-Key", std::string(kTestApiKey)}});
        ASSERT_TRUE(r) << api.error();
    } while (r->status == 200 && !d.expired());
    EXPECT_EQ(check_json_error(*r, 503, "cluster_unavailable"), "") << r->describe();
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(a))) << u.error();
    auto line = u.request(R"({"op":"publish","req":7,"channel":"r","event":"e","data":3})");
    ASSERT_TRUE(line);
    Json reply = parse_reply(*line);
    EXPECT_FALSE(reply["ok"].as_bool()) << *line;
    EXPECT_EQ(reply["error"]["code"].as_string(), "cluster_unavailable") << *line;

    // Back (empty: it kept nothing): a new numbering, and events flow again.
    ASSERT_TRUE(_redis.start()) << _redis.error();
    ASSERT_TRUE(await_live(a.port(), Deadline(10s)) && await_live(b.port(), Deadline(10s)));
    const Json after = publish_json(a.port(), "r", "4");
    EXPECT_EQ(after["nodesAnswered"].as_int(), 2);
    ASSERT_TRUE(s.read_until([&] { return s.data_events().size() >= 2; }, Deadline(kIoTimeout)));
    EXPECT_EQ(s.data_events()[1].data, "4");
    EXPECT_EQ(s.data_events()[1].last_event_id, after["id"].as_string());
    EXPECT_NE(after["id"].as_string().substr(0, after["id"].as_string().find('-')),
              before.substr(0, before.find('-')))
        << "Redis lost the numbering: a new epoch, so no old id is handed out again";
    EXPECT_NE(a.log().find("Redis holds another numbering"), std::string::npos) << a.log();
}

}  // namespace
}  // namespace ringcast::itest

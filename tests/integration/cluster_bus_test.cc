// Several real daemons sharing one real redis-server (docs/scaling.md, "The
// cluster's order"): a publish on any node reaches the streams of every node
// with the same id and bytes; the reply counts every node; a client resumes on
// another node with the id it read; a node started late fills its history from
// the stream; a node killed while publishing loses its clients nothing; a
// frozen node does not hold a reply longer than reply_wait; a Redis that dies
// turns publishes into 503s and, once back, the cluster goes on.
#include <signal.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../common/redis_server.h"
#include "daemon_process.h"
#include "freezing_proxy.h"
#include "http_client.h"
#include "json.h"
#include "publish_support.h"
#include "sse_client.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

const Headers kKey = {{"X-API-Key", std::string(kTestApiKey)}};

std::string node_config(const std::string& url, const std::string& extra = "") {
    return "[cluster]\nredis = \"" + url +
           "\"\nredis_reconnect_base = \"10ms\"\nredis_reconnect_max = \"200ms\"\n"
           "redis_ping_interval = \"200ms\"\nredis_command_timeout = \"500ms\"\n" +
           extra;
}

// The data events of a stream as "id data" strings, in arrival order.
std::vector<std::string> seen(const SseClient& s) {
    std::vector<std::string> out;
    for (const SseEvent& e : s.data_events())
        out.push_back(e.last_event_id + " " + e.data);
    return out;
}

// GET /api/stats "cluster" of a node.
Json cluster_stats(uint16_t port) {
    HttpClient c(port);
    if (!c.connect()) return Json();
    auto j = fetch_stats(c, Deadline(kIoTimeout), kKey);
    return j ? (*j)["cluster"] : Json();
}

// A publish over HTTP: the reply's JSON (null Json if none).
Json publish_json(uint16_t port, const std::string& channel, const std::string& data) {
    HttpClient c(port);
    if (!c.connect()) return Json();
    const std::string body = R"({"channel":")" + channel + R"(","event":"e","data":)" + data + "}";
    auto r =
        c.request("POST", "/api/publish", body,
                  {{"X-API-Key", std::string(kTestApiKey)}, {"Content-Type", "application/json"}});
    if (!r) return Json();
    auto j = r->json();
    Json out = j ? *j : Json();
    if (r->status != 200) ADD_FAILURE() << r->describe();
    return out;
}

// Sends one command to Redis over its Unix socket and returns the first line
// of the reply ("" on failure): the test's own hand on the server.
std::string redis_command(const std::string& socket, const std::vector<std::string>& args) {
    UnixClient c;
    if (!c.connect(socket)) return "";
    std::string cmd = "*" + std::to_string(args.size()) + "\r\n";
    for (const std::string& a : args)
        cmd += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    if (!c.send(cmd)) return "";
    auto line = c.read_line();
    return line ? *line : "";
}

class ClusterBus : public ::testing::Test {
protected:
    void SetUp() override {
        if (test::redis_server_path().empty())
            GTEST_SKIP() << "redis-server is not installed (Debian: apt-get install redis-server)";
        ASSERT_TRUE(_redis.start()) << _redis.error();
    }
    // Starts a node and waits until it is in the cluster's order.
    DaemonProcess& node(const std::string& extra = "") {
        auto d = std::make_unique<DaemonProcess>();
        EXPECT_TRUE(d->start({.config = node_config(_redis.unix_url(), extra)})) << d->error();
        const uint16_t port = d->port();
        Deadline dl(10s);
        while (!cluster_stats(port)["live"].as_bool() && !dl.expired())
            usleep(10'000);
        EXPECT_TRUE(cluster_stats(port)["live"].as_bool()) << d->log();
        _nodes.push_back(std::move(d));
        return *_nodes.back();
    }
    test::RedisServer _redis;
    std::vector<std::unique_ptr<DaemonProcess>> _nodes;
};

TEST_F(ClusterBus, APublishOnAnyNodeReachesEveryNodeWithOneIdAndOrder) {
    DaemonProcess* nodes[3] = {&node(), &node(), &node()};
    SseClient streams[3];
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(streams[i].open(nodes[i]->port(), "/api/sse/stream?channels=news"));
        ASSERT_EQ(streams[i].status(), 200);
        ASSERT_TRUE(streams[i].await_events(1, Deadline(kIoTimeout)));  // connected
    }
    // Every node publishes, over HTTP and over its socket, in turn: every pair.
    std::vector<std::string> ids;
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < 3; ++i) {
            const std::string data =
                "{\"from\":" + std::to_string(i) + ",\"round\":" + std::to_string(round) + "}";
            Json reply;
            if (round == 0) {
                reply = publish_json(nodes[i]->port(), "news", data);
            } else {
                UnixClient u;
                ASSERT_TRUE(u.connect(socket_path(*nodes[i]))) << u.error();
                auto line = u.request(
                    R"({"op":"publish","req":1,"channel":"news","event":"e","data":)" + data + "}");
                ASSERT_TRUE(line) << u.error();
                reply = parse_reply(*line);
                EXPECT_TRUE(reply["ok"].as_bool()) << *line;
            }
            EXPECT_EQ(reply["sent"].as_int(), 3) << "one stream on each node";
            EXPECT_EQ(reply["failed"].as_int(), 0);
            EXPECT_EQ(reply["nodes"].as_int(), 3);
            EXPECT_EQ(reply["nodesAnswered"].as_int(), 3);
            ids.push_back(reply["id"].as_string());
        }
    }
    // Ids of one numbering, increasing in the order of the acknowledgements.
    for (size_t i = 1; i < ids.size(); ++i) {
        EXPECT_EQ(ids[i].substr(0, ids[i].find('-')), ids[0].substr(0, ids[0].find('-')));
        EXPECT_EQ(std::stoull(ids[i].substr(ids[i].find('-') + 1)),
                  std::stoull(ids[i - 1].substr(ids[i - 1].find('-') + 1)) + 1);
    }
    for (SseClient& s : streams)
        ASSERT_TRUE(s.await_events(1 + ids.size(), Deadline(kIoTimeout)));
    const std::vector<std::string> first = seen(streams[0]);
    ASSERT_EQ(first.size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i)
        EXPECT_EQ(first[i].substr(0, first[i].find(' ')), ids[i]);
    // The same events, ids and order on every node.
    EXPECT_EQ(seen(streams[1]), first);
    EXPECT_EQ(seen(streams[2]), first);
}

TEST_F(ClusterBus, AClientResumesOnAnotherNodeWithTheIdItRead) {
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    SseClient s;
    ASSERT_TRUE(s.open(a.port(), "/api/sse/stream?channels=x,y"));
    publish_json(b.port(), "x", "1");
    publish_json(a.port(), "y", "2");
    ASSERT_TRUE(s.await_events(3, Deadline(kIoTimeout)));
    const std::string read_up_to = s.parser().last_event_id();
    s.conn().close();  // the client is offline; three more events meanwhile
    std::vector<std::string> missed;
    for (int i = 3; i <= 5; ++i)
        missed.push_back(
            publish_json(i % 2 ? a.port() : b.port(), i == 4 ? "y" : "x", std::to_string(i))["id"]
                .as_string());
    publish_json(a.port(), "z", "0");  // another channel: not for it

    // It lands on the other node.
    SseClient back;
    ASSERT_TRUE(back.open(b.port(), "/api/sse/stream?channels=x,y", Deadline(kIoTimeout),
                          {{"Last-Event-ID", read_up_to}}));
    ASSERT_EQ(back.status(), 200);
    ASSERT_TRUE(
        back.read_until([&] { return back.data_events().size() >= 3; }, Deadline(kIoTimeout)));
    std::vector<std::string> got;
    for (const SseEvent& e : back.data_events())
        got.push_back(e.last_event_id);
    EXPECT_EQ(got, missed);
    EXPECT_EQ(back.raw_body().find("refresh"), std::string::npos);
    // Then live, from either node.
    const std::string live = publish_json(a.port(), "x", "6")["id"].as_string();
    ASSERT_TRUE(
        back.read_until([&] { return back.data_events().size() >= 4; }, Deadline(kIoTimeout)));
    EXPECT_EQ(back.data_events()[3].last_event_id, live);
}

TEST_F(ClusterBus, ANodeStartedLateFillsItsHistoryFromTheStream) {
    // A short stream: Redis trims it (MAXLEN ~ keeps at least 100, in whole
    // nodes of 100 entries), so the first events are gone from it.
    const std::string extra = "history_length = 100\n";
    DaemonProcess& a = node(extra);
    std::vector<std::string> ids;
    {
        UnixClient u;
        ASSERT_TRUE(u.connect(socket_path(a))) << u.error();
        for (int i = 1; i <= 400; ++i) {
            auto line = u.request(R"({"op":"publish","req":1,"channel":"c","event":"e","data":)" +
                                  std::to_string(i) + "}");
            ASSERT_TRUE(line) << u.error();
            ids.push_back(parse_reply(*line)["id"].as_string());
        }
    }
    DaemonProcess& late = node(extra);
    // The last events are in its history: a resume from the 390th gets 391..400.
    SseClient s;
    ASSERT_TRUE(s.open(late.port(), "/api/sse/stream?channels=c", Deadline(kIoTimeout),
                       {{"Last-Event-ID", ids[389]}}));
    ASSERT_TRUE(s.read_until([&] { return s.data_events().size() >= 10; }, Deadline(kIoTimeout)));
    for (size_t i = 0; i < 10; ++i)
        EXPECT_EQ(s.data_events()[i].last_event_id, ids[390 + i]);
    EXPECT_EQ(s.raw_body().find("refresh"), std::string::npos);
    // The first are not in the stream any more: a resume from them is a gap,
    // said so, not silence.
    SseClient old;
    ASSERT_TRUE(old.open(late.port(), "/api/sse/stream?channels=c", Deadline(kIoTimeout),
                         {{"Last-Event-ID", ids[0]}}));
    ASSERT_TRUE(
        old.read_until([&] { return old.raw_body().find("history-gap") != std::string::npos; },
                       Deadline(kIoTimeout)))
        << old.raw_body();
    const Json st = cluster_stats(late.port());
    EXPECT_EQ(st["lastSequence"].as_int(), 400);
}

TEST_F(ClusterBus, ANodeKilledWhilePublishingLosesItsClientsNothing) {
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
        auto line = pub.request(R"({"op":"publish","req":1,"channel":"k","event":"e","data":)" +
                                std::to_string(i) + "}");
        ASSERT_TRUE(line) << pub.error();
        ids.push_back(parse_reply(*line)["id"].as_string());
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
    std::vector<std::string> all;
    for (const SseEvent& e : s.data_events())
        all.push_back(e.last_event_id);
    for (const SseEvent& e : back.data_events())
        all.push_back(e.last_event_id);
    EXPECT_EQ(all, ids) << "every event once, in order";
    EXPECT_EQ(back.raw_body().find("refresh"), std::string::npos);
}

// Nchan's open bug: clients stop receiving after the subscription to Redis is
// lost. Here every subscription is cut again and again while a node publishes;
// the streams on the other node get every acknowledged event once, in order,
// because a node reads what it missed from the stream before going live again.
TEST_F(ClusterBus, CutSubscriptionsLoseNothingAndRepeatNothing) {
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
        auto line = pub.request(R"({"op":"publish","req":1,"channel":"cut","event":"e","data":)" +
                                std::to_string(i) + "}");
        ASSERT_TRUE(line) << pub.error();
        const Json reply = parse_reply(*line);
        if (reply["ok"].as_bool()) ids.push_back(reply["id"].as_string());
    }
    ASSERT_GE(ids.size(), 250u) << "a cut refuses nothing: the command link stays";
    ASSERT_TRUE(
        s.read_until([&] { return s.data_events().size() >= ids.size(); }, Deadline(kIoTimeout)));
    std::vector<std::string> got;
    for (const SseEvent& e : s.data_events())
        got.push_back(e.last_event_id);
    EXPECT_EQ(got, ids);
    EXPECT_GE(cluster_stats(b.port())["catchUps"].as_int(), 1);
    EXPECT_EQ(cluster_stats(b.port())["missed"].as_int(), 0);
}

// A cache invalidation on any node removes the cached events on every node,
// in order with the publishes around it, and a node that joins later rebuilds
// its cache from the stream without what was invalidated.
TEST_F(ClusterBus, AnInvalidationOnOneNodeEmptiesEveryNodesCache) {
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    auto persistent = [&](DaemonProcess& on, const std::string& channel, int n) {
        UnixClient u;
        EXPECT_TRUE(u.connect(socket_path(on))) << u.error();
        auto line =
            u.request(R"({"op":"publish","req":1,"channel":")" + channel +
                      R"(","event":"e","persistent":true,"data":)" + std::to_string(n) + "}");
        EXPECT_TRUE(line && parse_reply(*line)["ok"].as_bool()) << (line ? *line : u.error());
    };
    persistent(a, "p", 1);
    persistent(b, "q", 2);
    // A new stream on either node gets both cached events.
    auto cached = [](DaemonProcess& on) {
        SseClient s;
        EXPECT_TRUE(s.open(on.port(), "/api/sse/stream?channels=p,q"));
        s.read_until([&] { return s.data_events().size() >= 2; }, Deadline(2s));
        std::vector<std::string> out;
        for (const SseEvent& e : s.data_events())
            out.push_back(e.data);
        return out;
    };
    EXPECT_EQ(cached(a), (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(cached(b), (std::vector<std::string>{"1", "2"}));

    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(b))) << u.error();
    auto line = u.request(R"({"op":"invalidate","req":5,"channels":["p"]})");
    ASSERT_TRUE(line) << u.error();
    const Json reply = parse_reply(*line);
    EXPECT_TRUE(reply["ok"].as_bool()) << *line;
    EXPECT_EQ(reply["removed"].as_int(), 2) << "one event on each node: " << *line;
    EXPECT_EQ(reply["nodes"].as_int(), 2);
    EXPECT_EQ(reply["nodesAnswered"].as_int(), 2);
    persistent(a, "p", 3);  // after it: kept

    EXPECT_EQ(cached(a), (std::vector<std::string>{"2", "3"}));
    EXPECT_EQ(cached(b), (std::vector<std::string>{"2", "3"}));
    DaemonProcess& late = node();
    EXPECT_EQ(cached(late), (std::vector<std::string>{"2", "3"}));
}

// A subscription that is silently dead (its connection open, nothing coming
// through: a network cut, a stuck proxy) takes the node out of the load
// balancer until its subscription is made again, and then nothing published
// meanwhile is missing.
TEST_F(ClusterBus, ASilentlyDeadSubscriptionMakesTheNodeUnreadyUntilItIsBack) {
    DaemonProcess& a = node();
    FreezingProxy proxy(_redis.dir() + "/proxy.sock", _redis.socket_path(), "SUBSCRIBE");
    ASSERT_TRUE(proxy.ok());
    auto d = std::make_unique<DaemonProcess>();
    ASSERT_TRUE(d->start({.config = node_config(proxy.url())})) << d->error();
    DaemonProcess& b = *d;
    _nodes.push_back(std::move(d));
    Deadline joined(10s);
    while (!cluster_stats(b.port())["live"].as_bool() && !joined.expired())
        usleep(10'000);
    SseClient s;
    ASSERT_TRUE(s.open(b.port(), "/api/sse/stream?channels=dead"));
    std::vector<std::string> ids{publish_json(a.port(), "dead", "1")["id"].as_string()};
    ASSERT_TRUE(s.await_events(2, Deadline(kIoTimeout)));

    // Held: every new subscription of b is frozen too, until release().
    ASSERT_EQ(proxy.freeze(true), 1u) << "b's one subscriber connection";
    // Published while b's subscription is dead: a answers without b.
    for (int i = 2; i <= 4; ++i)
        ids.push_back(publish_json(a.port(), "dead", std::to_string(i))["id"].as_string());
    bool unready = false;
    Deadline d1(10s);
    while (!unready && !d1.expired()) {
        HttpClient probe(b.port());
        if (probe.connect()) {
            auto r = probe.request("GET", "/healthz/ready", {}, kKey);
            unready = r && r->status == 503;
        }
        if (!unready) usleep(5'000);
    }
    EXPECT_TRUE(unready) << "the node stays in the load balancer with a dead subscription";
    proxy.release();
    // Made again through the proxy (a new connection), b catches up and is ready.
    Deadline d2(10s);
    while (!cluster_stats(b.port())["live"].as_bool() && !d2.expired())
        usleep(20'000);
    ASSERT_TRUE(cluster_stats(b.port())["live"].as_bool()) << b.log();
    ASSERT_TRUE(
        s.read_until([&] { return s.data_events().size() >= ids.size(); }, Deadline(kIoTimeout)));
    std::vector<std::string> got;
    for (const SseEvent& e : s.data_events())
        got.push_back(e.last_event_id);
    EXPECT_EQ(got, ids);
    EXPECT_GE(cluster_stats(b.port())["readFromStream"].as_int(), 3);
}

// Redis killed and started again while a node publishes: with its data kept
// (an append-only file), the numbering goes on, and the streams of every node
// get every acknowledged event once, in order, including those whose bus
// message was lost with Redis (read from the stream once it is back).
TEST_F(ClusterBus, ARedisRestartLosesNoAcknowledgedEvent) {
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
        auto line = pub.request(R"({"op":"publish","req":1,"channel":"rr","event":"e","data":)" +
                                std::to_string(i) + "}");
        ASSERT_TRUE(line) << pub.error();
        const Json reply = parse_reply(*line);
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
    std::vector<std::string> got;
    for (const SseEvent& e : s.data_events())
        got.push_back(e.last_event_id);
    EXPECT_EQ(got, acked) << "every acknowledged event once, in order";
    EXPECT_EQ(acked.front().substr(0, acked.front().find('-')),
              acked.back().substr(0, acked.back().find('-')))
        << "Redis kept its data: the same numbering";
}

TEST_F(ClusterBus, AFrozenNodeHoldsAReplyNoLongerThanReplyWait) {
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

TEST_F(ClusterBus, WithoutRedisAPublishIsRefusedAndTheClusterGoesOnAfter) {
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
    Deadline up(10s);
    while (
        !(cluster_stats(a.port())["live"].as_bool() && cluster_stats(b.port())["live"].as_bool()) &&
        !up.expired())
        usleep(10'000);
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

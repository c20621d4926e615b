// Several real daemons sharing one real redis-server (docs/scaling.md, "The
// cluster's order"): a publish on any node reaches the streams of every node
// with the same id and bytes, in one order; the reply counts every node; a
// client resumes on another node with the id it read; a node started late
// fills its history from the stream; an invalidation empties every node's
// cache. What failures cost is in cluster_failure_test.cc.
#include <string>
#include <vector>

#include "cluster_support.h"

namespace ringcast::itest {
namespace {

TEST_F(ClusterTest, APublishOnAnyNodeReachesEveryNodeWithOneIdAndOrder) {
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

TEST_F(ClusterTest, AClientResumesOnAnotherNodeWithTheIdItRead) {
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
    std::vector<std::string> got = ids_of(back);
    EXPECT_EQ(got, missed);
    EXPECT_EQ(back.raw_body().find("refresh"), std::string::npos);
    // Then live, from either node.
    const std::string live = publish_json(a.port(), "x", "6")["id"].as_string();
    ASSERT_TRUE(
        back.read_until([&] { return back.data_events().size() >= 4; }, Deadline(kIoTimeout)));
    EXPECT_EQ(back.data_events()[3].last_event_id, live);
}

TEST_F(ClusterTest, ANodeStartedLateFillsItsHistoryFromTheStream) {
    // A short stream: Redis trims it (MAXLEN ~ keeps at least 100, in whole
    // nodes of 100 entries), so the first events are gone from it.
    const std::string extra = "history_length = 100\n";
    DaemonProcess& a = node(extra);
    std::vector<std::string> ids;
    {
        UnixClient u;
        ASSERT_TRUE(u.connect(socket_path(a))) << u.error();
        for (int i = 1; i <= 400; ++i) {
            ids.push_back(socket_publish(u, "c", std::to_string(i))["id"].as_string());
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

// A cache invalidation on any node removes the cached events on every node,
// in order with the publishes around it, and a node that joins later rebuilds
// its cache from the stream without what was invalidated.
TEST_F(ClusterTest, AnInvalidationOnOneNodeEmptiesEveryNodesCache) {
    DaemonProcess& a = node();
    DaemonProcess& b = node();
    auto persistent = [&](DaemonProcess& on, const std::string& channel, int n) {
        UnixClient u;
        EXPECT_TRUE(u.connect(socket_path(on))) << u.error();
        EXPECT_TRUE(
            socket_publish(u, channel, std::to_string(n), R"("persistent":true,)")["ok"].as_bool());
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

}  // namespace
}  // namespace ringcast::itest

// The query and control ops of the Unix socket (docs/protocol.md, "Operations"):
// stats (the document of GET /api/stats plus users), connection (a real stream
// found by the id its `connected` event named, on any shard), user, disconnect
// (the stream is closed after what it had queued), and their argument errors.
#include <chrono>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "publish_support.h"
#include "sse_client.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

TEST(PublishOps, StatsIsTheHttpStatsDocumentPlusUsers) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseFleet fleet(d.port());
    std::string why;
    auto streams = open_streams_on_every_shard(fleet, "/api/sse/stream?channels=s1,s2", 2, 1,
                                               Deadline(10s), &why);
    ASSERT_FALSE(streams.empty()) << why;
    size_t extra = fleet.add("/api/sse/stream?channels=s3");
    ASSERT_TRUE(fleet.run_until([&] { return fleet[extra].connected.has_value(); }, Deadline(5s)));
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(
            ask(c, publish_line(std::to_string(i), i % 2 ? "s1" : "s2", "e", "1"))["ok"].as_bool());
    ASSERT_TRUE(fleet.run_until(
        [&] {
            for (size_t s : streams)
                if (fleet[s].data_events().size() < 10) return false;
            return true;
        },
        Deadline(5s)));

    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    ASSERT_TRUE(fetch_stats(api)) << api.error();  // the API connection is accepted by now
    Json sock = ask(c, R"({"op":"stats","req":{"q":"stats"}})");
    ASSERT_TRUE(sock["ok"].as_bool()) << c.error();
    EXPECT_EQ(sock["req"]["q"].as_string(), "stats");
    const Json& s = sock["stats"];
    auto http = fetch_stats(api);
    ASSERT_TRUE(http) << api.error();
    const Json& h = *http;

    const int64_t n = int64_t(streams.size()) + 1;
    EXPECT_EQ(s["totalConnections"].as_int(), n);
    EXPECT_EQ(s["sockets"].as_int(), n + 2) << "streams, this publisher, the API connection";
    EXPECT_EQ(s["activeChannels"].as_int(), 3);
    EXPECT_EQ(s["eventsPublished"].as_int(), 10);
    EXPECT_EQ(s["deliveries"].as_int(), 10 * int64_t(streams.size()));
    EXPECT_EQ(s["uniqueUsers"].as_int(), 0) << "every stream is anonymous";
    EXPECT_TRUE(s["connectionsByUser"].is_object());
    EXPECT_EQ(s["connectionsByUser"].size(), 0u);
    for (const char* key :
         {"totalConnections", "sockets", "activeChannels", "eventsPublished", "deliveries",
          "deliveryFailures", "droppedSlowReaders", "droppedStalledWriters"}) {
        EXPECT_TRUE(s[key].is_number()) << key;
        EXPECT_EQ(s[key].as_int(), h[key].as_int()) << key;
    }
    EXPECT_TRUE(s["uptime"].is_number());
    EXPECT_TRUE(s["memoryUsage"]["rss"].is_number());
    EXPECT_TRUE(s["cpu"]["user"].is_number());
    EXPECT_TRUE(json_equal(s["channels"], h["channels"]))
        << "channels differ between the socket and HTTP";
    ASSERT_EQ(s["shards"].size(), 2u);
    ASSERT_EQ(h["shards"].size(), 2u);
    for (size_t i = 0; i < 2; ++i)
        for (const char* key : {"id", "connections", "sockets", "eventsSequenced",
                                "eventsDelivered", "deliveries", "deliveryFailures"})
            EXPECT_EQ(s["shards"][i][key].as_int(), h["shards"][i][key].as_int())
                << "shard " << i << " " << key;

    // Without req: nothing to answer, so no reply at all.
    std::string lines_why;
    auto lines = exchange(c, "{\"op\":\"stats\"}\n{\"op\":\"ping\",\"req\":\"end\"}\n", 1,
                          Deadline(5s), &lines_why);
    ASSERT_EQ(lines.size(), 1u) << lines_why;
    EXPECT_EQ(lines[0].rfind(R"({"req":"end")", 0), 0u) << lines[0].substr(0, 80);
}

TEST(PublishOps, ConnectionFindsARealStreamOnAnyShardByItsId) {
    constexpr unsigned kShards = 4;
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = kShards})) << d.error();
    const int64_t t0 = wall_now_ms();
    SseFleet fleet(d.port());
    std::string why;
    auto streams = open_streams_on_every_shard(fleet, "/api/sse/stream?channels=k1,k2.x", kShards,
                                               1, Deadline(10s), &why);
    ASSERT_FALSE(streams.empty()) << why;
    size_t other = fleet.add("/api/sse/stream");  // the default channels
    ASSERT_TRUE(fleet.run_until([&] { return fleet[other].connected.has_value(); }, Deadline(5s)));
    streams.push_back(other);

    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    for (size_t s : streams) {
        const std::string id = connection_id(fleet, s);
        SCOPED_TRACE(id);
        Json r = ask(c, "{\"op\":\"connection\",\"req\":\"q\",\"id\":\"" + id + "\"}");
        ASSERT_TRUE(r["ok"].as_bool()) << c.error();
        const Json& conn = r["connection"];
        EXPECT_EQ(conn["connectionId"].as_string(), id);
        EXPECT_TRUE(conn["userId"].is_null());
        EXPECT_TRUE(json_equal(conn["channels"], (*fleet[s].connected)["channels"]))
            << "channels differ from the connected event's";
        EXPECT_GE(conn["connectedAt"].as_int(), t0 - 1000);
        EXPECT_LE(conn["connectedAt"].as_int(), wall_now_ms() + 1000);
        EXPECT_GE(conn["lastActivity"].as_int(), conn["connectedAt"].as_int() - 1000);
        EXPECT_EQ(conn["queuedBytes"].as_int(), 0);
    }
    EXPECT_EQ(ask(c, "{\"op\":\"connection\",\"req\":1,\"id\":\"" +
                         connection_id(fleet, streams[0]) + "\"}")["connection"]["channels"]
                  .size(),
              2u);

    for (const char* id : {"c0-999999", "c1-999999", "c9-1", "nonsense", "c1-", "c-1", ""}) {
        auto r =
            c.request(std::string("{\"op\":\"connection\",\"req\":\"nf\",\"id\":\"") + id + "\"}");
        ASSERT_TRUE(r) << c.error();
        EXPECT_EQ(check_error_reply(*r, "\"nf\"", "not_found"), "") << id;
    }
    for (const char* bad :
         {R"({"op":"connection","req":"b"})", R"({"op":"connection","req":"b","id":5})",
          R"({"op":"connection","req":"b","id":null})"}) {
        auto r = c.request(bad);
        ASSERT_TRUE(r) << c.error();
        EXPECT_EQ(check_error_reply(*r, "\"b\"", "invalid_field"), "") << bad;
    }
}

TEST(PublishOps, UserReportsUnknownUsersAsNotConnected) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseClient anon;
    ASSERT_TRUE(anon.open(d.port(), "/api/sse/stream?channels=u")) << anon.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    Json r = ask(c, R"({"op":"user","req":6,"userId":"123"})");
    ASSERT_TRUE(r["ok"].as_bool()) << c.error();
    EXPECT_EQ(r["req"].as_int(), 6);
    EXPECT_EQ(r["userId"].as_string(), "123");
    EXPECT_TRUE(r["connected"].is_bool());
    EXPECT_FALSE(r["connected"].as_bool());
    EXPECT_TRUE(r["connections"].is_array());
    EXPECT_EQ(r["connections"].size(), 0u);
    Json i = ask(c, R"({"op":"user","req":7,"userId":123})");
    EXPECT_EQ(i["userId"].as_string(), "123") << "an integer id is its decimal text";
    EXPECT_FALSE(i["connected"].as_bool());
    // The same ids as targetUsers takes: unsigned 64-bit ones too.
    Json big = ask(c, R"({"op":"user","req":8,"userId":18446744073709551615})");
    EXPECT_TRUE(big["ok"].as_bool());
    EXPECT_EQ(big["userId"].as_string(), "18446744073709551615");

    for (const char* bad :
         {R"({"op":"user","req":"b"})", R"({"op":"user","req":"b","userId":""})",
          R"({"op":"user","req":"b","userId":1.5})", R"({"op":"user","req":"b","userId":true})",
          R"({"op":"user","req":"b","userId":["u"]})"}) {
        auto line = c.request(bad);
        ASSERT_TRUE(line) << c.error();
        EXPECT_EQ(check_error_reply(*line, "\"b\"", "invalid_field"), "") << bad;
    }
}

TEST(PublishOps, DisconnectClosesTheStreamAfterItsQueuedEvents) {
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 2, .config = "[delivery]\nmax_queue = \"64MiB\"\nqueue_limit = \"64MiB\"\n"}))
        << d.error();
    SseFleet fleet(d.port());
    std::string why;
    auto streams = open_streams_on_every_shard(fleet, "/api/sse/stream?channels=dc", 2, 2,
                                               Deadline(10s), &why);
    ASSERT_FALSE(streams.empty()) << why;
    // The victim: alone on "big", with a small receive buffer, and not read for
    // now, so that what is published to it stays queued in the daemon.
    const size_t victim = fleet.add("/api/sse/stream?channels=dc,big", 4096);
    ASSERT_TRUE(fleet.run_until([&] { return fleet[victim].connected.has_value(); }, Deadline(5s)));
    fleet.stop_reading(victim);
    streams.push_back(victim);
    const std::string victim_id = connection_id(fleet, victim);
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();

    // 32 KiB events until the daemon holds at least 1 MiB the kernel has not
    // taken (bytesSent counts what it took). Each reply says it was queued.
    const std::string pad(32 * 1024, 'q');
    int events = 0;
    int64_t payload = 0, sent = 0;
    while (events < 300 && payload - sent < (int64_t(1) << 20)) {
        for (int k = 0; k < 20; ++k, ++events) {
            Json r = ask(
                c, publish_line(std::to_string(events), "big", "big",
                                "{\"n\":" + std::to_string(events) + ",\"pad\":\"" + pad + "\"}"));
            ASSERT_EQ(r["sent"].as_int(), 1) << c.error();
            payload += int64_t(pad.size());
        }
        auto stats = fetch_stats(api);
        ASSERT_TRUE(stats) << api.error();
        sent = 0;
        for (const Json& shard : (*stats)["shards"].items())
            sent += shard["bytesSent"].as_int();
    }
    ASSERT_GE(payload - sent, int64_t(1) << 20)
        << "precondition: nothing stays queued for the victim after " << events << " events";

    Json dis =
        ask(c, "{\"op\":\"disconnect\",\"req\":\"d\",\"connectionId\":\"" + victim_id + "\"}");
    EXPECT_TRUE(dis["ok"].as_bool()) << c.error();
    EXPECT_EQ(dis["req"].as_string(), "d");
    EXPECT_EQ(dis["disconnected"].as_int(), 1);

    // It gets everything that was queued, then EOF.
    fleet.resume_reading(victim);
    ASSERT_TRUE(fleet.run_until([&] { return fleet[victim].ended; }, Deadline(20s)))
        << "the disconnected stream is still open: " << fleet.problems();
    auto got = fleet[victim].data_events();
    ASSERT_EQ(got.size(), size_t(events)) << "events queued before the disconnect were lost";
    for (size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(got[i]->data.substr(0, 12 + std::to_string(i).size()),
                  "{\"n\":" + std::to_string(i) + ",\"pad\":")
            << i;
    Json stats;
    EXPECT_TRUE(await_stats(
        api,
        [&](const Json& s) {
            return s["totalConnections"].as_int() == int64_t(streams.size()) - 1;
        },
        Deadline(5s), &stats, [&](int ms) { fleet.pump(ms); }))
        << "totalConnections " << stats["totalConnections"].as_int();

    // The others still stream; a second disconnect finds nothing.
    Json after = ask(c, publish_line("\"after\"", "dc", "e", "\"after\""));
    EXPECT_EQ(after["sent"].as_int(), int64_t(streams.size()) - 1);
    EXPECT_EQ(ask(c, "{\"op\":\"disconnect\",\"req\":1,\"connectionId\":\"" + victim_id +
                         "\"}")["disconnected"]
                  .as_int(),
              0);
    for (const char* id : {"c0-999999", "c7-1", "garbage"})
        EXPECT_EQ(ask(c, std::string("{\"op\":\"disconnect\",\"req\":1,\"connectionId\":\"") + id +
                             "\"}")["disconnected"]
                      .as_int(-1),
                  0)
            << id;
    Json ghost = ask(c, R"({"op":"disconnect","req":8,"userId":"123"})");
    EXPECT_TRUE(ghost["ok"].as_bool());
    EXPECT_EQ(ghost["disconnected"].as_int(-1), 0);

    // Without req: done, not answered.
    const size_t quiet = streams[1];
    ASSERT_TRUE(c.send("{\"op\":\"disconnect\",\"connectionId\":\"" + connection_id(fleet, quiet) +
                       "\"}\n"));
    ASSERT_TRUE(fleet.run_until([&] { return fleet[quiet].ended; }, Deadline(5s)));
    EXPECT_EQ(ask(c, R"({"op":"ping","req":"next"})")["req"].as_string(), "next")
        << "the fire-and-forget disconnect was answered";

    for (const char* bad : {R"({"op":"disconnect","req":"b"})",
                            R"({"op":"disconnect","req":"b","connectionId":"c0-1","userId":"u"})",
                            R"({"op":"disconnect","req":"b","userId":""})",
                            R"({"op":"disconnect","req":"b","userId":true})",
                            R"({"op":"disconnect","req":"b","connectionId":5})"}) {
        auto r = c.request(bad);
        ASSERT_TRUE(r) << c.error();
        EXPECT_EQ(check_error_reply(*r, "\"b\"", "invalid_field"), "") << bad;
    }
    for (size_t s : streams)
        if (s != victim && s != quiet) {
            EXPECT_FALSE(fleet[s].ended) << connection_id(fleet, s);
        }
}

}  // namespace
}  // namespace ringcast::itest

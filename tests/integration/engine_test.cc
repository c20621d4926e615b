// Engine behaviour seen from outside: how streams spread over shards, what
// happens when the shared receive buffers run out, and at full connection tables.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "publish_support.h"
#include "sse_fleet.h"
#include "tcp.h"

namespace ringcast::itest {
namespace {

// The shard a stream landed on, from its connection id "c<shard>-<serial>".
int shard_of(const FleetClient& c) {
    if (!c.connected) return -1;
    const std::string& id = (*c.connected)["connectionId"].as_string();
    if (id.size() < 2 || id[0] != 'c') return -1;
    return std::atoi(id.c_str() + 1);
}

std::vector<int64_t> streams_per_shard(const Json& stats) {
    std::vector<int64_t> out;
    for (const Json& s : stats["shards"].items())
        out.push_back(s["connections"].as_int());
    return out;
}

std::string describe(const std::vector<int64_t>& v) {
    std::string s;
    for (int64_t n : v)
        s += (s.empty() ? "" : " / ") + std::to_string(n);
    return s;
}

// With --accept handoff every new connection goes to the shard holding the
// fewest, so the shards stay within one stream of each other, including after
// churn that empties one shard more than the other (which the kernel's
// SO_REUSEPORT hash never corrects).
TEST(Balance, HandoffKeepsShardsWithinOneStreamThroughSkewedChurn) {
    constexpr size_t kStreams = 600;
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .extra_args = {"--accept", "handoff"}})) << d.error();
    SseFleet fleet(d.port());
    for (size_t i = 0; i < kStreams; ++i)
        fleet.add("/api/sse/stream?channels=balance");
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(20s)))
        << fleet.problems();

    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto pump = [&](int ms) { fleet.pump(ms); };
    auto balanced = [](const Json& s, int64_t total) {
        auto v = streams_per_shard(s);
        return v.size() == 2 && v[0] + v[1] == total && std::llabs(v[0] - v[1]) <= 1;
    };
    Json stats;
    EXPECT_TRUE(await_stats(
        api, [&](const Json& s) { return balanced(s, kStreams); }, Deadline(10s), &stats, pump))
        << "after " << kStreams << " connects: " << describe(streams_per_shard(stats));

    // Close 60% of shard 0's streams.
    size_t closed = 0, on_shard0 = 0;
    for (size_t i = 0; i < fleet.size(); ++i)
        on_shard0 += shard_of(fleet[i]) == 0;
    ASSERT_GT(on_shard0, kStreams / 4);
    for (size_t i = 0; i < fleet.size() && closed < on_shard0 * 6 / 10; ++i) {
        if (shard_of(fleet[i]) != 0) continue;
        fleet.close(i, false);
        ++closed;
    }
    const int64_t left = int64_t(kStreams - closed);
    ASSERT_TRUE(await_stats(
        api, [&](const Json& s) { return s["totalConnections"].as_int() == left; }, Deadline(10s),
        &stats, pump))
        << "totalConnections " << stats["totalConnections"].as_int() << ", expected " << left;
    auto skewed = streams_per_shard(stats);
    ASSERT_GT(skewed[1] - skewed[0], int64_t(closed) / 2) << describe(skewed);

    // As many new streams: all of them should go to shard 0 until it catches up.
    for (size_t i = 0; i < closed; ++i)
        fleet.add("/api/sse/stream?channels=balance");
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(20s)))
        << fleet.problems();
    EXPECT_TRUE(await_stats(
        api, [&](const Json& s) { return balanced(s, kStreams); }, Deadline(10s), &stats, pump))
        << "after the churn: " << describe(streams_per_shard(stats));
}

// A shard's provided-buffer ring is shared by all its connections. When many
// receive at once and it runs dry, the kernel completes receives with -ENOBUFS:
// that must mean "try again when buffers return", never "end of stream". With 8
// buffers of 512 bytes, hundreds of requests and multi-buffer publish bodies
// arriving together exhaust it; every stream and every publish must still work.
TEST(RecvBuffers, RunningOutOfProvidedBuffersIsNotEndOfStream) {
    constexpr size_t kStreams = 400;
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 1, .config = "[engine]\nrecv_buffers = 8\nrecv_buffer_size = \"512B\"\n"}))
        << d.error();
    SseFleet fleet(d.port());
    for (size_t i = 0; i < kStreams; ++i)
        fleet.add("/api/sse/stream?channels=starve");
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(20s)))
        << fleet.problems();

    // Publish bodies of 6 KiB: a dozen buffers each, from 4 connections at once.
    const std::string pad(6000, 'x');
    std::vector<std::unique_ptr<HttpClient>> publishers;
    std::string wire;
    for (int p = 0; p < 4; ++p) {
        publishers.push_back(std::make_unique<HttpClient>(d.port()));
        ASSERT_TRUE(publishers.back()->connect()) << publishers.back()->error();
    }
    for (int round = 0; round < 5; ++round)
        for (int p = 0; p < 4; ++p) {
            std::string body = publish_body("starve", "big", "\"" + pad + "\"");
            ASSERT_TRUE(publishers[p]->send(build_request("POST", "/api/publish", body)));
        }
    for (int round = 0; round < 5; ++round)
        for (int p = 0; p < 4; ++p) {
            auto r = publishers[p]->read_response();
            ASSERT_TRUE(r) << publishers[p]->error();
            EXPECT_EQ(r->status, 200) << r->body;
            EXPECT_NE(r->body.find("\"sent\":" + std::to_string(kStreams)), std::string::npos)
                << r->body;
        }
    ASSERT_TRUE(fleet.run_until(
        [&] {
            for (size_t i = 0; i < fleet.size(); ++i)
                if (fleet[i].data_events().size() < 20) return false;
            return true;
        },
        Deadline(20s)))
        << "not every stream received the 20 events";
    for (size_t i = 0; i < fleet.size(); ++i) {
        EXPECT_FALSE(fleet[i].ended) << "stream " << i << " was ended by the server";
        for (const SseEvent* e : fleet[i].data_events())
            ASSERT_EQ(e->data.size(), pad.size() + 2);
    }

    // The path under test really ran: receives found the pool empty.
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto stats = fetch_stats(api);
    ASSERT_TRUE(stats) << api.error();
    EXPECT_GT((*stats)["shards"][size_t(0)]["recvStarved"].as_int(), 0)
        << "no receive ran out of buffers: the test did not exercise -ENOBUFS";
}

// Shards exchange events through fixed-size rings. When a ring is full the
// sender queues locally, in order, and retries next turn: nothing may block,
// be dropped or be reordered. Rings of 16 slots, 4 shards and 32 pipelined
// publishers (32 events in flight at once) keep that path busy.
TEST(MeshRings, FullRingsQueueInOrderAndLoseNothing) {
    constexpr int kPublishers = 32, kPerPublisher = 60, kStreams = 40;
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 4, .config = "[engine]\nmesh_ring_capacity = 16\n"}))
        << d.error();
    SseFleet fleet(d.port());
    std::string channels;
    for (int p = 0; p < kPublishers; ++p)
        channels += (p ? ",m" : "m") + std::to_string(p);
    for (int i = 0; i < kStreams; ++i)
        fleet.add("/api/sse/stream?channels=" + channels);
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();

    std::vector<std::unique_ptr<HttpClient>> pubs;
    for (int p = 0; p < kPublishers; ++p) {
        pubs.push_back(std::make_unique<HttpClient>(d.port()));
        ASSERT_TRUE(pubs.back()->connect()) << pubs.back()->error();
        std::string wire;
        for (int i = 0; i < kPerPublisher; ++i)
            wire += build_request("POST", "/api/publish",
                                  publish_body("m" + std::to_string(p), "n", std::to_string(i)));
        ASSERT_TRUE(pubs.back()->send(wire)) << pubs.back()->error();
    }
    // The id each event was given, from its reply: sequence -> (publisher, i).
    std::map<uint64_t, std::pair<int, int>> by_seq;
    std::string epoch;
    for (int p = 0; p < kPublishers; ++p) {
        uint64_t last_seq = 0;
        for (int i = 0; i < kPerPublisher; ++i) {
            auto r = pubs[p]->read_response(Deadline(20s));
            ASSERT_TRUE(r) << "publisher " << p << " reply " << i << ": " << pubs[p]->error();
            ASSERT_EQ(r->status, 200) << r->body;
            auto j = r->json();
            ASSERT_TRUE(j) << r->body;
            const std::string id = (*j)["id"].as_string();
            uint64_t seq = id_sequence(id);
            if (epoch.empty()) epoch = id_epoch(id);
            EXPECT_EQ(id_epoch(id), epoch) << id;
            // A publisher's events are numbered in the order it sent them.
            EXPECT_GT(seq, last_seq) << "publisher " << p << " reply " << i << ": " << id;
            last_seq = seq;
            EXPECT_TRUE(by_seq.emplace(seq, std::make_pair(p, i)).second) << id << " given twice";
            fleet.pump(0);
        }
    }
    const size_t total = size_t(kPublishers) * kPerPublisher;
    // One sequence over every channel: exactly 1..total.
    ASSERT_EQ(by_seq.size(), total);
    EXPECT_EQ(by_seq.begin()->first, 1u);
    EXPECT_EQ(by_seq.rbegin()->first, uint64_t(total));
    ASSERT_TRUE(fleet.run_until(
        [&] {
            for (size_t i = 0; i < fleet.size(); ++i)
                if (fleet[i].data_events().size() < total) return false;
            return true;
        },
        Deadline(20s)))
        << "not every stream received all " << total << " events";
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto stats = fetch_stats(api);
    ASSERT_TRUE(stats) << api.error();
    int64_t queued = 0;
    for (const Json& shard : (*stats)["shards"].items())
        queued += shard["meshQueued"].as_int();
    EXPECT_GT(queued, 0) << "no ring was ever full: the test did not exercise the overflow queue";
    // Every stream (subscribed to every channel) gets every event once, in
    // increasing sequence: <epoch>-1, -2, ... -total, each with the data of the
    // publish whose reply carried that id. So per channel (one publisher each),
    // the data counts 0, 1, 2...
    for (size_t c = 0; c < fleet.size(); ++c) {
        auto events = fleet[c].data_events();
        ASSERT_EQ(events.size(), total) << "stream " << c;
        std::vector<int> next(kPublishers, 0);
        uint64_t seq = 0;
        for (const auto& [want_seq, origin] : by_seq) {
            const SseEvent* e = events[seq++];
            ASSERT_EQ(e->type, "n");
            ASSERT_EQ(e->last_event_id, event_id(epoch, want_seq))
                << "stream " << c << ": event #" << seq << " (data " << e->data
                << ") is out of order";
            ASSERT_EQ(e->data, std::to_string(origin.second))
                << "stream " << c << ": id " << e->last_event_id;
            ASSERT_EQ(origin.second, next[origin.first]++) << "stream " << c;
        }
        for (int p = 0; p < kPublishers; ++p)
            EXPECT_EQ(next[p], kPerPublisher) << "stream " << c;
    }
}

// A connection accepted into a full direct-descriptor table is dropped by the
// kernel (the client sees a reset). The default stream limit therefore stays
// below the tables, keeping a reserve per shard: at capacity, new streams get a
// 503 with Retry-After and API requests still work. Tables of 80 slots keep a
// reserve of 64, so 2 shards hold 2 x 16 = 32 streams.
TEST(ConnectionTables, AtCapacityStreamsGet503AndApiRequestsStillWork) {
    constexpr size_t kCapacity = 32, kExtra = 8;
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = "[engine]\nconnections_per_shard = 80\n"}))
        << d.error();
    SseFleet fleet(d.port());
    for (size_t i = 0; i < kCapacity; ++i)
        fleet.add("/api/sse/stream?channels=full");
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();

    for (size_t i = 0; i < kExtra; ++i) {
        HttpClient c(d.port());
        ASSERT_TRUE(c.connect()) << c.error();
        auto r = c.request("GET", "/api/sse/stream?channels=full");
        ASSERT_TRUE(r) << "stream " << kCapacity + i << " got no answer: " << c.error();
        EXPECT_EQ(check_json_error(*r, 503, "unavailable"), "");
        EXPECT_TRUE(r->header("retry-after")) << "503 without Retry-After";
    }
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto stats = fetch_stats(api);
    ASSERT_TRUE(stats) << "API requests must still be served at capacity: " << api.error();
    EXPECT_EQ((*stats)["totalConnections"].as_int(), int64_t(kCapacity));

    // Room again once streams leave.
    for (size_t i = 0; i < kExtra; ++i)
        fleet.close(i, false);
    ASSERT_TRUE(await_stats(
        api,
        [&](const Json& s) {
            return s["totalConnections"].as_int() == int64_t(kCapacity - kExtra);
        },
        Deadline(10s), nullptr, [&](int ms) { fleet.pump(ms); }));
    for (size_t i = 0; i < kExtra; ++i)
        fleet.add("/api/sse/stream?channels=full");
    EXPECT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();
}

// The kernel accepts a connection before it looks for a free slot in the
// direct-descriptor table, and drops it (the client sees a reset) when there is
// none. A shard whose table is full must therefore stop accepting, not keep
// taking connections only to drop them: later clients wait in the listen
// backlog and are served as slots free, however many free at once. (The shard
// keeps several accepts in flight and counts its free slots: none of them may
// take a connection the table cannot hold, and each slot that frees, once it
// has really been released, lets one waiting client in.)
TEST(ConnectionTables, FullTablePausesAcceptUntilASlotFrees) {
    constexpr size_t kTable = 80, kExtra = 12, kFreed = 5;
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1,
                         .config = "[engine]\nconnections_per_shard = 80\n"
                                   "[http]\nrequest_timeout = \"60s\"\n"}))
        << d.error();
    // The publishing socket takes one slot and tells us how many are taken.
    UnixClient sock;
    ASSERT_TRUE(sock.connect(socket_path(d))) << sock.error();
    std::vector<TcpConnection> idle(kTable - 1);
    for (auto& c : idle)
        ASSERT_TRUE(c.connect(d.port(), Deadline(5s)));
    Deadline full(10s);
    int64_t sockets = 0;
    while ((sockets = ask(sock, R"({"op":"stats","req":1})")["stats"]["sockets"].as_int()) <
               int64_t(kTable) &&
           !full.expired())
        std::this_thread::sleep_for(20ms);
    ASSERT_EQ(sockets, int64_t(kTable)) << "the table did not fill";

    // Clients arriving at a full table, one at a time, each with a request ready.
    std::vector<TcpConnection> extra(kExtra);
    for (auto& c : extra) {
        ASSERT_TRUE(c.connect(d.port(), Deadline(5s)));
        ASSERT_TRUE(c.send_all("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n", Deadline(5s)));
        std::this_thread::sleep_for(50ms);
    }
    std::this_thread::sleep_for(300ms);
    auto dropped = [&] {
        size_t n = 0;
        for (auto& c : extra)
            if (!c.valid()) ++n;
        return n;
    };
    auto served = std::vector<bool>(kExtra, false);
    // Reads what is there: a reset or EOF closes the client (dropped), an answer
    // marks it served.
    auto poll_extras = [&] {
        for (size_t i = 0; i < kExtra; ++i) {
            if (!extra[i].valid() || served[i] || !extra[i].readable_now()) continue;
            RecvResult r = extra[i].recv_some(Deadline(1s));
            if (r.status == IoStatus::ok && r.bytes.starts_with("HTTP/1.1 ")) {
                served[i] = true;
            } else if (r.status != IoStatus::ok) {
                extra[i].close();
            }
        }
        return size_t(std::count(served.begin(), served.end(), true));
    };
    EXPECT_EQ(poll_extras(), 0u) << "served while the table was full";
    EXPECT_EQ(dropped(), 0u) << "clients accepted into a full table";

    // Slots free: as many waiting clients are accepted and answered.
    for (size_t i = 0; i < kFreed; ++i)
        idle[i].close();
    Deadline d2(10s);
    size_t n = 0;
    while ((n = poll_extras()) < kFreed && !d2.expired())
        std::this_thread::sleep_for(20ms);
    EXPECT_EQ(n, kFreed) << dropped() << " clients dropped";
    // The clients served hold the slots now: the others still wait.
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(poll_extras(), kFreed);
    EXPECT_EQ(dropped(), 0u);
    EXPECT_TRUE(ask(sock, R"({"op":"stats","req":2})")["ok"].as_bool()) << sock.error();
}

}  // namespace
}  // namespace ringcast::itest

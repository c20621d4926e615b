// HTTP/1.1 connection handling: keep-alive, pipelining, Connection: close.
#include <chrono>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

class KeepAlive : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(_daemon.start({.shards = 2})) << _daemon.error();
        // A subscriber, so that publish replies have something to count.
        ASSERT_TRUE(_stream.open(port(), "/api/sse/stream?channels=k")) << _stream.error();
        ASSERT_TRUE(_stream.await_events(1, Deadline(5s)));
    }
    uint16_t port() const { return _daemon.port(); }

    DaemonProcess _daemon;
    SseClient _stream;
};

TEST_F(KeepAlive, SeveralRequestsOnOneConnection) {
    HttpClient c(port());
    ASSERT_TRUE(c.connect()) << c.error();
    std::string epoch;
    for (int i = 1; i <= 5; ++i) {
        auto r = publish(c, "k", "n", std::to_string(i));
        ASSERT_TRUE(r) << "request " << i << ": " << c.error();
        EXPECT_EQ(r->response.status, 200) << r->response.describe();
        EXPECT_EQ(r->response.header("connection").value_or(""), "keep-alive");
        if (i == 1) epoch = id_epoch(r->id);
        EXPECT_EQ(r->id, event_id(epoch, uint64_t(i)));
        EXPECT_EQ(r->sent, 1);
        auto s = c.request("GET", "/api/stats");
        ASSERT_TRUE(s) << "stats " << i << ": " << c.error();
        EXPECT_EQ(s->status, 200);
        auto j = s->json();
        ASSERT_TRUE(j) << s->body;
        EXPECT_EQ((*j)["eventsPublished"].as_int(), i);
        EXPECT_EQ((*j)["totalConnections"].as_int(), 1);
    }
    // An error answer keeps the connection too.
    auto nf = c.request("GET", "/nope");
    ASSERT_TRUE(nf) << c.error();
    EXPECT_EQ(check_json_error(*nf, 404, "not_found"), "");
    auto again = c.request("GET", "/api/stats");
    ASSERT_TRUE(again) << "the connection was closed after a 404: " << c.error();
    EXPECT_EQ(again->status, 200);

    ASSERT_TRUE(_stream.await_events(6, Deadline(5s)));
    auto evs = _stream.data_events();
    ASSERT_EQ(evs.size(), 5u);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(evs[i].data, std::to_string(i + 1));
        EXPECT_EQ(evs[i].last_event_id, event_id(epoch, uint64_t(i) + 1));
    }
}

TEST_F(KeepAlive, PipelinedRequestsAreAnsweredInOrder) {
    HttpClient c(port());
    ASSERT_TRUE(c.connect()) << c.error();
    std::string batch =
        build_request("POST", "/api/publish", publish_body("k", "first", "\"one\"")) +
        build_request("GET", "/api/stats") +
        build_request("POST", "/api/publish", publish_body("k", "second", "\"two\"")) +
        build_request("GET", "/no/such/path") +
        build_request("POST", "/api/publish", publish_body("k", "third", "\"three\""));
    ASSERT_TRUE(c.send(batch)) << c.error();  // one write

    auto p1 = c.read_response();
    ASSERT_TRUE(p1) << c.error();
    auto st = c.read_response();
    ASSERT_TRUE(st) << c.error();
    auto p2 = c.read_response();
    ASSERT_TRUE(p2) << c.error();
    auto nf = c.read_response();
    ASSERT_TRUE(nf) << c.error();
    auto p3 = c.read_response();
    ASSERT_TRUE(p3) << c.error();

    EXPECT_EQ(p1->status, 200) << p1->describe();
    const std::string id1 = (*p1->json())["id"].as_string();
    EXPECT_EQ(id_sequence(id1), 1u) << p1->body;
    EXPECT_EQ(st->status, 200) << st->describe();
    auto stats = st->json();
    ASSERT_TRUE(stats) << st->body;
    EXPECT_EQ((*stats)["eventsPublished"].as_int(), 1)
        << "stats answered between the two publishes";
    EXPECT_EQ(p2->status, 200) << p2->describe();
    EXPECT_EQ((*p2->json())["id"].as_string(), event_id(id_epoch(id1), 2)) << p2->body;
    EXPECT_EQ(check_json_error(*nf, 404, "not_found"), "");
    EXPECT_EQ(p3->status, 200) << p3->describe();
    EXPECT_EQ((*p3->json())["id"].as_string(), event_id(id_epoch(id1), 3)) << p3->body;
    EXPECT_EQ(c.pending(), "") << "no stray bytes after the five responses";

    ASSERT_TRUE(_stream.await_events(4, Deadline(5s)));
    auto evs = _stream.data_events();
    ASSERT_EQ(evs.size(), 3u);
    EXPECT_EQ(evs[0].type, "first");
    EXPECT_EQ(evs[1].type, "second");
    EXPECT_EQ(evs[2].type, "third");
}

TEST_F(KeepAlive, RequestSplitIntoSingleBytes) {
    HttpClient c(port());
    ASSERT_TRUE(c.connect()) << c.error();
    std::string req = build_request("POST", "/api/publish", publish_body("k", "slow", "[1,2,3]"));
    for (char ch : req)
        ASSERT_TRUE(c.send(std::string_view(&ch, 1))) << c.error();
    auto r = c.read_response();
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->status, 200) << r->describe();
    ASSERT_TRUE(_stream.await_events(2, Deadline(5s)));
    EXPECT_EQ(_stream.data_events().at(0).data, "[1,2,3]");
}

TEST_F(KeepAlive, ConnectionCloseIsHonoured) {
    HttpClient c(port());
    ASSERT_TRUE(c.connect()) << c.error();
    auto r = c.request("GET", "/api/stats", {}, {{"Connection", "close"}});
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("connection").value_or(""), "close");
    std::string extra;
    EXPECT_TRUE(c.await_close(Deadline(5s), &extra)) << "the daemon kept the connection open";
    EXPECT_EQ(extra, "");

    // Also on a publish, and on an error answer.
    HttpClient c2(port());
    ASSERT_TRUE(c2.connect()) << c2.error();
    auto p = c2.request("POST", "/api/publish", publish_body("k", "bye", "0"),
                        {{"Connection", "close"}});
    ASSERT_TRUE(p) << c2.error();
    EXPECT_EQ(p->status, 200) << p->describe();
    EXPECT_EQ(p->header("connection").value_or(""), "close");
    EXPECT_TRUE(c2.await_close(Deadline(5s)));

    HttpClient c3(port());
    ASSERT_TRUE(c3.connect()) << c3.error();
    auto e = c3.request("GET", "/missing", {}, {{"Connection", "close"}});
    ASSERT_TRUE(e) << c3.error();
    EXPECT_EQ(e->status, 404);
    EXPECT_EQ(e->header("connection").value_or(""), "close");
    EXPECT_TRUE(c3.await_close(Deadline(5s)));
}

TEST_F(KeepAlive, NothingIsAnsweredAfterConnectionClose) {
    HttpClient c(port());
    ASSERT_TRUE(c.connect()) << c.error();
    ASSERT_TRUE(c.send(build_request("GET", "/api/stats", {}, {{"Connection", "close"}}) +
                       build_request("POST", "/api/publish", publish_body("k", "ignored", "0"))));
    auto r = c.read_response();
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->status, 200);
    std::string extra;
    EXPECT_TRUE(c.await_close(Deadline(5s), &extra));
    EXPECT_EQ(extra, "") << "a request after Connection: close was answered";
    // ... nor carried out.
    HttpClient api(port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto stats = fetch_stats(api);
    ASSERT_TRUE(stats) << api.error();
    EXPECT_EQ((*stats)["eventsPublished"].as_int(), 0);
}

TEST_F(KeepAlive, ExpectContinueAndChunkedBodies) {
    HttpClient c(port());
    ASSERT_TRUE(c.connect()) << c.error();
    std::string body = publish_body("k", "continued", "\"after 100\"");
    ASSERT_TRUE(c.send(
        "POST /api/publish HTTP/1.1\r\nHost: x\r\nX-API-Key: " + std::string(kTestApiKey) +
        "\r\nExpect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
    auto cont = c.read_response();
    ASSERT_TRUE(cont) << "no 100 Continue: " << c.error();
    EXPECT_EQ(cont->status, 100);
    ASSERT_TRUE(c.send(body));
    auto r = c.read_response();
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->status, 200) << r->describe();

    // The same event, its body sent in chunks.
    std::string chunked =
        "POST /api/publish HTTP/1.1\r\nHost: x\r\nX-API-Key: " + std::string(kTestApiKey) +
        "\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string b2 = publish_body("k", "chunked", "{\"parts\":3}");
    size_t third = b2.size() / 3;
    for (std::string_view part :
         {std::string_view(b2).substr(0, third), std::string_view(b2).substr(third, third),
          std::string_view(b2).substr(2 * third)}) {
        char hex[16];
        std::snprintf(hex, sizeof hex, "%zx", part.size());
        chunked += std::string(hex) + "\r\n" + std::string(part) + "\r\n";
    }
    chunked += "0\r\n\r\n";
    ASSERT_TRUE(c.send(chunked));
    auto r2 = c.read_response();
    ASSERT_TRUE(r2) << c.error();
    EXPECT_EQ(r2->status, 200) << r2->describe();

    ASSERT_TRUE(_stream.await_events(3, Deadline(5s)));
    auto evs = _stream.data_events();
    ASSERT_EQ(evs.size(), 2u);
    EXPECT_EQ(evs[0].type, "continued");
    EXPECT_EQ(evs[1].type, "chunked");
    EXPECT_EQ(evs[1].data, "{\"parts\":3}");
}

TEST_F(KeepAlive, PublishToAChannelNobodyHearsSendsZero) {
    HttpClient c(port());
    ASSERT_TRUE(c.connect()) << c.error();
    auto r = publish(c, "nobody-listens", "x", "1");
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->response.status, 200) << r->response.describe();
    // Numbered all the same: the first event of this daemon.
    EXPECT_EQ(id_sequence(r->id), 1u) << r->id;
    EXPECT_EQ(r->sent, 0);
    EXPECT_EQ(r->failed, 0);
}

TEST(Stats, ReportsTheDocumentedFields) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=one,two")) << s.error();
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    ASSERT_TRUE(publish(c, "one", "e", "1"));
    auto r = c.request("GET", "/api/stats");
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("content-type").value_or(""), "application/json");
    auto j = r->json();
    ASSERT_TRUE(j && j->is_object()) << r->body;
    EXPECT_EQ((*j)["totalConnections"].as_int(), 1);
    EXPECT_EQ((*j)["sockets"].as_int(), 2);
    EXPECT_EQ((*j)["activeChannels"].as_int(), 2);
    EXPECT_EQ((*j)["eventsPublished"].as_int(), 1);
    EXPECT_EQ((*j)["deliveries"].as_int(), 1);
    EXPECT_EQ((*j)["channels"]["one"]["connections"].as_int(), 1);
    EXPECT_EQ((*j)["channels"]["two"]["connections"].as_int(), 1);
    ASSERT_EQ((*j)["shards"].size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ((*j)["shards"][i]["id"].as_int(), int64_t(i));
        EXPECT_TRUE((*j)["shards"][i]["connections"].is_number());
    }
    EXPECT_GT((*j)["memoryUsage"]["rss"].as_int(), 0) << r->body;
    EXPECT_TRUE((*j)["cpu"]["user"].is_number()) << r->body;
    EXPECT_TRUE((*j)["cpu"]["system"].is_number()) << r->body;
}

TEST(KeepAliveTimeout, IdleConnectionsAreClosedAfterTheTimeout) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[http]\nkeepalive_timeout = \"300ms\"\n"})) << d.error();
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    ASSERT_TRUE(fetch_stats(c)) << c.error();
    auto idle_from = Clock::now();
    std::string extra;
    EXPECT_TRUE(c.await_close(Deadline(5s), &extra)) << "idle keep-alive connection not closed";
    EXPECT_EQ(extra, "");
    EXPECT_GE(ms_since(idle_from), 250);
}

// Regression: the shard loop's clock must be read again after it wakes. It used
// to keep the time the turn began, so after an idle period longer than the
// request timeout, a new connection got a deadline already in the past and was
// closed unanswered. The daemon must really be idle here, so this test waits.
TEST(IdleDaemon, FirstRequestAfterALongIdleIsAnswered) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = "[http]\nrequest_timeout = \"300ms\"\n"}))
        << d.error();
    {
        HttpClient warm(d.port());
        ASSERT_TRUE(warm.connect() && fetch_stats(warm)) << warm.error();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(900));  // idle, on purpose
    for (int i = 0; i < 4; ++i) {  // every shard may hold the new connection
        HttpClient c(d.port());
        ASSERT_TRUE(c.connect()) << c.error();
        auto r = c.request("GET", "/api/stats");
        ASSERT_TRUE(r) << "connection " << i << " after idling: " << c.error();
        EXPECT_EQ(r->status, 200);
    }
}

// A pipeline far longer than the daemon buffers while a publish is in flight
// (max_header_bytes + max_body): it stops reading, then resumes, and every
// request is still answered, in order.
TEST(Pipeline, LongPipelineUnderBackpressure) {
    constexpr int kRequests = 2000;
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 2, .config = "[http]\nmax_header_bytes = \"256B\"\nmax_body = \"512B\"\n"}))
        << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=p0,p1")) << s.error();
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    std::string batch;
    for (int k = 0; k < kRequests; ++k)
        batch += build_request("POST", "/api/publish",
                               publish_body(k % 2 ? "p1" : "p0", "n", std::to_string(k)));
    ASSERT_TRUE(c.send(batch, Deadline(30s))) << c.error();
    // One connection's publishes, in order: the daemon's one sequence numbers
    // them 1, 2, 3... across both channels.
    std::string epoch;
    for (int k = 0; k < kRequests; ++k) {
        auto r = c.read_response(Deadline(10s));
        ASSERT_TRUE(r) << "response " << k << " of " << kRequests << ": " << c.error();
        ASSERT_EQ(r->status, 200) << r->describe();
        const std::string id = (*r->json())["id"].as_string();
        if (k == 0) epoch = id_epoch(id);
        ASSERT_EQ(id, event_id(epoch, uint64_t(k) + 1)) << "response " << k;
        s.read_available();
    }
    ASSERT_TRUE(
        s.read_until([&] { return s.data_events().size() >= size_t(kRequests); }, Deadline(10s)));
    auto evs = s.data_events();
    for (int k = 0; k < kRequests; ++k) {
        ASSERT_EQ(evs[k].data, std::to_string(k));
        ASSERT_EQ(evs[k].last_event_id, event_id(epoch, uint64_t(k) + 1));
    }
}

TEST_F(KeepAlive, AbsoluteFormTargetsAreAccepted) {
    // RFC 9112 3.2.2: a server MUST accept the absolute-form.
    HttpClient c(port());
    ASSERT_TRUE(c.connect()) << c.error();
    auto r = c.request("GET", "http://127.0.0.1:" + std::to_string(port()) + "/api/stats", {},
                       {{"X-API-Key", std::string(kTestApiKey)}});
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->status, 200) << r->describe();
}

TEST_F(KeepAlive, Http10ClosesUnlessAskedToKeepAlive) {
    HttpClient c(port());
    ASSERT_TRUE(c.connect()) << c.error();
    ASSERT_TRUE(
        c.send("GET /api/stats HTTP/1.0\r\nX-API-Key: " + std::string(kTestApiKey) + "\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("connection").value_or(""), "close");
    EXPECT_TRUE(c.await_close(Deadline(5s)));

    HttpClient k(port());
    ASSERT_TRUE(k.connect()) << k.error();
    ASSERT_TRUE(k.send("GET /api/stats HTTP/1.0\r\nConnection: keep-alive\r\nX-API-Key: " +
                       std::string(kTestApiKey) + "\r\n\r\n"));
    auto r1 = k.read_response();
    ASSERT_TRUE(r1) << k.error();
    EXPECT_EQ(r1->header("connection").value_or(""), "keep-alive");
    ASSERT_TRUE(
        k.send("GET /api/stats HTTP/1.0\r\nX-API-Key: " + std::string(kTestApiKey) + "\r\n\r\n"));
    auto r2 = k.read_response();
    ASSERT_TRUE(r2) << "second request on a kept-alive HTTP/1.0 connection: " << k.error();
    EXPECT_EQ(r2->status, 200);
}

}  // namespace
}  // namespace ringcast::itest

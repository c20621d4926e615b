// Hostile and malformed requests: each gets the right status and a JSON error,
// and the streams that are open meanwhile keep receiving every event.
#include <set>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "sse_client.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

constexpr int kWatchers = 6;
constexpr int kMaxStreams = 12;

constexpr const char* kHostileConfig = R"(
[server]
max_connections = 12
retry_after = "7s"

[http]
request_timeout = "500ms"
max_header_bytes = "4KiB"
max_headers = 32
max_request_target = "1KiB"
max_body = "64KiB"
)";

class Hostile : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(_daemon.start({.shards = 2, .config = kHostileConfig})) << _daemon.error();
        _fleet = std::make_unique<SseFleet>(port());
        for (int i = 0; i < kWatchers; ++i)
            _fleet->add(i % 2 ? "/api/sse/stream?channels=h" : "/api/sse?channels=x,h");
        ASSERT_TRUE(_fleet->run_until([&] { return _fleet->all_connected(); }, Deadline(10s)))
            << _fleet->problems();
        _publisher.emplace(port());
        ASSERT_TRUE(_publisher->connect()) << _publisher->error();
    }

    uint16_t port() const { return _daemon.port(); }

    // Checks the id of an event the daemon accepted: the next number of its one
    // sequence over every channel (refused publishes take none), in this run's
    // epoch.
    void expect_next_id(const std::string& id) {
        ++_sequenced;
        if (_epoch.empty()) _epoch = id_epoch(id);
        EXPECT_EQ(id, event_id(_epoch, _sequenced));
    }

    // Publishes the next event on "h" (the watchers' channel) and checks the reply.
    void publish_next() {
        ++_published;
        auto r = publish(*_publisher, "h", "tick", "{\"n\":" + std::to_string(_published) + "}");
        ASSERT_TRUE(r) << _publisher->error();
        ASSERT_EQ(r->response.status, 200) << r->response.describe();
        expect_next_id(r->id);
        _ids.push_back(r->id);
        EXPECT_EQ(r->sent, kWatchers);
        _fleet->pump(0);
    }

    // Sends `raw` on a new connection; returns the response (nullopt if none).
    std::optional<HttpResponse> exchange(std::string_view raw, HttpClient* keep = nullptr) {
        HttpClient local(port());
        HttpClient& c = keep ? *keep : local;
        EXPECT_TRUE(c.connect()) << c.error();
        EXPECT_TRUE(c.send(raw)) << c.error();
        auto r = c.read_response(Deadline(5s));
        EXPECT_TRUE(r) << "no response to " << std::string(raw.substr(0, 120)) << ": " << c.error();
        return r;
    }

    // The request must be answered with `status`/`code` and the connection closed.
    void expect_error_then_close(std::string_view raw, int status, std::string_view code) {
        HttpClient c(port());
        auto r = exchange(raw, &c);
        if (!r) return;
        EXPECT_EQ(check_json_error(*r, status, code), "")
            << "request: " << std::string(raw.substr(0, 120));
        EXPECT_EQ(r->header("connection").value_or(""), "close");
        std::string extra;
        EXPECT_TRUE(c.await_close(Deadline(5s), &extra)) << "connection left open after " << status;
        EXPECT_EQ(extra, "");
        publish_next();
    }

    // Every watcher has every event published so far, once, in order.
    void expect_watchers_complete() {
        auto complete = [&] {
            for (size_t i = 0; i < _fleet->size(); ++i)
                if ((*_fleet)[i].data_events().size() < size_t(_published)) return false;
            return true;
        };
        ASSERT_TRUE(_fleet->run_until(complete, Deadline(10s))) << _fleet->problems();
        // One more event as a fence: a duplicate would arrive before it.
        publish_next();
        ASSERT_TRUE(_fleet->run_until(complete, Deadline(10s))) << _fleet->problems();
        for (size_t i = 0; i < _fleet->size(); ++i) {
            const FleetClient& c = (*_fleet)[i];
            EXPECT_FALSE(c.ended) << "watcher " << i << " was disconnected";
            auto evs = c.data_events();
            ASSERT_EQ(evs.size(), size_t(_published)) << "watcher " << i;
            for (int k = 0; k < _published; ++k) {
                EXPECT_EQ(evs[k]->last_event_id, _ids[size_t(k)]) << "watcher " << i;
                EXPECT_EQ(evs[k]->data, "{\"n\":" + std::to_string(k + 1) + "}") << "watcher " << i;
            }
        }
    }

    DaemonProcess _daemon;
    std::unique_ptr<SseFleet> _fleet;
    std::optional<HttpClient> _publisher;  // created once the port is known
    int _published = 0;                    // events on "h"
    std::vector<std::string> _ids;         // their ids, in publish order
    uint64_t _sequenced = 0;               // events the daemon accepted, on any channel
    std::string _epoch;                    // of the first event id
};

TEST_F(Hostile, EveryBadRequestGetsItsStatusWhileStreamsFlow) {
    publish_next();
    {
        SCOPED_TRACE("garbage bytes");
        static constexpr char kTlsHello[] =
            "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n";
        expect_error_then_close(std::string(kTlsHello, sizeof kTlsHello - 1), 400, "bad_request");
        expect_error_then_close("HELLO / HTTP/1.1\r\n\r\n", 400, "bad_request");
        static constexpr char kNulInHeader[] =
            "GET /api/stats HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\n\r\n";
        expect_error_then_close(std::string(kNulInHeader, sizeof kNulInHeader - 1), 400,
                                "bad_request");
        // Request smuggling: a body framed two ways, or by two lengths.
        expect_error_then_close(
            "POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: "
            "chunked\r\n\r\n"
            "0\r\n\r\n",
            400, "bad_request");
        expect_error_then_close(
            "POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: "
            "40\r\n\r\n{}",
            400, "bad_request");
        expect_error_then_close("GET /api/stats HTTP/1.1\r\nHost x\r\n\r\n", 400, "bad_request");
    }

    {
        SCOPED_TRACE("oversized header");
        std::string big =
            "GET /api/stats HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(5000, 'a') + "\r\n\r\n";
        expect_error_then_close(big, 431, "headers_too_large");
    }
    {
        SCOPED_TRACE("too many headers");
        std::string many = "GET /api/stats HTTP/1.1\r\nHost: x\r\n";
        for (int i = 0; i < 40; ++i)
            many += "X-H" + std::to_string(i) + ": v\r\n";
        expect_error_then_close(many + "\r\n", 431, "headers_too_large");
    }
    {
        SCOPED_TRACE("overlong URL");
        expect_error_then_close(
            build_request("GET", "/api/sse/stream?channels=" + std::string(2000, 'c')), 414,
            "uri_too_long");
    }
    {
        SCOPED_TRACE("Content-Length over the limit, answered before any body byte");
        expect_error_then_close(
            "POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Type: "
            "application/json\r\nContent-Length: 100000\r\n\r\n",
            413, "payload_too_large");
    }
    {
        SCOPED_TRACE("limits are inclusive: a request exactly at each limit is served");
        // max_request_target = 1KiB
        std::string target = "/api/stats?pad=";
        target += std::string(1024 - target.size(), 'p');
        auto at = exchange(build_request("GET", target));
        ASSERT_TRUE(at);
        EXPECT_EQ(at->status, 200) << "target of exactly 1024 bytes: " << at->describe();
        expect_error_then_close(build_request("GET", target + "p"), 414, "uri_too_long");
        // max_headers = 32 (Host and the test API key are two of them)
        Headers h = {{"X-API-Key", std::string(kTestApiKey)}};
        for (int i = 0; i < 30; ++i)
            h.emplace_back("X-H" + std::to_string(i), "v");
        auto at_headers = exchange(build_request("GET", "/api/stats", {}, h));
        ASSERT_TRUE(at_headers);
        EXPECT_EQ(at_headers->status, 200)
            << "exactly 32 header fields: " << at_headers->describe();
        h.emplace_back("X-One-Too-Many", "v");
        expect_error_then_close(build_request("GET", "/api/stats", {}, h), 431,
                                "headers_too_large");
        // max_body = 64KiB
        std::string body = publish_body("unheard", "big", "\"\"");
        body = publish_body("unheard", "big", "\"" + std::string(65536 - body.size(), 'b') + "\"");
        ASSERT_EQ(body.size(), 65536u);
        HttpClient c(port());
        ASSERT_TRUE(c.connect()) << c.error();
        auto big = c.request("POST", "/api/publish", body);
        ASSERT_TRUE(big) << c.error();
        EXPECT_EQ(big->status, 200) << "a body of exactly 64 KiB: " << big->describe();
        // Nobody hears "unheard", but the event takes the next number all the same.
        auto big_json = big->json();
        ASSERT_TRUE(big_json) << big->body;
        expect_next_id((*big_json)["id"].as_string());
        expect_error_then_close(build_request("POST", "/api/publish", body + " "), 413,
                                "payload_too_large");
    }
    {
        SCOPED_TRACE("slow headers: one byte every 100 ms");
        HttpClient c(port());
        ASSERT_TRUE(c.connect()) << c.error();
        std::string trickle =
            "GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(200, 's');
        auto started = Clock::now();
        Deadline give_up(5s);
        size_t sent = 0;
        // Await the answer while trickling: each wait for it lasts 100 ms.
        while (!c.conn().readable_now() && !give_up.expired() && sent < trickle.size()) {
            ASSERT_TRUE(c.send(trickle.substr(sent++, 1))) << c.error();
            if (sent % 3 == 0) publish_next();  // the others are served meanwhile
            pollfd p{c.conn().fd(), POLLIN, 0};
            ::poll(&p, 1, give_up.poll_ms(100));
        }
        auto r = c.read_response(Deadline(3s));
        int64_t elapsed = ms_since(started);
        ASSERT_TRUE(r) << "no 408 for a slow request: " << c.error();
        EXPECT_EQ(check_json_error(*r, 408, "request_timeout"), "");
        EXPECT_GE(elapsed, 400) << "request_timeout is 500 ms";
        EXPECT_LE(elapsed, 2500) << "the timeout counts from the first byte, not the last";
        EXPECT_TRUE(c.await_close(Deadline(5s)));
    }
    {
        SCOPED_TRACE("slow body: headers complete, the body never does");
        HttpClient c(port());
        ASSERT_TRUE(c.connect()) << c.error();
        auto started = Clock::now();
        ASSERT_TRUE(c.send(
            "POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"channel\":"));
        auto r = c.read_response(Deadline(5s));
        ASSERT_TRUE(r) << "no 408 for a body that never completes: " << c.error();
        EXPECT_EQ(check_json_error(*r, 408, "request_timeout"), "");
        EXPECT_GE(ms_since(started), 400);
        EXPECT_TRUE(c.await_close(Deadline(5s)));
        publish_next();
    }
    {
        SCOPED_TRACE("slow second request on a kept-alive connection");
        HttpClient c(port());
        ASSERT_TRUE(c.connect()) << c.error();
        auto first = c.request("GET", "/api/stats");
        ASSERT_TRUE(first) << c.error();
        ASSERT_EQ(first->status, 200);
        auto started = Clock::now();
        ASSERT_TRUE(c.send("GET /api/stats HTTP/1.1\r\nHost:"));
        auto r = c.read_response(Deadline(5s));
        ASSERT_TRUE(r) << "the second request got no 408 within request_timeout: " << c.error();
        EXPECT_EQ(check_json_error(*r, 408, "request_timeout"), "");
        EXPECT_GE(ms_since(started), 400);
        EXPECT_LE(ms_since(started), 2500)
            << "request_timeout (500 ms), not keepalive_timeout (60 s)";
        publish_next();
    }
    {
        SCOPED_TRACE("a connection that sends nothing is closed");
        HttpClient c(port());
        ASSERT_TRUE(c.connect()) << c.error();
        auto started = Clock::now();
        std::string extra;
        EXPECT_TRUE(c.await_close(Deadline(5s), &extra));
        EXPECT_EQ(extra, "") << "nothing is sent to a silent client";
        EXPECT_GE(ms_since(started), 400);
        publish_next();
    }
    {
        SCOPED_TRACE("unknown path");
        auto r = exchange(build_request("GET", "/api/nothing-here"));
        ASSERT_TRUE(r);
        EXPECT_EQ(check_json_error(*r, 404, "not_found"), "");
        publish_next();
    }
    {
        SCOPED_TRACE("wrong method");
        struct Case {
            const char* method;
            const char* path;
            const char* allow;
        };
        for (Case k : {Case{"DELETE", "/api/publish", "POST"}, Case{"GET", "/api/publish", "POST"},
                       Case{"POST", "/api/stats", "GET"}, Case{"PUT", "/api/sse/stream", "GET"}}) {
            auto r = exchange(build_request(k.method, k.path, k.method[0] == 'P' ? "{}" : ""));
            ASSERT_TRUE(r);
            EXPECT_EQ(check_json_error(*r, 405, "method_not_allowed"), "")
                << k.method << " " << k.path;
            EXPECT_EQ(r->header("allow").value_or("<none>"), k.allow) << k.method << " " << k.path;
            publish_next();
        }
    }
    {
        SCOPED_TRACE("bad publish bodies");
        struct Case {
            std::string body;
            std::string names;  // the message must mention this
        };
        const std::vector<Case> cases = {
            {R"({"channel":"h","event":)", "JSON"},
            {R"(not json at all)", "JSON"},
            {R"([1,2])", "object"},
            {R"({"event":"e","data":1})", "channel"},
            {R"({"channel":"h","data":1})", "event"},
            {R"({"channel":"h","event":"e"})", "data"},
            {R"({"channel":"h","event":"e","data":1,"colour":"red"})", "colour"},
            {R"({"channel":"bad name!","event":"e","data":1})", "channel"},
            {R"({"channel":42,"event":"e","data":1})", "channel"},
            {R"({"channel":"h","event":"","data":1})", "event"},
            {R"({"channel":"h","event":"e","data":1,"id":{"x":1}})", "id"},
            // Line breaks in the event name or id would let a publisher forge
            // SSE fields in every subscriber's stream.
            {R"({"channel":"h","event":"e\ndata: forged","data":1})", "event"},
            {R"({"channel":"h","event":"e","data":1,"id":"7\nevent: forged"})", "id"},
            {R"({"channel":"h","event":"e","data":1,"id":"7\rretry: 1"})", "id"},
            {R"({"channel":"h","event":"e","data":1e999})", "JSON"},
        };
        HttpClient c(port());
        ASSERT_TRUE(c.connect()) << c.error();
        for (const Case& k : cases) {
            auto r =
                c.request("POST", "/api/publish", k.body, {{"Content-Type", "application/json"}});
            ASSERT_TRUE(r) << k.body << ": " << c.error();
            EXPECT_EQ(check_json_error(*r, 400, "bad_request"), "") << k.body;
            auto j = r->json();
            std::string message = j ? (*j)["error"]["message"].as_string() : "";
            EXPECT_NE(message.find(k.names), std::string::npos)
                << "the message for " << k.body << " should name " << k.names << ": " << message;
        }
        auto empty = c.request("POST", "/api/publish");
        ASSERT_TRUE(empty) << c.error();
        EXPECT_EQ(check_json_error(*empty, 400, "bad_request"), "");
        publish_next();
    }
    {
        SCOPED_TRACE("invalid channel names on a stream");
        for (const std::string& target : std::vector<std::string>{
                 "/api/sse/stream?channels=good,bad!name", "/api/sse/stream?channels=has%20space",
                 "/api/sse/stream?channels=" + std::string(129, 'n'),
                 "/api/sse/stream?channels=a%2"}) {
            SseClient s;
            ASSERT_TRUE(s.open(port(), target)) << s.error();
            EXPECT_EQ(check_json_error(s.head(), 400, "bad_request"), "") << target;
            publish_next();
        }
        std::string many = "/api/sse/stream?channels=c0";
        for (int i = 1; i <= 32; ++i)
            many += ",c" + std::to_string(i);
        SseClient too_many;
        ASSERT_TRUE(too_many.open(port(), many)) << too_many.error();
        EXPECT_EQ(check_json_error(too_many.head(), 400, "bad_request"), "")
            << "33 channels, at most 32";

        SseClient longest;  // 128 characters is allowed
        ASSERT_TRUE(longest.open(port(), "/api/sse/stream?channels=" + std::string(128, 'n')))
            << longest.error();
        EXPECT_EQ(longest.status(), 200) << longest.head().describe();
        longest.conn().close();

        SseClient s;
        ASSERT_TRUE(s.open(port(), "/api/sse/stream?channels=good,bad!name")) << s.error();
        auto j = s.head().json();
        ASSERT_TRUE(j) << s.head().describe();
        EXPECT_NE((*j)["error"]["message"].as_string().find("bad!name"), std::string::npos)
            << "the message names the invalid channel: " << s.head().body;
    }
    {
        SCOPED_TRACE("server.max_connections exceeded");
        // Open streams until the daemon refuses one; it must refuse at the
        // latest once kMaxStreams streams are open.
        std::vector<std::unique_ptr<SseClient>> extra;
        std::optional<HttpResponse> refused;
        for (int i = kWatchers; i <= kMaxStreams && !refused; ++i) {
            auto s = std::make_unique<SseClient>();
            ASSERT_TRUE(s->open(port(), "/api/sse/stream?channels=other")) << s->error();
            if (s->status() == 200) {
                extra.push_back(std::move(s));
            } else {
                refused = s->head();
            }
        }
        ASSERT_TRUE(refused) << "a stream beyond server.max_connections = " << kMaxStreams
                             << " was accepted";
        EXPECT_LE(kWatchers + int(extra.size()), kMaxStreams);
        EXPECT_EQ(check_json_error(*refused, 503, "unavailable"), "");
        EXPECT_EQ(refused->header("retry-after").value_or("<none>"), "7");
        publish_next();
    }

    expect_watchers_complete();

    // Nothing leaked: only the watchers and the publisher remain.
    Json stats;
    EXPECT_TRUE(await_stats(
        *_publisher,
        [&](const Json& s) {
            return s["totalConnections"].as_int() == kWatchers &&
                   s["sockets"].as_int() == kWatchers + 1;
        },
        Deadline(10s), &stats, [&](int ms) { _fleet->pump(ms); }))
        << "stats: totalConnections " << stats["totalConnections"].as_int() << ", sockets "
        << stats["sockets"].as_int();
}

// server.max_connections limits SSE streams: API connections (publishers,
// stats) do not count, and a closed stream frees its place.
TEST(Limits, MaxConnectionsCountsStreamsNotApiConnections) {
    DaemonProcess d;
    ASSERT_TRUE(
        d.start({.shards = 2, .config = "[server]\nmax_connections = 3\nretry_after = \"2s\"\n"}))
        << d.error();
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    ASSERT_TRUE(fetch_stats(api)) << api.error();  // an open keep-alive API connection

    std::vector<std::unique_ptr<SseClient>> streams;
    std::vector<int> statuses;
    for (int i = 0; i < 4; ++i) {
        auto s = std::make_unique<SseClient>();
        ASSERT_TRUE(s->open(d.port(), "/api/sse/stream?channels=lim")) << s->error();
        statuses.push_back(s->status());
        if (s->status() == 503) {
            EXPECT_EQ(check_json_error(s->head(), 503, "unavailable"), "");
            EXPECT_EQ(s->head().header("retry-after").value_or("<none>"), "2");
        }
        streams.push_back(std::move(s));
    }
    EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200, 503}))
        << "max_connections = 3 with one API connection open";

    // Close every refused connection and one stream; a new stream fits again.
    size_t open_streams = 0;
    for (auto& s : streams) {
        if (s->status() != 200 || open_streams == 2) {
            s->conn().close();
        } else {
            ++open_streams;
        }
    }
    Json stats;
    ASSERT_TRUE(await_stats(
        api,
        [&](const Json& s) {
            return s["totalConnections"].as_int() == int64_t(open_streams) &&
                   s["sockets"].as_int() == int64_t(open_streams) + 1;
        },
        Deadline(10s), &stats))
        << "sockets " << stats["sockets"].as_int();
    SseClient again;
    ASSERT_TRUE(again.open(d.port(), "/api/sse/stream?channels=lim")) << again.error();
    EXPECT_EQ(again.status(), 200) << again.head().describe();
}

}  // namespace
}  // namespace ringcast::itest

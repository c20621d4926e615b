// HTTP/2 with prior knowledge (h2c) on the HTTP listener: SSE streams,
// publishes and API requests as streams of one connection, fan-out exactness
// over 100+ streams of one connection, a stream whose window stays closed
// handled as a slow reader without stalling the others, the limits against
// the known HTTP/2 attacks, and GOAWAY on SIGTERM. Clients: curl, and
// nghttp2's client session (h2_client.h) for what curl cannot do.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "child_process.h"
#include "daemon_process.h"
#include "h2_client.h"
#include "http_client.h"
#include "ringcast/sse_parser.h"

namespace ringcast::itest {
namespace {

constexpr uint32_t kRefusedStream = 0x7, kCancel = 0x8;
const std::vector<std::pair<std::string, std::string>> kKey = {
    {"x-api-key", std::string(kTestApiKey)}};

std::vector<SseEvent> events_of(const std::string& body, std::string_view type) {
    SseParser p;
    std::vector<SseEvent> out;
    p.feed(body, [&](const SseEvent& e) {
        if (e.type == type) out.push_back(e);
    });
    return out;
}

bool connected(const H2Client::Stream& s) {
    return s.status == 200 && s.body.find("event: connected") != std::string::npos;
}

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// The server's frames in raw bytes: (type, error code of a GOAWAY or 0).
struct RawFrame {
    uint8_t type;
    uint32_t stream;
    std::string payload;
};
std::vector<RawFrame> frames_of(const std::string& bytes) {
    std::vector<RawFrame> out;
    size_t at = 0;
    while (at + 9 <= bytes.size()) {
        const auto b = [&](size_t i) { return uint32_t(uint8_t(bytes[at + i])); };
        const size_t len = (b(0) << 16) | (b(1) << 8) | b(2);
        if (at + 9 + len > bytes.size()) break;
        out.push_back({uint8_t(b(3)), ((b(5) & 0x7f) << 24) | (b(6) << 16) | (b(7) << 8) | b(8),
                       bytes.substr(at + 9, len)});
        at += 9 + len;
    }
    return out;
}
uint32_t goaway_error(const std::vector<RawFrame>& frames) {
    for (const RawFrame& f : frames)
        if (f.type == 7 && f.payload.size() >= 8) {
            const auto b = [&](size_t i) { return uint32_t(uint8_t(f.payload[i])); };
            return (b(4) << 24) | (b(5) << 16) | (b(6) << 8) | b(7);
        }
    return UINT32_MAX;  // no GOAWAY
}

// Another client is served as usual (an attack harmed only its own connection).
void expect_others_served(DaemonProcess& d) {
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect());
    auto r = c.request("GET", "/api/stats");
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->status, 200);
    H2Client h2(d.port());
    ASSERT_TRUE(h2.connect());
    const int32_t id = h2.request("GET", "/api/stats", kKey);
    ASSERT_TRUE(h2.run_until([&] { return h2.stream(id).closed; }, Deadline(10s))) << h2.error();
    EXPECT_EQ(h2.stream(id).status, 200);
}

std::optional<Json> stats(DaemonProcess& d) {
    HttpClient c(d.port());
    if (!c.connect()) return std::nullopt;
    return fetch_stats(c);
}

TEST(Http2, CurlWithPriorKnowledgeReceivesPublishedEvents) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    const std::string out = d.dir().path() + "/curl.out", head = d.dir().path() + "/curl.head";
    std::string error;
    Child curl =
        spawn_child("/usr/bin/curl",
                    {"curl", "--http2-prior-knowledge", "-sS", "-N", "--max-time", "30", "-D", head,
                     "http://127.0.0.1:" + std::to_string(d.port()) + "/api/sse?channels=news"},
                    {.out_path = out, .err_path = d.dir().path() + "/curl.err"}, &error);
    ASSERT_GT(curl.pid, 0) << error;
    Deadline dl(15s);
    while (read_file(out).find("event: connected") == std::string::npos && !dl.expired())
        ::poll(nullptr, 0, 20);
    ASSERT_NE(read_file(out).find("event: connected"), std::string::npos) << read_file(out);
    HttpClient pub(d.port());
    ASSERT_TRUE(pub.connect());
    for (int i = 0; i < 3; ++i) {
        auto r = publish(pub, "news", "update", "{\"n\":" + std::to_string(i) + "}");
        ASSERT_TRUE(r && r->response.status == 200);
    }
    while (events_of(read_file(out), "update").size() < 3 && !dl.expired())
        ::poll(nullptr, 0, 20);
    const std::vector<SseEvent> got = events_of(read_file(out), "update");
    ASSERT_EQ(got.size(), 3u) << read_file(out);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(got[size_t(i)].data, "{\"n\":" + std::to_string(i) + "}");
    EXPECT_TRUE(read_file(head).starts_with("HTTP/2 200")) << read_file(head);
    EXPECT_NE(read_file(head).find("content-type: text/event-stream"), std::string::npos);
    ::kill(curl.pid, SIGTERM);
    await_exit(curl.pid, curl.pidfd, Deadline(10s));
}

TEST(Http2, HundredsOfStreamsOnOneConnectionGetEveryEventOnceInOrder) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    H2Client c(d.port());
    ASSERT_TRUE(c.connect());
    constexpr int kStreams = 120, kEvents = 60;
    std::vector<int32_t> ids;
    for (int i = 0; i < kStreams; ++i)
        ids.push_back(c.get(i % 2 ? "/api/sse?channels=news" : "/api/sse/stream?channels=news"));
    ASSERT_TRUE(c.run_until(
        [&] {
            for (int32_t id : ids)
                if (!connected(c.stream(id))) return false;
            return true;
        },
        Deadline(20s)))
        << c.error();
    auto s = stats(d);
    ASSERT_TRUE(s);
    EXPECT_EQ((*s)["http2"]["connections"].as_int(), 1);
    EXPECT_EQ((*s)["http2"]["streams"].as_int(), kStreams);
    EXPECT_GE((*s)["totalConnections"].as_int(), kStreams);

    HttpClient pub(d.port());
    ASSERT_TRUE(pub.connect());
    for (int i = 0; i < kEvents; ++i) {
        auto r = publish(pub, "news", "update", "{\"n\":" + std::to_string(i) + "}");
        ASSERT_TRUE(r && r->response.status == 200);
    }
    ASSERT_TRUE(c.run_until(
        [&] {
            for (int32_t id : ids)
                if (events_of(c.stream(id).body, "update").size() < size_t(kEvents)) return false;
            return true;
        },
        Deadline(30s)))
        << c.error();
    c.pump(100);  // nothing more may come
    for (int32_t id : ids) {
        const std::vector<SseEvent> got = events_of(c.stream(id).body, "update");
        ASSERT_EQ(got.size(), size_t(kEvents)) << "stream " << id;
        for (int i = 0; i < kEvents; ++i)
            ASSERT_EQ(got[size_t(i)].data, "{\"n\":" + std::to_string(i) + "}") << "stream " << id;
        EXPECT_FALSE(c.stream(id).closed);
    }
}

TEST(Http2, PublishAndApiRequestsAreStreams) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    H2Client c(d.port());
    ASSERT_TRUE(c.connect());
    const int32_t sse = c.get("/api/sse?channels=news");
    ASSERT_TRUE(c.run_until([&] { return connected(c.stream(sse)); }, Deadline(10s)));

    auto headers = kKey;
    headers.emplace_back("content-type", "application/json");
    const int32_t with_length =
        c.request("POST", "/api/publish", headers, publish_body("news", "a", "{\"x\":1}"), true);
    const int32_t chunked =
        c.request("POST", "/api/publish", headers, publish_body("news", "b", "{\"x\":2}"), false);
    const int32_t get = c.request("GET", "/api/stats", kKey);
    const int32_t missing = c.request("GET", "/no/such/thing");
    const int32_t denied = c.request("POST", "/api/publish", {{"content-type", "application/json"}},
                                     publish_body("news", "c", "{}"));
    ASSERT_TRUE(c.run_until(
        [&] {
            for (int32_t id : {with_length, chunked, get, missing, denied})
                if (!c.stream(id).closed) return false;
            return events_of(c.stream(sse).body, "b").size() == 1;
        },
        Deadline(10s)))
        << c.error();
    for (int32_t id : {with_length, chunked}) {
        EXPECT_EQ(c.stream(id).status, 200) << c.stream(id).body;
        EXPECT_NE(c.stream(id).body.find("\"id\""), std::string::npos) << c.stream(id).body;
        EXPECT_EQ(c.stream(id).error_code, 0u);
        EXPECT_EQ(c.stream(id).header("content-length"), std::to_string(c.stream(id).body.size()));
        EXPECT_EQ(c.stream(id).header("connection"), "") << "no hop-by-hop field";
    }
    EXPECT_EQ(c.stream(get).status, 200);
    EXPECT_NE(c.stream(get).body.find("\"http2\""), std::string::npos);
    EXPECT_EQ(c.stream(missing).status, 404);
    EXPECT_NE(c.stream(missing).body.find("not_found"), std::string::npos);
    EXPECT_EQ(c.stream(denied).status, 401);
    ASSERT_EQ(events_of(c.stream(sse).body, "a").size(), 1u);
    EXPECT_EQ(events_of(c.stream(sse).body, "a")[0].data, "{\"x\":1}");
    EXPECT_EQ(events_of(c.stream(sse).body, "b")[0].data, "{\"x\":2}");
    EXPECT_FALSE(c.stream(sse).closed);
}

TEST(Http2, StreamWithAClosedWindowIsASlowReaderAndTheOthersGoOn) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[delivery]\nqueue_limit = \"64KiB\"\nmax_queue = "
                                   "\"256KiB\"\nslow_reader = \"disconnect\"\n"}))
        << d.error();
    H2Client c(d.port());
    ASSERT_TRUE(c.connect());
    std::vector<int32_t> fast;
    for (int i = 0; i < 5; ++i)
        fast.push_back(c.get("/api/sse?channels=news"));
    const int32_t held = c.get("/api/sse?channels=news");
    c.hold_window(held);
    ASSERT_TRUE(c.run_until(
        [&] {
            for (int32_t id : fast)
                if (!connected(c.stream(id))) return false;
            return connected(c.stream(held));
        },
        Deadline(10s)));
    HttpClient pub(d.port());
    ASSERT_TRUE(pub.connect());
    constexpr int kEvents = 300;
    const std::string pad(1000, 'p');
    for (int i = 0; i < kEvents; ++i) {
        auto r = publish(pub, "news", "update",
                         "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + pad + "\"}");
        ASSERT_TRUE(r && r->response.status == 200);
        c.pump(0);
    }
    ASSERT_TRUE(c.run_until(
        [&] {
            for (int32_t id : fast)
                if (events_of(c.stream(id).body, "update").size() < size_t(kEvents)) return false;
            return c.stream(held).closed;
        },
        Deadline(30s)))
        << c.error();
    for (int32_t id : fast)
        EXPECT_FALSE(c.stream(id).closed) << "the fast streams go on";
    EXPECT_EQ(c.stream(held).error_code, kCancel) << "the slow stream was reset";
    EXPECT_LT(events_of(c.stream(held).body, "update").size(), size_t(kEvents));
    EXPECT_FALSE(c.eof()) << "the connection stays";
    auto s = stats(d);
    ASSERT_TRUE(s);
    EXPECT_GE((*s)["slowReaderDisconnects"].as_int(), 1);
    EXPECT_GE((*s)["http2"]["streamsReset"].as_int(), 1);
}

TEST(Http2, StreamsBeyondTheConcurrencyLimitAreRefused) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[http2]\nmax_concurrent_streams = 100\n"})) << d.error();
    H2Client c(d.port());
    ASSERT_TRUE(c.connect());
    // All sent before the server's SETTINGS arrive: the client does not know the limit yet.
    std::vector<int32_t> ids;
    for (int i = 0; i < 130; ++i)
        ids.push_back(c.get("/api/sse?channels=news"));
    ASSERT_TRUE(c.run_until(
        [&] {
            for (int32_t id : ids)
                if (!connected(c.stream(id)) && !c.stream(id).closed) return false;
            return true;
        },
        Deadline(20s)))
        << c.error();
    int served = 0, refused = 0;
    for (int32_t id : ids) {
        if (connected(c.stream(id))) ++served;
        if (c.stream(id).closed && c.stream(id).error_code == kRefusedStream) ++refused;
    }
    EXPECT_EQ(served, 100);
    EXPECT_EQ(refused, 30);
    EXPECT_FALSE(c.goaway());
    expect_others_served(d);
}

TEST(Http2, HeaderListOverTheLimitIsAnswered431) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    H2Client c(d.port());
    ASSERT_TRUE(c.connect());
    const int32_t big =
        c.request("GET", "/api/sse?channels=news", {{"x-big", std::string(20000, 'b')}});
    const int32_t ok = c.get("/api/sse?channels=news");
    ASSERT_TRUE(
        c.run_until([&] { return c.stream(big).closed && connected(c.stream(ok)); }, Deadline(10s)))
        << c.error();
    EXPECT_EQ(c.stream(big).status, 431);
    EXPECT_FALSE(c.goaway());
}

TEST(Http2, RapidResetIsAnsweredWithGoaway) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[http2]\nreset_burst = 20\nreset_rate = 1\n"})) << d.error();
    H2Client c(d.port());
    ASSERT_TRUE(c.connect());
    for (int i = 0; i < 200 && !c.goaway() && !c.eof(); ++i) {
        const int32_t id = c.get("/api/sse?channels=news");
        c.pump(0);  // the HEADERS go out (a reset before them would cancel the request)
        c.reset(id);
        c.pump(0);
    }
    ASSERT_TRUE(c.run_until([&] { return c.goaway(); }, Deadline(10s))) << c.error();
    EXPECT_NE(c.goaway_error(), 0u);
    expect_others_served(d);
    auto s = stats(d);
    ASSERT_TRUE(s);
    EXPECT_GE((*s)["http2"]["connectionErrors"].as_int(), 1);
}

// Raw frames: preface, empty SETTINGS, then `attack`; the server's answer read to EOF.
std::string raw_exchange(DaemonProcess& d, const std::string& attack) {
    TcpConnection t;
    EXPECT_TRUE(t.connect(d.port(), Deadline(5s)));
    EXPECT_TRUE(t.send_all(std::string(kH2Preface) + h2_frame(4, 0, 0, "") + attack, Deadline(5s)));
    return t.read_to_eof(Deadline(10s)).bytes;
}

TEST(Http2, ContinuationFloodIsAnsweredWithGoaway) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    std::string attack = h2_frame(1, 0x1 /* END_STREAM, no END_HEADERS */, 1, "\x82");
    for (int i = 0; i < 20; ++i)
        attack += h2_frame(9, 0, 1,
                           std::string("\x00\x01"
                                       "a\x01"
                                       "b",
                                       5));
    const std::vector<RawFrame> frames = frames_of(raw_exchange(d, attack));
    EXPECT_NE(goaway_error(frames), UINT32_MAX) << "a GOAWAY";
    EXPECT_NE(goaway_error(frames), 0u) << "with an error";
    expect_others_served(d);
}

TEST(Http2, SettingsFloodIsAnsweredWithGoaway) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    std::string entries;
    for (int i = 0; i < 40; ++i)
        entries += std::string("\x00\x03\x00\x00\x00\x64", 6);
    const std::vector<RawFrame> frames = frames_of(raw_exchange(d, h2_frame(4, 0, 0, entries)));
    EXPECT_EQ(goaway_error(frames), 0xbu) << "ENHANCE_YOUR_CALM";
    expect_others_served(d);
}

TEST(Http2, AckFloodFromAClientThatDoesNotReadIsCut) {
    DaemonProcess d;
    // max_outbound_ack stays 1000: more than one read of 4 KiB holds (240
    // PINGs), so only a session that stops writing to a full connection
    // lets the acknowledgements pile up where nghttp2 counts them.
    ASSERT_TRUE(d.start({.config = "[http2]\nconnection_queue = \"16KiB\"\n"
                                   "[delivery]\nwrite_timeout = \"2s\"\n"}))
        << d.error();
    TcpConnection t;
    ASSERT_TRUE(t.connect(d.port(), Deadline(5s), 4096));
    ASSERT_TRUE(t.send_all(std::string(kH2Preface) + h2_frame(4, 0, 0, ""), Deadline(5s)));
    std::string pings;
    for (int i = 0; i < 1000; ++i)
        pings += h2_frame(6, 0, 0, std::string(8, char(i)));
    // Never reads: PING ACKs pile up until the server gives up on it.
    Deadline dl(30s);
    while (!dl.expired() && t.send_all(pings, Deadline(1s))) {
    }
    EXPECT_FALSE(dl.expired()) << "the server stopped reading and cut the connection";
    auto s = stats(d);
    ASSERT_TRUE(s);
    EXPECT_GE((*s)["http2"]["connectionErrors"].as_int(), 1);
    expect_others_served(d);
}

TEST(Http2, TurnedOffItIsRefusedWithAReason) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[http2]\nenabled = false\n"})) << d.error();
    TcpConnection t;
    ASSERT_TRUE(t.connect(d.port(), Deadline(5s)));
    ASSERT_TRUE(t.send_all(std::string(kH2Preface) + h2_frame(4, 0, 0, ""), Deadline(5s)));
    const std::string answer = t.read_to_eof(Deadline(10s)).bytes;
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << answer;
    EXPECT_NE(answer.find("[http2] enabled = false"), std::string::npos) << answer;
}

TEST(Http2, OnlyAConnectionWithoutStreamsIsIdle) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[http]\nrequest_timeout = \"300ms\"\nkeepalive_timeout = "
                                   "\"300ms\"\n[sse]\nheartbeat_interval = \"100ms\"\n"}))
        << d.error();
    H2Client c(d.port());
    ASSERT_TRUE(c.connect());
    const int32_t id = c.get("/api/sse?channels=news");
    ASSERT_TRUE(c.run_until([&] { return connected(c.stream(id)); }, Deadline(10s)));
    // Well past both timeouts, the stream (and its heartbeats) go on.
    ASSERT_TRUE(c.run_until(
        [&] { return events_of(c.stream(id).body, "heartbeat").size() >= 10 || c.goaway(); },
        Deadline(10s)));
    EXPECT_FALSE(c.goaway());
    EXPECT_FALSE(c.stream(id).closed);
    // Without a stream, the keep-alive timeout ends the connection.
    c.reset(id, 0);
    ASSERT_TRUE(c.run_until([&] { return c.goaway() && c.eof(); }, Deadline(10s))) << c.error();
    EXPECT_EQ(c.goaway_error(), 0u);
}

TEST(Http2, ReloadSendsGoawayAndOpenStreamsGoOn) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    H2Client c(d.port());
    ASSERT_TRUE(c.connect());
    const int32_t id = c.get("/api/sse?channels=news");
    ASSERT_TRUE(c.run_until([&] { return connected(c.stream(id)); }, Deadline(10s)));
    ASSERT_TRUE(d.signal(SIGHUP));
    ASSERT_TRUE(c.run_until([&] { return c.goaway(); }, Deadline(10s))) << c.error();
    EXPECT_EQ(c.goaway_error(), 0u);
    HttpClient pub(d.port());
    ASSERT_TRUE(pub.connect());
    auto r = publish(pub, "news", "after", "{}");
    ASSERT_TRUE(r && r->response.status == 200);
    ASSERT_TRUE(c.run_until([&] { return events_of(c.stream(id).body, "after").size() == 1; },
                            Deadline(10s)));
    EXPECT_FALSE(c.stream(id).closed);
}

TEST(Http2, SigtermSendsGoawayAndEndsStreamsCleanly) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    H2Client c(d.port());
    ASSERT_TRUE(c.connect());
    const int32_t a = c.get("/api/sse?channels=news"), b = c.get("/api/sse?channels=other");
    ASSERT_TRUE(c.run_until([&] { return connected(c.stream(a)) && connected(c.stream(b)); },
                            Deadline(10s)));
    ASSERT_TRUE(d.signal(SIGTERM));
    ASSERT_TRUE(c.run_until(
        [&] { return c.goaway() && c.stream(a).closed && c.stream(b).closed && c.eof(); },
        Deadline(15s)))
        << c.error();
    EXPECT_EQ(c.goaway_error(), 0u);
    EXPECT_EQ(c.stream(a).error_code, 0u) << "END_STREAM, not a reset";
    EXPECT_EQ(c.stream(b).error_code, 0u);
    EXPECT_EQ(d.wait_exit(Deadline(15s)), 0);
}

}  // namespace
}  // namespace ringcast::itest

// The lingering close over HTTP (docs/protocol.md, "Lingering close"): a request
// refused for its syntax or size while the client is still sending (a body over
// http.max_body, a target or headers over their limits, malformed bytes) gets
// its complete JSON error, then EOF, and the client's writes never fail. Before,
// the daemon closed with the rest unread, the kernel answered with a reset, the
// writes failed and the answer could be lost. A client that never stops sending
// is cut at server.lingering_bytes, one that never closes at lingering_time,
// and streams get every event meanwhile.
#include <poll.h>
#include <sys/socket.h>

#include <cstring>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

constexpr const char* kLimits = R"(
[http]
max_body = "64KiB"
max_header_bytes = "4KiB"
max_request_target = "1KiB"
)";

std::string chunked(size_t total, size_t chunk) {
    std::string out;
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk);
    for (size_t sent = 0; sent < total; sent += chunk)
        out += size_line + std::string(chunk, 'c') + "\r\n";
    return out + "0\r\n\r\n";
}

std::string header_lines(size_t total) {
    std::string out;
    for (size_t i = 0; out.size() < total; ++i)
        out += "X-Pad-" + std::to_string(i) + ": " + std::string(100, 'h') + "\r\n";
    return out;
}

struct Refusal {
    const char* name;
    std::string bytes;  // the request, and what the client goes on sending after it
    int status;
    const char* code;
};

TEST(HttpLinger, ARefusedRequestStillBeingSentGetsItsWholeAnswerThenEof) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = kLimits})) << d.error();
    constexpr size_t kMore = 4 << 20;
    const std::vector<Refusal> cases = {
        {"body over max_body, announced",
         "POST /api/publish HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(2 * kMore) +
             "\r\n\r\n" + std::string(2 * kMore, 'b'),
         413, "payload_too_large"},
        {"body over max_body, chunked",
         "POST /api/publish HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
             chunked(kMore, 16 << 10),
         413, "payload_too_large"},
        {"headers over max_header_bytes",
         "GET /api/stats HTTP/1.1\r\nHost: t\r\n" + header_lines(kMore) + "\r\n", 431,
         "headers_too_large"},
        {"target over max_request_target",
         "GET /" + std::string(kMore, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414, "uri_too_long"},
        {"malformed header",
         "GET / HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n" + std::string(kMore, 'j'), 400,
         "bad_request"},
    };
    for (const Refusal& r : cases) {
        SCOPED_TRACE(r.name);
        HttpClient c(d.port());
        ASSERT_TRUE(c.connect()) << c.error();
        // Everything goes out, none of it read by the daemon as a request.
        ASSERT_TRUE(c.send(r.bytes, Deadline(30s))) << c.error();
        auto res = c.read_response(Deadline(5s));
        ASSERT_TRUE(res) << c.error();
        EXPECT_EQ(check_json_error(*res, r.status, r.code), "");
        EXPECT_EQ(res->header("connection").value_or(""), "close");
        RecvResult rest = c.conn().read_to_eof(Deadline(5s));
        EXPECT_EQ(rest.status, IoStatus::eof) << to_string(rest.status);
        EXPECT_EQ(rest.bytes, "");
    }
}

// A client that never stops sending its over-long body is cut once it has
// sent lingering_bytes more (not at lingering_time, a minute away); a stream
// gets every event published meanwhile, each within moments.
TEST(HttpLinger, AClientThatNeverStopsSendingIsCutAtLingeringBytesStreamsFlow) {
    DaemonProcess d;
    ASSERT_TRUE(
        d.start({.shards = 2,
                 .config = std::string(kLimits) +
                           "[server]\nlingering_time = \"60s\"\nlingering_bytes = \"1MiB\"\n"}))
        << d.error();
    SseClient sub;
    ASSERT_TRUE(sub.open(d.port(), "/api/sse/stream?channels=live")) << sub.error();
    ASSERT_TRUE(sub.await_events(1, Deadline(5s))) << "no connected event";
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();

    TcpConnection flood;
    ASSERT_TRUE(flood.connect(d.port(), Deadline(5s)));
    ASSERT_TRUE(
        flood.send_all("POST /api/publish HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741824"
                       "\r\n\r\n",
                       Deadline(5s)));
    const std::string chunk(64 << 10, 'b');
    size_t sent = 0;
    size_t events = 0;
    std::string why;
    Deadline deadline(20s);
    while (why.empty() && !deadline.expired()) {
        ssize_t w = ::send(flood.fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            sent += size_t(w);
        } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
            why = std::strerror(errno);
        } else {
            pollfd p{flood.fd(), POLLOUT, 0};
            ::poll(&p, 1, deadline.poll_ms(50));
        }
        if (sent > (events + 1) * (512 << 10)) {
            ++events;
            auto r =
                publish(api, "live", "tick", std::to_string(events), std::nullopt, Deadline(2s));
            ASSERT_TRUE(r && r->response.status == 200) << api.error();
            ASSERT_TRUE(
                sub.read_until([&] { return sub.data_events().size() >= events; }, Deadline(2s)))
                << "the stream stalled at event " << events;
        }
    }
    ASSERT_FALSE(why.empty()) << "still sending after " << sent << " bytes";
    EXPECT_GE(sent, size_t(1) << 20) << "cut before lingering_bytes: " << why;
    // Loopback buffers may hold several MiB on each side before the client
    // notices; without the bound it would have sent gigabytes in that time.
    EXPECT_LT(sent, size_t(64) << 20) << "lingering_bytes not enforced";
}

// A client that reads its answer and the EOF, then holds the connection, is
// closed at lingering_time.
TEST(HttpLinger, AClientThatNeverClosesIsCutAtLingeringTime) {
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 1, .config = std::string(kLimits) + "[server]\nlingering_time = \"300ms\"\n"}))
        << d.error();
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n")) << c.error();
    auto res = c.read_response(Deadline(5s));
    ASSERT_TRUE(res) << c.error();
    EXPECT_EQ(check_json_error(*res, 400, "bad_request"), "");
    EXPECT_EQ(c.conn().read_to_eof(Deadline(5s)).status, IoStatus::eof);
    // Only the stats connection is left once the daemon let go of `c`.
    Json stats;
    EXPECT_TRUE(await_stats(
        api, [](const Json& s) { return s["sockets"].as_int() == 1; }, Deadline(5s), &stats))
        << "sockets " << stats["sockets"].as_int();
}

}  // namespace
}  // namespace ringcast::itest

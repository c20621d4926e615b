// How a publisher's connection ends (docs/protocol.md, "Framing" and "Lingering
// close"). At the client's half-close, an unterminated last line is a request
// like any other: executed, answered, line-numbered, and over publish.max_line
// still line_too_long, also when the EOF arrives while the daemon has stopped
// reading the client (backpressure). When the daemon gives up on a publisher
// that is still sending (line_too_long, forbidden), the close lingers: every
// reply arrives, then EOF, and the publisher's writes never fail; one that never
// closes, or never stops sending, is cut at server.lingering_time /
// lingering_bytes, and other publishers are served meanwhile.
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "kernel_features.h"
#include "publish_support.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

constexpr const char* kDaemonEof = "the daemon closed the connection";

// Sends `bytes` on a new connection, half-closes, and returns every reply line
// until the daemon's EOF; *end is how it ended (kDaemonEof, or the error).
std::vector<std::string> half_close(const DaemonProcess& d, std::string_view bytes,
                                    std::string* end) {
    UnixClient c;
    std::vector<std::string> lines;
    if (!c.connect(socket_path(d)) || !c.send(bytes)) {
        *end = c.error();
        return lines;
    }
    c.shutdown_write();
    c.await_close(Deadline(10s), &lines);
    *end = c.error();
    return lines;
}

// A ping of exactly `size` bytes (its req padded).
std::string ping_of_size(size_t size) {
    std::string head = "{\"op\":\"ping\",\"req\":\"";
    return head + std::string(size - head.size() - 2, 'z') + "\"}";
}

// `n` bytes of request lines that the daemon would answer, were it reading.
std::string many_pings(size_t n) {
    std::string out;
    for (size_t i = 0; out.size() < n; ++i)
        out += "{\"op\":\"ping\",\"req\":" + std::to_string(i) + "}\n";
    return out;
}

// Awaits the daemon's full close of a connection whose EOF was read: a Unix
// socket reports POLLHUP once the peer has closed both ways (asked for no
// other event, poll() sleeps until then).
bool await_hangup(int fd, const Deadline& d) {
    while (!d.expired()) {
        pollfd p{fd, 0, 0};
        if (::poll(&p, 1, d.poll_ms()) == 1 && (p.revents & (POLLHUP | POLLERR))) return true;
    }
    return false;
}

// --- the last line without a newline ------------------------------------------------

TEST(PublishHalfClose, AnUnterminatedLastLineIsARequestLikeAnyOther) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseClient sub;
    ASSERT_TRUE(sub.open(d.port(), "/api/sse/stream?channels=news")) << sub.error();
    ASSERT_TRUE(sub.await_events(1, Deadline(5s))) << "no connected event";
    std::string end;

    // printf '{"op":"publish","req":1,...}' | socat - UNIX-CONNECT:...
    auto lines = half_close(d, publish_line("1", "news", "x", "1"), &end);
    EXPECT_EQ(end, kDaemonEof);
    ASSERT_EQ(lines.size(), 1u);
    Json j = parse_reply(lines[0]);
    EXPECT_TRUE(j["ok"].as_bool()) << lines[0];
    EXPECT_EQ(j["req"].as_int(), 1) << lines[0];
    EXPECT_EQ(j["sent"].as_int(), 1) << lines[0];

    // Without req, after other lines, and a "\r" as before a "\n": published
    // silently; only the ping is answered.
    lines = half_close(
        d, "{\"op\":\"ping\",\"req\":\"p\"}\n\n" + publish_line("", "news", "y", "2") + "\r", &end);
    EXPECT_EQ(end, kDaemonEof);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(is_reply_to(lines[0], "\"p\"")) << lines[0];

    // A batch.
    lines = half_close(d,
                       R"({"op":"publish","req":"b","messages":[)"
                       R"({"channel":"news","event":"z","data":3},)"
                       R"({"channel":"news","event":"z","data":4}]})",
                       &end);
    EXPECT_EQ(end, kDaemonEof);
    ASSERT_EQ(lines.size(), 1u);
    j = parse_reply(lines[0]);
    EXPECT_TRUE(j["ok"].as_bool()) << lines[0];
    EXPECT_EQ(j["sent"].as_int(), 2) << lines[0];
    EXPECT_EQ(j["results"].size(), 2u) << lines[0];

    // Failures are answered with the line's number, as for a terminated line:
    // one that is not JSON (line 3), a message without data (line 2, no req).
    lines = half_close(d, "{\"op\":\"ping\",\"req\":1}\n\n{\"op\":\"ping\"", &end);
    EXPECT_EQ(end, kDaemonEof);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(check_error_reply(lines[1], "", "invalid_json", 3), "");
    lines = half_close(d, "\n{\"op\":\"publish\",\"channel\":\"news\",\"event\":\"e\"}", &end);
    EXPECT_EQ(end, kDaemonEof);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(check_error_reply(lines[0], "", "invalid_field", 2), "");

    // The stream got the four events, then a fence: nothing else was published.
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    ASSERT_TRUE(ask(c, publish_line("\"fence\"", "news", "fence", "5"))["ok"].as_bool());
    ASSERT_TRUE(sub.read_until([&] { return sub.data_events().size() >= 5; }, Deadline(5s)));
    std::vector<std::string> got;
    for (const SseEvent& e : sub.data_events())
        got.push_back(e.type + ":" + e.data);
    EXPECT_EQ(got, (std::vector<std::string>{"x:1", "y:2", "z:3", "z:4", "fence:5"}));
}

TEST(PublishHalfClose, AnUnterminatedLastLineIsHeldToMaxLine) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = "[publish]\nmax_line = \"1KiB\"\n"})) << d.error();
    std::string end;
    auto lines = half_close(d, ping_of_size(1024), &end);
    EXPECT_EQ(end, kDaemonEof);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(parse_reply(lines[0])["ok"].as_bool()) << lines[0].substr(0, 100);

    lines = half_close(d, "{\"op\":\"ping\",\"req\":1}\n" + ping_of_size(1025), &end);
    EXPECT_EQ(end, kDaemonEof);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_TRUE(is_reply_to(lines[0], "1,")) << lines[0];
    EXPECT_EQ(check_error_reply(lines[1], "", "line_too_long", 2), "");
}

// The client sends everything and half-closes before reading a reply, and its
// requests get more reply bytes than the socket holds (unknown_op errors are
// seven times their request): the daemon stops reading it, holding the last
// line, and the EOF, until the client reads. The last line is still answered
// (or, without req, executed).
TEST(PublishHalfClose, AnUnterminatedLastLineIsServedWhenTheEofMeetsBackpressure) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = "[publish]\nmax_reply_backlog = \"4KiB\"\n"}))
        << d.error();
    SseClient sub;
    ASSERT_TRUE(sub.open(d.port(), "/api/sse/stream?channels=bp")) << sub.error();
    ASSERT_TRUE(sub.await_events(1, Deadline(5s))) << "no connected event";
    constexpr size_t kRequests = 4000;  // 80 KB of requests, 600 KB of replies
    for (bool with_req : {true, false}) {
        SCOPED_TRACE(with_req ? "with req" : "without req");
        std::string out;
        for (size_t i = 0; i < kRequests; ++i)
            out += "{\"op\":\"x\",\"req\":" + std::to_string(i) + "}\n";
        out += publish_line(with_req ? "\"last\"" : "", "bp", "e", with_req ? "1" : "2");
        UnixClient c;
        ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
        ASSERT_TRUE(c.send(out)) << c.error();
        c.shutdown_write();
        std::vector<std::string> lines;
        ASSERT_TRUE(c.await_close(Deadline(20s), &lines)) << c.error();
        EXPECT_EQ(c.error(), kDaemonEof);
        ASSERT_EQ(lines.size(), kRequests + (with_req ? 1 : 0));
        for (size_t i = 0; i < kRequests; ++i)
            ASSERT_EQ(check_error_reply(lines[i], std::to_string(i), "unknown_op"), "");
        if (with_req) {
            Json j = parse_reply(lines.back());
            EXPECT_TRUE(is_reply_to(lines.back(), "\"last\"")) << lines.back();
            EXPECT_TRUE(j["ok"].as_bool()) << lines.back();
        }
    }
    ASSERT_TRUE(sub.read_until([&] { return sub.data_events().size() >= 2; }, Deadline(5s)));
    EXPECT_EQ(sub.data_events()[0].data, "1");
    EXPECT_EQ(sub.data_events()[1].data, "2");
}

// --- lingering close -----------------------------------------------------------------

// The issue's publisher: an over-long line, then 4 MiB more without reading.
// Before, the daemon closed with those bytes unread: the writes failed with
// EPIPE and the read ended in ECONNRESET.
TEST(PublishLinger, AfterLineTooLongEveryReplyThenEofAndNoWriteFails) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = "[publish]\nmax_line = \"1KiB\"\n"})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    std::string out = "{\"op\":\"ping\",\"req\":1}\n{\"op\":\"ping\",\"req\":2}\n" +
                      ping_of_size(2000) + "\n" + many_pings(4 << 20);
    ASSERT_TRUE(c.send(out, Deadline(30s))) << c.error();
    std::vector<std::string> lines;
    ASSERT_TRUE(c.await_close(Deadline(5s), &lines)) << c.error();
    EXPECT_EQ(c.error(), kDaemonEof);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_TRUE(is_reply_to(lines[0], "1,")) << lines[0];
    EXPECT_TRUE(is_reply_to(lines[1], "2,")) << lines[1];
    EXPECT_EQ(check_error_reply(lines[2], "", "line_too_long", 3), "");
    // The daemon closes its side once we close ours, and serves others.
    c.close();
    UnixClient other;
    ASSERT_TRUE(other.connect(socket_path(d))) << other.error();
    EXPECT_TRUE(ask(other, R"({"op":"ping","req":1})")["ok"].as_bool()) << other.error();
}

TEST(PublishLinger, AForbiddenPeerReadsItsRefusalThenEofAndNoWriteFails) {
    SKIP_WITHOUT_PEER_CREDENTIALS();
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = "[publish]\nallow_uids = [4242]\n"})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    ASSERT_TRUE(c.send(many_pings(4 << 20), Deadline(30s))) << c.error();
    std::vector<std::string> lines;
    ASSERT_TRUE(c.await_close(Deadline(5s), &lines)) << c.error();
    EXPECT_EQ(c.error(), kDaemonEof);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(parse_reply(lines[0])["error"]["code"].as_string(), "forbidden") << lines[0];
}

// A publisher that reads its line_too_long and EOF but never closes is cut at
// server.lingering_time; another is served meanwhile.
TEST(PublishLinger, APeerThatNeverClosesIsCutAtLingeringTime) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1,
                         .config = "[server]\nlingering_time = \"400ms\"\n"
                                   "[publish]\nmax_line = \"1KiB\"\n"}))
        << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    ASSERT_TRUE(c.send(ping_of_size(2000) + "\n")) << c.error();
    std::vector<std::string> lines;
    ASSERT_TRUE(c.await_close(Deadline(5s), &lines)) << c.error();
    const auto eof_at = Clock::now();
    EXPECT_EQ(c.error(), kDaemonEof);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(check_error_reply(lines[0], "", "line_too_long", 1), "");

    UnixClient other;
    ASSERT_TRUE(other.connect(socket_path(d))) << other.error();
    EXPECT_TRUE(ask(other, R"({"op":"ping","req":1})")["ok"].as_bool()) << other.error();

    ASSERT_TRUE(await_hangup(c.fd(), Deadline(5s))) << "the lingering connection was never closed";
    const int64_t lingered = ms_since(eof_at);
    EXPECT_GE(lingered, 300) << "closed before lingering_time";
    EXPECT_TRUE(ask(other, R"({"op":"ping","req":2})")["ok"].as_bool()) << other.error();
}

// One that never stops sending is cut once it has sent lingering_bytes more
// (long before lingering_time); another publisher is answered throughout.
TEST(PublishLinger, APeerThatNeverStopsSendingIsCutAtLingeringBytes) {
    DaemonProcess d;
    ASSERT_TRUE(
        d.start({.shards = 1,
                 .config = "[server]\nlingering_time = \"60s\"\nlingering_bytes = \"1MiB\"\n"
                           "[publish]\nmax_line = \"1KiB\"\n"}))
        << d.error();
    UnixClient other;
    ASSERT_TRUE(other.connect(socket_path(d))) << other.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    ASSERT_TRUE(c.send(ping_of_size(2000) + "\n")) << c.error();

    const std::string chunk = many_pings(64 << 10);
    size_t sent_after = 0;
    int pings = 0;
    std::string why;
    Deadline deadline(15s);
    while (why.empty() && !deadline.expired()) {
        ssize_t w = ::send(c.fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            sent_after += size_t(w);
        } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
            why = std::strerror(errno);
        } else {
            pollfd p{c.fd(), POLLOUT, 0};
            ::poll(&p, 1, deadline.poll_ms(50));
        }
        if (sent_after > size_t(pings + 1) * (256 << 10)) {
            ++pings;  // every 256 KiB, another publisher's round trip
            ASSERT_TRUE(ask(other, "{\"op\":\"ping\",\"req\":" + std::to_string(pings) + "}",
                            Deadline(2s))["ok"]
                            .as_bool())
                << "another publisher stalled: " << other.error();
        }
    }
    ASSERT_FALSE(why.empty()) << "still writing after " << sent_after << " bytes";
    EXPECT_GE(sent_after, size_t(1) << 20) << "cut before lingering_bytes: " << why;
    EXPECT_LT(sent_after, size_t(4) << 20) << "lingering_bytes not enforced";
}

}  // namespace
}  // namespace ringcast::itest

// The Client's state machine against a scripted peer on a real Unix socket:
// connect errors, pipelining in order, a pipeline far larger than the socket
// buffers (no deadlock), fire-and-forget failures, a refused or lost connection,
// timeouts and unreadable replies. The real daemon is exercised in
// tests/integration/cli_tool_test.cc.
#include "ringcast/client.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace ringcast::client {
namespace {

using namespace std::chrono_literals;

class TempDir {
public:
    TempDir() {
        std::string tmpl = "/tmp/ringcast-client-XXXXXX";
        if (char* p = mkdtemp(tmpl.data())) _path = p;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(_path, ec);
    }
    const std::string& path() const { return _path; }

private:
    std::string _path;
};

int unix_listener(const std::string& path, bool listen_too) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return -1;
    if (listen_too && ::listen(fd, 16) != 0) return -1;
    return fd;
}

// Blocking line reads on the peer's side.
class PeerConn {
public:
    explicit PeerConn(int fd) : _fd(fd) {}
    // The next request line, without "\n"; false at EOF.
    bool read_line(std::string* line) {
        for (;;) {
            size_t nl = _buf.find('\n');
            if (nl != std::string::npos) {
                line->assign(_buf, 0, nl);
                _buf.erase(0, nl + 1);
                return true;
            }
            char b[65536];
            ssize_t n = ::read(_fd, b, sizeof b);
            if (n <= 0) return false;
            _buf.append(b, size_t(n));
        }
    }
    bool write(std::string_view s) {
        while (!s.empty()) {
            ssize_t n = ::send(_fd, s.data(), s.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            s.remove_prefix(size_t(n));
        }
        return true;
    }
    // "req":N of a request line (0 if none).
    static uint64_t req_of(const std::string& line) {
        size_t at = line.find("\"req\":");
        return at == std::string::npos ? 0 : std::strtoull(line.c_str() + at + 6, nullptr, 10);
    }

private:
    int _fd;
    std::string _buf;
};

// A scripted daemon: accepts one connection and runs `script` on it.
class FakeDaemon {
public:
    explicit FakeDaemon(std::function<void(PeerConn&)> script) {
        _path = _dir.path() + "/fake.sock";
        _listen_fd = unix_listener(_path, true);
        _thread = std::thread([this, script = std::move(script)] {
            int fd = ::accept(_listen_fd, nullptr, nullptr);
            if (fd < 0) return;
            PeerConn c(fd);
            script(c);
            ::close(fd);
        });
    }
    ~FakeDaemon() {
        ::shutdown(_listen_fd, SHUT_RDWR);
        _thread.join();
        ::close(_listen_fd);
    }
    const std::string& path() const { return _path; }

private:
    TempDir _dir;
    std::string _path;
    int _listen_fd = -1;
    std::thread _thread;
};

std::string ok_publish(uint64_t req) {
    return "{\"req\":" + std::to_string(req) + ",\"ok\":true,\"id\":\"" + std::to_string(req) +
           "\",\"sent\":1,\"failed\":0}\n";
}

Message message(std::string channel = "news") {
    Message m;
    m.channel = std::move(channel);
    m.event = "update";
    m.data = "{\"n\":1}";
    return m;
}

TEST(Client, ConnectErrorsSayWhichPathAndWhy) {
    TempDir dir;
    Client c;
    std::string missing = dir.path() + "/missing.sock";
    EXPECT_FALSE(c.connect(missing));
    EXPECT_EQ(c.error_number(), ENOENT);
    EXPECT_NE(c.error().find(missing), std::string::npos) << c.error();
    EXPECT_NE(c.error().find("no such socket"), std::string::npos) << c.error();

    // A socket file nobody listens on: what a daemon that stopped leaves behind.
    std::string stale = dir.path() + "/stale.sock";
    int fd = unix_listener(stale, false);
    ASSERT_GE(fd, 0);
    EXPECT_FALSE(c.connect(stale));
    EXPECT_EQ(c.error_number(), ECONNREFUSED);
    EXPECT_NE(c.error().find("refused"), std::string::npos) << c.error();
    ::close(fd);

    std::string file = dir.path() + "/plain";
    std::ofstream(file) << "x";
    EXPECT_FALSE(c.connect(file));
    EXPECT_NE(c.error().find("not a socket"), std::string::npos) << c.error();

    EXPECT_FALSE(c.connect(dir.path() + "/" + std::string(200, 'x')));
    EXPECT_EQ(c.error_number(), ENAMETOOLONG);
    EXPECT_FALSE(c.connected());
}

TEST(Client, RequestsWithoutAConnectionFailWithoutBlocking) {
    Client c;
    Result r = c.ping();
    EXPECT_FALSE(r.answered);
    EXPECT_EQ(r.code, errc::not_connected);
    c.send_publish(message());
    c.send_stats();
    EXPECT_FALSE(c.flush());
    EXPECT_EQ(c.outstanding(), 2u);
    EXPECT_EQ(c.receive().code, errc::not_connected);
    EXPECT_EQ(c.receive().code, errc::not_connected);
    Result none;
    EXPECT_FALSE(c.receive(none)) << "nothing outstanding";
}

TEST(Client, PipelinedRepliesComeBackInOrder) {
    constexpr uint64_t kN = 20000;
    FakeDaemon d([](PeerConn& c) {
        std::string line, out;
        while (c.read_line(&line)) {
            out += ok_publish(PeerConn::req_of(line));
            if (out.size() > 8192) {
                c.write(out);
                out.clear();
            }
            if (PeerConn::req_of(line) == kN) break;
        }
        c.write(out);
    });
    Client c;
    ASSERT_TRUE(c.connect(d.path())) << c.error();
    Message m = message();
    for (uint64_t i = 0; i < kN; ++i)
        c.send_publish(m);
    EXPECT_EQ(c.outstanding(), kN);
    ASSERT_TRUE(c.flush()) << c.error();
    EXPECT_EQ(c.unflushed(), 0u);
    Result r;
    for (uint64_t i = 1; i <= kN; ++i) {
        ASSERT_TRUE(c.receive(r));
        ASSERT_TRUE(r.ok) << i << ": " << r.code << " " << r.message;
        ASSERT_EQ(r.id, std::to_string(i));
        ASSERT_EQ(r.sent, 1u);
    }
    EXPECT_EQ(c.outstanding(), 0u);
}

// The daemon stops reading a client whose replies pile up unread. Writing a
// pipeline much larger than the socket buffers must read those replies while it
// writes, or both sides would wait forever.
TEST(Client, LongPipelineWithLargeRepliesDoesNotDeadlock) {
    constexpr uint64_t kN = 6000;
    const std::string pad(4000, 'p');
    FakeDaemon d([&](PeerConn& c) {
        std::string line;
        while (c.read_line(&line)) {
            uint64_t req = PeerConn::req_of(line);
            // A blocking write per request: this peer reads nothing more until
            // the client has read the reply.
            if (!c.write("{\"req\":" + std::to_string(req) + ",\"ok\":true,\"stats\":{\"pad\":\"" +
                         pad + "\"}}\n"))
                break;
            if (req == kN) break;
        }
    });
    Client c(ClientOptions{.timeout = 20s});
    ASSERT_TRUE(c.connect(d.path())) << c.error();
    for (uint64_t i = 0; i < kN; ++i)
        c.send_stats();
    ASSERT_TRUE(c.flush()) << c.error();
    Result r;
    for (uint64_t i = 1; i <= kN; ++i) {
        ASSERT_TRUE(c.receive(r));
        ASSERT_TRUE(r.ok) << i << ": " << r.code << " " << r.message;
        ASSERT_EQ(r.json.size(), pad.size() + 10);
    }
}

// wait_readable() writes what is queued while it waits, says true as soon as a
// reply can be received, false when the time runs out, and true at the end of
// the connection (receive() then reports the loss without blocking).
TEST(Client, WaitReadableWritesWhileWaitingAndReportsRepliesAndTheEnd) {
    std::atomic<bool> answer{false};
    FakeDaemon d([&](PeerConn& c) {
        std::string line;
        if (!c.read_line(&line)) return;
        while (!answer.load())
            std::this_thread::yield();
        c.write(ok_publish(PeerConn::req_of(line)));
        c.read_line(&line);  // the second request is never answered: the peer hangs up
    });
    Client c;
    ASSERT_TRUE(c.connect(d.path())) << c.error();
    c.send_publish(message());
    EXPECT_FALSE(c.wait_readable(50ms)) << "nothing answered yet";
    EXPECT_EQ(c.unflushed(), 0u) << "the request was written while waiting";
    answer = true;
    ASSERT_TRUE(c.wait_readable(10s));
    Result r;
    ASSERT_TRUE(c.receive(r));
    EXPECT_TRUE(r.ok) << r.code << " " << r.message;
    c.send_publish(message());
    ASSERT_TRUE(c.wait_readable(10s)) << "the end of the connection is readable";
    ASSERT_TRUE(c.receive(r));
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.answered);
}

TEST(Client, FireAndForgetFailuresAreCollectedByLine) {
    FakeDaemon d([](PeerConn& c) {
        std::string line;
        uint64_t n = 0;
        while (c.read_line(&line)) {
            ++n;
            uint64_t req = PeerConn::req_of(line);
            if (line.find("\"bad\"") != std::string::npos)
                c.write("{\"ok\":false,\"line\":" + std::to_string(n) +
                        ",\"error\":{\"code\":\"invalid_field\",\"message\":\"no\"}}\n");
            if (req)
                c.write("{\"req\":" + std::to_string(req) + ",\"ok\":true,\"version\":\"t\"}\n");
            if (line.find("\"ping\"") != std::string::npos) break;
        }
    });
    Client c;
    ASSERT_TRUE(c.connect(d.path())) << c.error();
    EXPECT_EQ(c.post(message()), 1u);
    uint64_t bad1 = c.post(message("bad"));
    c.post(message());
    std::vector<Message> batch = {message("bad")};
    uint64_t bad2 = c.post_batch(batch);
    EXPECT_EQ(bad1, 2u);
    EXPECT_EQ(bad2, 4u);
    EXPECT_EQ(c.outstanding(), 0u) << "fire-and-forget awaits nothing";
    ASSERT_TRUE(c.sync());
    std::vector<LineError> errors = c.take_line_errors();
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].line, bad1);
    EXPECT_EQ(errors[1].line, bad2);
    EXPECT_EQ(errors[0].code, "invalid_field");
    EXPECT_TRUE(c.take_line_errors().empty());
}

// A line the daemon cannot parse has no readable req: its failure names the
// line, and is the answer of the request written on it.
TEST(Client, UnreadableRequestLineIsAnsweredByItsLineNumber) {
    FakeDaemon d([](PeerConn& c) {
        std::string line;
        uint64_t n = 0;
        while (c.read_line(&line)) {
            ++n;
            if (line.find("oops") != std::string::npos)
                c.write("{\"ok\":false,\"line\":" + std::to_string(n) +
                        ",\"error\":{\"code\":\"invalid_json\",\"message\":\"bad\"}}\n");
            else
                c.write(ok_publish(PeerConn::req_of(line)));
        }
    });
    Client c;
    ASSERT_TRUE(c.connect(d.path())) << c.error();
    Message broken = message();
    broken.data = "{oops";
    c.send_publish(message());
    c.send_publish(broken);
    c.send_publish(message());
    EXPECT_TRUE(c.receive().ok);
    Result r = c.receive();
    EXPECT_TRUE(r.answered);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.code, "invalid_json");
    Result third = c.receive();
    EXPECT_TRUE(third.ok) << third.code << " " << third.message;
    EXPECT_EQ(third.id, "3");
    EXPECT_TRUE(c.take_line_errors().empty()) << "it was an answer, not a fire-and-forget failure";
}

TEST(Client, RefusedConnectionReportsTheDaemonsVerdictThenTheLoss) {
    FakeDaemon d([](PeerConn& c) {
        c.write(
            "{\"ok\":false,\"error\":{\"code\":\"forbidden\",\"message\":\"uid 1 is not "
            "allowed\"}}\n");
    });
    Client c;
    ASSERT_TRUE(c.connect(d.path())) << c.error();
    c.send_publish(message());
    c.send_publish(message());
    c.flush();  // may fail with EPIPE: the verdict still arrives
    Result first = c.receive();
    EXPECT_TRUE(first.answered);
    EXPECT_FALSE(first.ok);
    EXPECT_EQ(first.code, "forbidden");
    Result second = c.receive();
    EXPECT_FALSE(second.answered);
    EXPECT_EQ(second.code, errc::connection_lost);
    EXPECT_FALSE(c.connected());
}

TEST(Client, LostConnectionFailsEveryOutstandingRequest) {
    FakeDaemon d([](PeerConn& c) {
        std::string line;
        for (int i = 0; i < 2 && c.read_line(&line); ++i)
            c.write(ok_publish(PeerConn::req_of(line)));
    });
    Client c;
    ASSERT_TRUE(c.connect(d.path())) << c.error();
    for (int i = 0; i < 5; ++i)
        c.send_publish(message());
    c.flush();
    EXPECT_TRUE(c.receive().ok);
    EXPECT_TRUE(c.receive().ok);
    for (int i = 0; i < 3; ++i) {
        Result r = c.receive();
        EXPECT_FALSE(r.answered);
        EXPECT_EQ(r.code, errc::connection_lost);
        EXPECT_NE(r.message.find(d.path()), std::string::npos) << r.message;
    }
    EXPECT_NE(c.error().find(d.path()), std::string::npos) << c.error();
}

TEST(Client, SilentDaemonTimesOut) {
    FakeDaemon d([](PeerConn& c) {
        std::string line;
        while (c.read_line(&line)) {
        }
    });
    Client c(ClientOptions{.timeout = 200ms});
    ASSERT_TRUE(c.connect(d.path())) << c.error();
    auto start = std::chrono::steady_clock::now();
    c.send_ping();
    c.send_ping();
    Result r = c.receive();
    EXPECT_FALSE(r.answered);
    EXPECT_EQ(r.code, errc::timeout);
    EXPECT_EQ(c.receive().code, errc::timeout) << "the rest fail the same way, at once";
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_FALSE(c.connected()) << "a late reply could no longer be matched";
}

TEST(Client, UnreadableOrMismatchedReplyBreaksTheConnection) {
    for (std::string reply :
         {"this is not json\n", "{\"req\":99,\"ok\":true,\"version\":\"x\"}\n"}) {
        FakeDaemon d([reply](PeerConn& c) {
            std::string line;
            if (c.read_line(&line)) c.write(reply);
            while (c.read_line(&line)) {
            }
        });
        Client c;
        ASSERT_TRUE(c.connect(d.path())) << c.error();
        c.send_ping();
        c.send_ping();
        Result r = c.receive();
        EXPECT_FALSE(r.answered) << reply;
        EXPECT_EQ(r.code, errc::bad_reply) << reply;
        EXPECT_FALSE(r.message.empty());
        EXPECT_EQ(c.receive().code, errc::bad_reply);
        EXPECT_FALSE(c.connected());
    }
}

TEST(Client, SynchronousCallsRefuseWhilePipelinedRepliesAreOutstanding) {
    FakeDaemon d([](PeerConn& c) {
        std::string line;
        while (c.read_line(&line))
            c.write("{\"req\":" + std::to_string(PeerConn::req_of(line)) +
                    ",\"ok\":true,\"version\":\"v\",\"time\":5}\n");
    });
    Client c;
    ASSERT_TRUE(c.connect(d.path())) << c.error();
    c.send_ping();
    Result busy = c.publish(message());
    EXPECT_EQ(busy.code, errc::busy);
    EXPECT_EQ(c.outstanding(), 1u) << "the refused call queued nothing";
    EXPECT_TRUE(c.receive().ok);
    Result p = c.ping();
    EXPECT_TRUE(p.ok);
    EXPECT_EQ(p.version, "v");
    EXPECT_EQ(p.time_ms, 5);

    // A moved client keeps the connection.
    Client moved = std::move(c);
    EXPECT_TRUE(moved.connected());
    EXPECT_FALSE(c.connected());
    EXPECT_TRUE(moved.ping().ok);
}

}  // namespace
}  // namespace ringcast::client

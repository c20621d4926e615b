// Socket activation: Debian's systemd-socket-activate binds the HTTP listener
// and the publishing socket, names them "http" and "publish" (--fdname), and
// starts ringcastd on the first connection with LISTEN_FDS, as systemd does
// with ringcast.socket and ringcast-publish.socket. Clients that connect
// before the daemon is up are served once it is; sockets with other names or
// of the wrong kind stop the start with a message that names them.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "child_process.h"
#include "daemon_process.h"
#include "http_client.h"
#include "sse_client.h"
#include "tcp.h"
#include "tls_support.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

constexpr const char* kActivate = "/usr/bin/systemd-socket-activate";

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// ringcastd under systemd-socket-activate, with its own NOTIFY_SOCKET.
class ActivatedDaemon {
public:
    ~ActivatedDaemon() {
        if (_child.pid > 0 && !_exit) {
            ::kill(_child.pid, SIGKILL);
            await_exit(_child.pid, _child.pidfd, Deadline(10s));
        }
        if (_child.pidfd >= 0) ::close(_child.pidfd);
        if (_notify >= 0) ::close(_notify);
        if (::testing::Test::HasFailure())
            std::fprintf(stderr, "---- systemd-socket-activate + ringcastd log ----\n%s----\n",
                         log().c_str());
    }

    // Starts the activator listening on `listen` (its -l arguments) with the
    // names `fdnames` (--fdname), ringcastd with `args` behind it.
    // `config`: the configuration file's text (the test API key is added).
    bool spawn(const std::vector<std::string>& listen, const std::string& fdnames,
               const std::vector<std::string>& args, std::string* error,
               const std::string& config = "") {
        std::string notify_path = _dir.path() + "/notify.sock";
        _notify = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::memcpy(sa.sun_path, notify_path.c_str(), notify_path.size() + 1);
        if (::bind(_notify, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            *error = std::string("notify socket: ") + std::strerror(errno);
            return false;
        }
        std::vector<std::string> argv;
        for (const std::string& l : listen)
            argv.insert(argv.end(), {"-l", l});
        argv.push_back("--fdname=" + fdnames);
        // The activator passes only what -E names to the program.
        argv.insert(argv.end(), {"-E", "NOTIFY_SOCKET=" + notify_path, ringcastd_path(),
                                 "--data-dir", _dir.path() + "/data", "--config",
                                 _dir.write("ringcast.toml", with_test_api_key(config))});
        argv.insert(argv.end(), args.begin(), args.end());
        SpawnOptions o;
        o.out_path = _dir.path() + "/stdout.log";
        o.err_path = _dir.path() + "/stderr.log";
        o.drop_env = {"NOTIFY_SOCKET=", "LISTEN_", "RINGCAST_MAKE_RUN="};
        _child = spawn_child(kActivate, argv, o, error);
        if (_child.pid < 0 || _child.pidfd < 0) return false;
        // It says "Listening on ADDR as FD." for each socket once it is bound;
        // it has no other signal to wait for, so its log is read until then.
        Deadline d(10s);
        for (;;) {
            std::string log = read_file(o.err_path);
            size_t said = 0;
            for (size_t at = 0; (at = log.find("Listening on ", at)) != std::string::npos; ++at)
                ++said;
            if (said >= listen.size()) return true;
            pollfd p{_child.pidfd, POLLIN, 0};
            if (d.expired() || ::poll(&p, 1, 10) > 0) break;  // its deadline, or it exited
        }
        *error = "systemd-socket-activate did not listen:\n" + log();
        return false;
    }

    // The STATUS of READY=1, or "" if the daemon exited or sent none by the deadline.
    std::string await_ready(const Deadline& d) {
        while (!d.expired()) {
            pollfd p[2] = {{_notify, POLLIN, 0}, {_child.pidfd, POLLIN, 0}};
            if (::poll(p, 2, d.poll_ms()) <= 0) continue;
            if (p[1].revents & POLLIN) return {};
            char buf[4096];
            ssize_t n = ::recv(_notify, buf, sizeof buf - 1, 0);
            if (n <= 0) continue;
            std::string msg(buf, size_t(n));
            if (msg.find("READY=1") == std::string::npos) continue;
            size_t at = msg.find("STATUS=");
            return at == std::string::npos ? "?" : msg.substr(at + 7, msg.find('\n', at) - at - 7);
        }
        return {};
    }

    std::optional<int> stop() {
        ::kill(_child.pid, SIGTERM);
        return wait_exit(Deadline(15s));
    }
    std::optional<int> wait_exit(const Deadline& d) {
        if (!_exit) _exit = await_exit(_child.pid, _child.pidfd, d);
        return _exit;
    }
    std::string log() const {
        return read_file(_dir.path() + "/stdout.log") + read_file(_dir.path() + "/stderr.log");
    }
    const TempDir& dir() const { return _dir; }

private:
    TempDir _dir;
    Child _child;
    int _notify = -1;
    std::optional<int> _exit;
};

class SocketActivation : public ::testing::Test {
protected:
    void SetUp() override {
        if (access(kActivate, X_OK) != 0)
            GTEST_SKIP() << kActivate << " is missing (Debian package systemd: make deps)";
    }
};

TEST_F(SocketActivation, ServesClientsThatConnectedBeforeTheDaemonStarted) {
    for (const char* accept : {"handoff", "reuseport"}) {
        SCOPED_TRACE(accept);
        ActivatedDaemon d;
        const uint16_t port = free_port();
        ASSERT_NE(port, 0);
        const std::string sock = d.dir().path() + "/publish.sock";
        std::string error;
        ASSERT_TRUE(d.spawn({"127.0.0.1:" + std::to_string(port), sock}, "http:publish",
                            {"--shards", "2", "--accept", accept}, &error))
            << error;

        // The activator starts ringcastd on the first connection; these two
        // wait in the sockets' backlogs meanwhile.
        UnixClient backend;
        ASSERT_TRUE(backend.connect(sock, Deadline(10s))) << backend.error();
        ASSERT_TRUE(backend.send("{\"op\":\"ping\",\"req\":1}\n")) << backend.error();
        HttpClient early(port);
        ASSERT_TRUE(early.connect()) << early.error();
        ASSERT_TRUE(early.send(
            build_request("GET", "/api/stats", {}, {{"X-API-Key", std::string(kTestApiKey)}})));

        const std::string status = d.await_ready(Deadline(15s));
        ASSERT_EQ(status, "listening on 127.0.0.1:" + std::to_string(port)) << d.log();
        auto pong = backend.read_line();
        ASSERT_TRUE(pong) << backend.error();
        EXPECT_NE(pong->find("\"ok\":true"), std::string::npos) << *pong;
        auto stats = early.read_response();
        ASSERT_TRUE(stats) << early.error();
        EXPECT_EQ(stats->status, 200) << stats->describe();

        // After: streams open on the passed listener, events published on the
        // passed publishing socket reach them, whichever shard holds them.
        std::vector<std::unique_ptr<SseClient>> streams;
        for (int i = 0; i < 4; ++i) {
            streams.push_back(std::make_unique<SseClient>());
            ASSERT_TRUE(streams.back()->open(port, "/api/sse/stream?channels=news"))
                << streams.back()->error();
            ASSERT_EQ(streams.back()->status(), 200);
        }
        auto sent = backend.request(
            R"({"op":"publish","req":2,"channel":"news","event":"hello","data":{"n":1}})");
        ASSERT_TRUE(sent) << backend.error();
        EXPECT_NE(sent->find("\"sent\":4"), std::string::npos) << *sent;
        for (auto& s : streams)
            EXPECT_TRUE(s->read_until(
                [&] {
                    for (const auto& e : s->data_events())
                        if (e.type == "hello") return true;
                    return false;
                },
                Deadline(kIoTimeout)));
        EXPECT_NE(d.log().find("socket activation: HTTP on the socket systemd passed"),
                  std::string::npos);
        if (std::string(accept) == "reuseport") {
            EXPECT_NE(d.log().find("connections spread by handoff"), std::string::npos);
        }

        streams.clear();
        backend.close();
        auto code = d.stop();
        ASSERT_TRUE(code) << "did not stop on SIGTERM";
        EXPECT_EQ(*code, 0);
        // The socket file is the activator's (systemd's): the daemon leaves it.
        struct stat st;
        EXPECT_EQ(::stat(sock.c_str(), &st), 0) << "the daemon removed " << sock;
    }
}

TEST_F(SocketActivation, OnlyTheHttpListenerPassedTheDaemonBindsItsSocket) {
    ActivatedDaemon d;
    const uint16_t port = free_port();
    ASSERT_NE(port, 0);
    const std::string sock = d.dir().path() + "/own.sock";
    std::string error;
    ASSERT_TRUE(d.spawn({"127.0.0.1:" + std::to_string(port)}, "http", {"--unix", sock}, &error))
        << error;
    HttpClient early(port);
    ASSERT_TRUE(early.connect(Deadline(10s))) << early.error();
    ASSERT_TRUE(early.send(build_request("GET", "/api/ping")));
    ASSERT_EQ(d.await_ready(Deadline(15s)), "listening on 127.0.0.1:" + std::to_string(port))
        << d.log();
    auto r = early.read_response();
    ASSERT_TRUE(r) << early.error();
    EXPECT_LT(r->status, 500) << r->describe();
    UnixClient backend;
    ASSERT_TRUE(backend.connect(sock)) << backend.error();
    auto pong = backend.request(R"({"op":"ping","req":1})");
    ASSERT_TRUE(pong) << backend.error();
    EXPECT_NE(pong->find("\"ok\":true"), std::string::npos) << *pong;
    backend.close();
    auto code = d.stop();
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0);
    struct stat st;
    EXPECT_NE(::stat(sock.c_str(), &st), 0) << "the daemon's own socket file is left behind";
}

// The HTTPS listener passed as "https": its address replaces tls.listen, and a
// TLS client that connected before the daemon started is served.
TEST_F(SocketActivation, TheHttpsSocketServesTlsClientsThatCameEarly) {
    ActivatedDaemon d;
    TestPkiFiles pki(d.dir());
    const uint16_t port = free_port(), tls_port = free_port();
    ASSERT_TRUE(port != 0 && tls_port != 0 && port != tls_port);
    std::string error;
    ASSERT_TRUE(
        d.spawn({"127.0.0.1:" + std::to_string(port), "127.0.0.1:" + std::to_string(tls_port)},
                "http:https", {}, &error, pki.tls_config()))
        << error;
    TcpConnection early;  // the connect starts the daemon; the handshake waits in the backlog
    ASSERT_TRUE(early.connect(tls_port, Deadline(10s)));
    ASSERT_EQ(d.await_ready(Deadline(15s)), "listening on 127.0.0.1:" + std::to_string(port))
        << d.log();
    EXPECT_EQ(https_port_of(d.log()), tls_port) << d.log();
    TlsClient c(pki.ca_file);
    ASSERT_TRUE(c.connect(tls_port, Deadline(kIoTimeout))) << d.log();
    ASSERT_TRUE(c.send("GET /healthz/live HTTP/1.1\r\nHost: x\r\n\r\n", Deadline(kIoTimeout)));
    std::optional<HttpResponse> r = c.response(Deadline(kIoTimeout));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    auto code = d.stop();
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0);
}

TEST_F(SocketActivation, AMismatchedSocketStopsTheStartAndIsNamed) {
    struct Case {
        std::string fdname;
        bool inet;  // -l 127.0.0.1:PORT, else a Unix socket
        std::vector<std::string> mentions;
    };
    const std::vector<Case> cases = {
        {"web",
         true,
         {"named \"web\"", "\"http\", \"https\" and \"publish\"", "FileDescriptorName="}},
        {"https", true, {"an \"https\" socket was passed, but [tls] listen is \"\""}},
        {"http", false, {"\"http\"", "must be a listening TCP socket", "a listening Unix socket"}},
        {"publish",
         true,
         {"\"publish\"", "must be a listening Unix stream socket", "a listening TCP socket"}},
    };
    for (const Case& k : cases) {
        SCOPED_TRACE(k.fdname);
        ActivatedDaemon d;
        const uint16_t port = free_port();
        const std::string sock = d.dir().path() + "/x.sock";
        const std::string listen = k.inet ? "127.0.0.1:" + std::to_string(port) : sock;
        std::string error;
        ASSERT_TRUE(d.spawn({listen}, k.fdname, {"--log-format", "text"}, &error)) << error;
        // The first connection starts the daemon, which refuses to.
        if (k.inet) {
            HttpClient c(port);
            ASSERT_TRUE(c.connect(Deadline(10s))) << c.error();
        } else {
            UnixClient c;
            ASSERT_TRUE(c.connect(sock, Deadline(10s))) << c.error();
        }
        auto code = d.wait_exit(Deadline(15s));
        ASSERT_TRUE(code) << "ringcastd started with a socket named " << k.fdname;
        EXPECT_EQ(*code, 2) << d.log();
        for (const std::string& m : k.mentions)
            EXPECT_NE(d.log().find(m), std::string::npos) << "should mention " << m;
    }
}

}  // namespace
}  // namespace ringcast::itest

// Upgrade without a reconnect (docs/operations.md): `ringcastd --takeover`
// takes the listeners and the SSE streams of the running daemon on the same
// data directory while a publisher keeps publishing. Every stream stays on its
// TCP connection (one `connected`, no EOF) and gets every event exactly once,
// in order; the old process exits; new connections reach the new daemon. The
// fallback (upgrade.carry_streams = false, what a kernel without
// FIXED_FD_INSTALL gets) ends each stream with a randomised retry, and a
// resume with Last-Event-ID misses nothing. Connection-limit counts move with
// the streams. A request on the handover socket that is not a takeover, or a
// new daemon that dies before it has taken the listeners, changes nothing.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "h2_client.h"
#include "keeps_support.h"
#include "publish_support.h"
#include "sse_client.h"
#include "sse_fleet.h"
#include "tcp.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

// Publishes 0, 1, 2... on `channel` over the publishing socket, one at a time,
// each acknowledged before the next. A publish refused or left unanswered (the
// old daemon finishing, the new one not accepting yet) was not accepted: it is
// sent again on a new connection. Paced so that events keep arriving through
// the whole handover.
class SteadyPublisher {
public:
    SteadyPublisher(std::string socket, std::string channel)
        : _socket(std::move(socket)), _channel(std::move(channel)) {}
    ~SteadyPublisher() { stop(); }

    void start() {
        _thread = std::thread([this] { run(); });
    }
    // Stops after the publish in progress; returns how many were acknowledged.
    int stop() {
        _stop = true;
        if (_thread.joinable()) _thread.join();
        return _acked.load();
    }
    int acked() const { return _acked.load(); }
    int resent() const { return _resent.load(); }
    std::string last_error() const {
        std::lock_guard lock(_mutex);
        return _error;
    }

private:
    void run() {
        UnixClient u;
        Deadline give_up(60s);
        while (!_stop && !give_up.expired()) {
            if (!u.connected() && !u.connect(_socket, Deadline(10s))) continue;
            const int n = _acked.load();
            auto reply = u.request(
                publish_line(std::to_string(n), _channel, "n", std::to_string(n)), Deadline(20s));
            if (reply && reply->find("\"ok\":true") != std::string::npos) {
                _acked.store(n + 1);
                std::this_thread::sleep_for(2ms);  // the pace, not a wait for an event
                continue;
            }
            ++_resent;
            {
                std::lock_guard lock(_mutex);
                _error = reply ? *reply : u.error();
            }
            u.close();
        }
    }

    std::string _socket;
    std::string _channel;
    std::thread _thread;
    std::atomic<bool> _stop{false};
    std::atomic<int> _acked{0};
    std::atomic<int> _resent{0};
    mutable std::mutex _mutex;
    std::string _error;  // the last failure
};

// The data of a client's events of type "n", which the publisher numbers.
std::vector<std::string> numbered(const FleetClient& c) {
    std::vector<std::string> out;
    for (const SseEvent* e : c.data_events())
        if (e->type == "n") out.push_back(e->data);
    return out;
}

size_t count_numbered(const FleetClient& c) {
    size_t n = 0;
    for (const SseEvent& e : c.events)
        n += e.type == "n";
    return n;
}

size_t count_connected(const FleetClient& c) {
    size_t n = 0;
    for (const SseEvent& e : c.events)
        n += e.type == "connected";
    return n;
}

// Whether this kernel gives a direct descriptor back as a file descriptor.
bool kernel_hands_streams_over() {
    CommandResult r = run_ringcastd({"--probe"});
    return r.out.find("cannot turn a direct descriptor back") == std::string::npos;
}

DaemonOptions on_dir(const std::string& data_dir, const std::string& extra = {}) {
    DaemonOptions o;
    o.config = keeps_config(extra);
    o.data_dir = data_dir;
    return o;
}

DaemonOptions takeover_of(const std::string& data_dir, const std::string& extra = {}) {
    DaemonOptions o = on_dir(data_dir, extra);
    o.extra_args = {"--takeover"};
    return o;
}

TEST(Upgrade, StreamsStayOnTheirConnectionsAndMissNothing) {
    if (!kernel_hands_streams_over())
        GTEST_SKIP() << "this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8+): upgrades "
                        "drain instead (tested below)";
    TempDir dir;
    const std::string data = dir.path() + "/data";
    DaemonProcess old_daemon;
    ASSERT_TRUE(old_daemon.start(on_dir(data))) << old_daemon.error();
    const uint16_t port = old_daemon.port();

    // Anonymous streams and streams of users (their identity must survive).
    constexpr size_t kStreams = 200;
    SseFleet fleet(port);
    for (size_t i = 0; i < kStreams; ++i)
        fleet.add(i % 2 ? stream_target("u") : stream_target("u", "user" + std::to_string(i)));
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(20s)))
        << fleet.problems();

    SteadyPublisher pub(socket_path(old_daemon), "u");
    pub.start();
    auto all_have = [&](size_t n) {
        for (size_t i = 0; i < fleet.size(); ++i)
            if (count_numbered(fleet[i]) < n) return false;
        return true;
    };
    ASSERT_TRUE(fleet.run_until([&] { return all_have(20); }, Deadline(20s)))
        << pub.acked() << " acknowledged, " << pub.resent() << " sent again; stream 0 got "
        << count_numbered(fleet[0]) << ": " << pub.last_error();

    DaemonProcess new_daemon;
    ASSERT_TRUE(new_daemon.start(takeover_of(data), Deadline(30s))) << new_daemon.error();
    EXPECT_EQ(new_daemon.port(), port);
    EXPECT_EQ(old_daemon.wait_exit(Deadline(15s)), 0) << old_daemon.log();
    EXPECT_NE(new_daemon.log().find("streams handed over"), std::string::npos) << new_daemon.log();

    // Publishing goes on through the new daemon, then stops.
    const size_t at_takeover = size_t(pub.acked());
    ASSERT_TRUE(fleet.run_until([&] { return all_have(at_takeover + 20); }, Deadline(20s)))
        << "events stopped after the takeover at " << at_takeover << "; " << pub.acked()
        << " acknowledged, " << pub.resent() << " sent again (" << pub.last_error()
        << "); stream 0 got " << count_numbered(fleet[0]) << ", stream 1 "
        << count_numbered(fleet[1]) << "; stream 0 ended " << fleet[0].ended << " last: "
        << (fleet[0].events.empty()
                ? ""
                : fleet[0].events.back().type + " " + fleet[0].events.back().data);
    const size_t total = size_t(pub.stop());
    ASSERT_TRUE(fleet.run_until([&] { return all_have(total); }, Deadline(20s)));
    fleet.pump(50);  // anything beyond `total` would be a duplicate

    std::vector<std::string> want;
    for (size_t n = 0; n < total; ++n)
        want.push_back(std::to_string(n));
    for (size_t i = 0; i < fleet.size(); ++i) {
        const FleetClient& c = fleet[i];
        EXPECT_FALSE(c.ended) << "stream " << i << " was closed";
        EXPECT_EQ(count_connected(c), 1u) << "stream " << i << " reconnected";
        EXPECT_EQ(numbered(c), want) << "stream " << i;
        uint64_t last = 0;
        for (const SseEvent* e : c.data_events()) {
            if (e->type != "n") continue;
            uint64_t seq = id_sequence(e->last_event_id);
            EXPECT_GT(seq, last) << "stream " << i << ": ids out of order";
            last = seq;
        }
    }

    // The streams kept their identity: a message for one user reaches only
    // that user's stream.
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(new_daemon)));
    auto r =
        u.request(publish_line("1", "u", "only", R"("for user4")", R"("targetUsers":["user4"])"));
    ASSERT_TRUE(r && r->find("\"ok\":true") != std::string::npos) << (r ? *r : u.error());
    ASSERT_TRUE(fleet.run_until(
        [&] {
            for (const SseEvent* e : fleet[4].data_events())
                if (e->type == "only") return true;
            return false;
        },
        Deadline(10s)));
    fleet.pump(50);
    for (size_t i = 0; i < fleet.size(); ++i) {
        if (i == 4) continue;
        for (const SseEvent* e : fleet[i].data_events())
            EXPECT_NE(e->type, "only") << "stream " << i << " got user4's message";
    }

    // New connections are the new daemon's.
    auto fresh = open_stream(port, stream_target("u"));
    EXPECT_EQ(fresh->status(), 200);
}

// Connections that wait in the listen backlog while the new daemon rebuilds
// the streams. Rebuilding arms a receive per stream; with a small submission
// queue those SQEs are submitted while the shard is still placing sockets in
// its table, and an accept among them once took a waiting connection into the
// slot the next stream was about to be registered in: that stream stayed
// connected and got nothing more (one of 10,000 in the measurements,
// docs/performance.md). Every stream must get the event published after.
TEST(Upgrade, ConnectionsWaitingDuringTheHandoverTakeNoStreamsSlot) {
    if (!kernel_hands_streams_over()) GTEST_SKIP() << "streams are not carried on this kernel";
    TempDir dir;
    const std::string data = dir.path() + "/data";
    const std::string extra = "[engine]\nsq_entries = 16\n";
    DaemonProcess old_daemon;
    ASSERT_TRUE(old_daemon.start(on_dir(data, extra))) << old_daemon.error();
    const uint16_t port = old_daemon.port();
    constexpr size_t kStreams = 200;
    SseFleet fleet(port);
    for (size_t i = 0; i < kStreams; ++i)
        fleet.add(stream_target("u"));
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(20s)))
        << fleet.problems();

    // Connects every millisecond through the whole handover (bounded): from the
    // old daemon's quiesce on, these wait in the backlog for the new one.
    std::atomic<bool> stop{false};
    std::vector<TcpConnection> waiting;
    std::thread connector([&] {
        for (int i = 0; i < 2000 && !stop; ++i) {
            TcpConnection c;
            if (c.connect(port, Deadline(2s))) waiting.push_back(std::move(c));
            std::this_thread::sleep_for(1ms);  // the pace of the connects
        }
    });
    DaemonProcess new_daemon;
    const bool started = new_daemon.start(takeover_of(data, extra), Deadline(30s));
    const auto old_exit = old_daemon.wait_exit(Deadline(15s));
    stop = true;
    connector.join();
    ASSERT_TRUE(started) << new_daemon.error();
    EXPECT_EQ(old_exit, 0) << old_daemon.log();
    EXPECT_GT(waiting.size(), 0u);

    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(new_daemon))) << u.error();
    ASSERT_EQ(publish_pipelined(u, {publish_line("1", "u", "after", "1")}), "");
    auto got_it = [](const FleetClient& c) {
        for (const SseEvent* e : c.data_events())
            if (e->type == "after") return true;
        return false;
    };
    fleet.run_until(
        [&] {
            for (size_t i = 0; i < fleet.size(); ++i)
                if (!got_it(fleet[i])) return false;
            return true;
        },
        Deadline(10s));
    for (size_t i = 0; i < fleet.size(); ++i) {
        EXPECT_TRUE(got_it(fleet[i])) << "stream " << i << " got nothing after the handover";
        EXPECT_FALSE(fleet[i].ended) << "stream " << i;
    }
}

// The port after "metrics listener on http://127.0.0.1:" in a daemon's log; 0: none.
uint16_t metrics_port(const std::string& log) {
    const std::string mark = "metrics listener on http://127.0.0.1:";
    size_t at = log.find(mark);
    return at == std::string::npos ? 0 : uint16_t(std::atoi(log.c_str() + at + mark.size()));
}

// SIGUSR2 (what an operator sends under systemd): the daemon starts the binary
// at its own path with its own arguments and --takeover, as its child (so in
// the service's cgroup), hands everything over to it, including the
// [metrics] listener, and names it to systemd as the main process.
TEST(Upgrade, SigUsr2StartsTheSuccessorWhichTakesOverAndBecomesTheMainProcess) {
    if (!kernel_hands_streams_over()) GTEST_SKIP() << "streams are not carried on this kernel";
    TempDir dir;
    DaemonOptions o = on_dir(dir.path() + "/data", "[metrics]\nlisten = \"127.0.0.1:0\"\n");
    o.keep_notify = true;
    DaemonProcess old_daemon;
    ASSERT_TRUE(old_daemon.start(o)) << old_daemon.error();
    const uint16_t scrape_port = metrics_port(old_daemon.log());
    ASSERT_NE(scrape_port, 0) << old_daemon.log();
    auto stream = open_stream(old_daemon.port(), stream_target("u"));
    ASSERT_EQ(stream->status(), 200);

    ASSERT_TRUE(old_daemon.signal(SIGUSR2));
    pid_t successor = 0;
    while (!successor) {
        std::optional<std::string> msg = old_daemon.next_notify(Deadline(30s));
        ASSERT_TRUE(msg) << "no MAINPID= for the new daemon\n" << old_daemon.log();
        size_t at = msg->find("MAINPID=");
        if (at == std::string::npos) continue;
        const pid_t pid = pid_t(std::atol(msg->c_str() + at + 8));
        if (pid != old_daemon.pid()) successor = pid;
    }
    // Ended by PID at the end, whatever happens below.
    struct Ender {
        pid_t pid;
        ~Ender() {
            int fd = int(syscall(SYS_pidfd_open, pid, 0));
            if (fd < 0) return;
            ::kill(pid, SIGTERM);
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 15000) <= 0) ::kill(pid, SIGKILL);
            ::close(fd);
        }
    } ender{successor};
    EXPECT_EQ(old_daemon.wait_exit(Deadline(30s)), 0) << old_daemon.log();
    EXPECT_NE(old_daemon.log().find("SIGUSR2 received: started"), std::string::npos);

    // The stream is the new daemon's now, on the same connection.
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(old_daemon))) << u.error();
    auto r = u.request(publish_line("1", "u", "n", R"("after")"));
    ASSERT_TRUE(r && r->find("\"ok\":true") != std::string::npos) << (r ? *r : u.error());
    ASSERT_TRUE(stream->read_until(
        [&] {
            for (const SseEvent& e : stream->data_events())
                if (e.data == "\"after\"") return true;
            return false;
        },
        Deadline(10s)))
        << stream->raw_body();
    EXPECT_FALSE(stream->ended());
    // So is the metrics listener: the same port answers.
    HttpClient scrape(scrape_port);
    ASSERT_TRUE(scrape.connect()) << scrape.error();
    auto m = scrape.request("GET", "/healthz/live");
    ASSERT_TRUE(m) << scrape.error();
    EXPECT_EQ(m->status, 200);
}

TEST(Upgrade, TheStreamsHandedOverCountUnderConnectionLimits) {
    if (!kernel_hands_streams_over()) GTEST_SKIP() << "streams are not carried on this kernel";
    TempDir dir;
    const std::string data = dir.path() + "/data";
    const std::string extra = "max_connections_per_user = 1\n";  // on /api/sse/stream
    DaemonProcess old_daemon;
    ASSERT_TRUE(old_daemon.start(on_dir(data, extra))) << old_daemon.error();
    const uint16_t port = old_daemon.port();
    auto alice = open_stream(port, stream_target("a", "alice"));
    auto second_alice = [&] {
        SseClient s;
        EXPECT_TRUE(s.open(port, stream_target("a", "alice"))) << s.error();
        return s.status();
    };
    ASSERT_EQ(second_alice(), 429);

    DaemonProcess new_daemon;
    ASSERT_TRUE(new_daemon.start(takeover_of(data, extra), Deadline(30s))) << new_daemon.error();
    EXPECT_EQ(old_daemon.wait_exit(Deadline(15s)), 0) << old_daemon.log();
    // Once the stream is served by the new daemon, its count is there too.
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(new_daemon)));
    ASSERT_EQ(publish_pipelined(u, {publish_line("1", "a", "n", "1")}), "");
    ASSERT_TRUE(alice->read_until(
        [&] {
            for (const SseEvent& e : alice->data_events())
                if (e.type == "n") return true;
            return false;
        },
        Deadline(kIoTimeout)))
        << alice->raw_body();
    EXPECT_EQ(second_alice(), 429);
    EXPECT_FALSE(alice->ended());
}

TEST(Upgrade, WithoutCarryingStreamsTheyRetryAndResumeWithoutLoss) {
    TempDir dir;
    const std::string data = dir.path() + "/data";
    const std::string extra = "[upgrade]\ncarry_streams = false\nretry_spread = \"1s\"\n";
    DaemonProcess old_daemon;
    ASSERT_TRUE(old_daemon.start(on_dir(data, extra))) << old_daemon.error();
    const uint16_t port = old_daemon.port();
    std::vector<std::unique_ptr<SseClient>> streams;
    for (int i = 0; i < 5; ++i)
        streams.push_back(open_stream(port, stream_target("d")));
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(old_daemon)));
    for (int n = 0; n < 5; ++n)
        ASSERT_EQ(publish_pipelined(u, {publish_line("1", "d", "n", std::to_string(n))}), "");
    for (auto& s : streams)
        ASSERT_TRUE(s->await_events(6, Deadline(kIoTimeout))) << s->raw_body();

    DaemonProcess new_daemon;
    ASSERT_TRUE(new_daemon.start(takeover_of(data, extra), Deadline(30s))) << new_daemon.error();
    EXPECT_EQ(old_daemon.wait_exit(Deadline(15s)), 0) << old_daemon.log();
    // Every stream was ended with a retry hint within the spread.
    for (auto& s : streams) {
        ASSERT_TRUE(s->read_to_eof(Deadline(kIoTimeout)));
        ASSERT_TRUE(s->parser().retry_ms().has_value()) << s->raw_body();
        EXPECT_LE(*s->parser().retry_ms(), 1000u);
    }
    // Published while the clients were away, then they resume.
    UnixClient u2;
    ASSERT_TRUE(u2.connect(socket_path(new_daemon)));
    for (int n = 5; n < 8; ++n)
        ASSERT_EQ(publish_pipelined(u2, {publish_line("1", "d", "n", std::to_string(n))}), "");
    for (auto& s : streams) {
        const std::string last = s->data_events().back().last_event_id;
        auto back = open_stream(port, stream_target("d"), {{"Last-Event-ID", last}});
        ASSERT_TRUE(back->await_events(4, Deadline(kIoTimeout))) << back->raw_body();
        std::vector<std::string> got;
        for (const SseEvent& e : back->data_events())
            got.push_back(e.data);
        EXPECT_EQ(got, (std::vector<std::string>{"5", "6", "7"})) << back->raw_body();
    }
}

// HTTP/2 streams share their socket, so they cannot be handed over: they end
// with a retry hint (END_STREAM, not a reset), their connection gets GOAWAY,
// and the old daemon still quiesces and exits beside an HTTP/1.1 stream.
TEST(Upgrade, Http2StreamsEndWithARetryAndTheirConnectionGetsGoaway) {
    TempDir dir;
    const std::string data = dir.path() + "/data";
    DaemonProcess old_daemon;
    ASSERT_TRUE(old_daemon.start(on_dir(data))) << old_daemon.error();
    const uint16_t port = old_daemon.port();
    H2Client h2(port);
    ASSERT_TRUE(h2.connect());
    const int32_t a = h2.get(stream_target("d")), b = h2.get(stream_target("d"));
    auto live = [&](int32_t id) {
        return h2.stream(id).body.find("event: connected") != std::string::npos;
    };
    ASSERT_TRUE(h2.run_until([&] { return live(a) && live(b); }, Deadline(kIoTimeout)));
    auto h1 = open_stream(port, stream_target("d"));

    DaemonProcess new_daemon;
    ASSERT_TRUE(new_daemon.start(takeover_of(data), Deadline(30s))) << new_daemon.error();
    ASSERT_TRUE(h2.run_until(
        [&] { return h2.goaway() && h2.stream(a).closed && h2.stream(b).closed; }, Deadline(20s)))
        << h2.error();
    EXPECT_EQ(old_daemon.wait_exit(Deadline(15s)), 0) << old_daemon.log();
    EXPECT_EQ(h2.goaway_error(), 0u);
    for (int32_t id : {a, b}) {
        EXPECT_EQ(h2.stream(id).error_code, 0u) << "END_STREAM, not a reset";
        EXPECT_NE(h2.stream(id).body.find("\nretry: "), std::string::npos) << h2.stream(id).body;
    }
    // New connections, HTTP/2 too, reach the new daemon.
    H2Client again(port);
    ASSERT_TRUE(again.connect());
    const int32_t c = again.get(stream_target("d"));
    ASSERT_TRUE(again.run_until(
        [&] { return again.stream(c).body.find("event: connected") != std::string::npos; },
        Deadline(kIoTimeout)))
        << again.error();
}

// A connection to `d`'s handover socket, as a new daemon makes it; -1 (errno set) if refused.
int connect_handover(const DaemonProcess& d) {
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s/handover.sock", d.data_dir().c_str());
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return fd;
    if (fd >= 0) close(fd);
    return -1;
}

TEST(Upgrade, ARequestThatIsNotATakeoverChangesNothing) {
    TempDir dir;
    DaemonProcess d;
    ASSERT_TRUE(d.start(on_dir(dir.path() + "/data"))) << d.error();
    auto s = open_stream(d.port(), stream_target("x"));
    const int fd = connect_handover(d);
    ASSERT_GE(fd, 0) << d.data_dir() << "/handover.sock: " << std::strerror(errno);
    ASSERT_EQ(send(fd, "hello there", 11, 0), 11);
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf, 0);  // the refusal, then nothing
    close(fd);
    EXPECT_GT(n, 0);
    // Still serving: the stream gets a publish, new connections are answered.
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d)));
    ASSERT_EQ(publish_pipelined(u, {publish_line("1", "x", "n", "1")}), "");
    ASSERT_TRUE(s->await_events(2, Deadline(kIoTimeout))) << s->raw_body();
    auto again = open_stream(d.port(), stream_target("x"));
    EXPECT_EQ(again->status(), 200);
    EXPECT_NE(d.log().find("was not a takeover"), std::string::npos) << d.log();
}

// A new daemon that asks, takes the listeners' message and dies before it says
// it listens on them (src/server/handover_socket.h: each message is a 4-byte
// kind and a 4-byte size, then the body).
TEST(Upgrade, ANewDaemonThatDiesBeforeTakingTheListenersChangesNothing) {
    TempDir dir;
    DaemonProcess d;
    ASSERT_TRUE(d.start(on_dir(dir.path() + "/data"))) << d.error();
    auto s = open_stream(d.port(), stream_target("x"));
    const int fd = connect_handover(d);
    ASSERT_GE(fd, 0) << d.data_dir() << "/handover.sock: " << std::strerror(errno);
    const std::string hello = "ringcast-takeover 1";
    std::string msg(8, '\0');
    const uint32_t head[2] = {1, uint32_t(hello.size())};  // hello
    std::memcpy(msg.data(), head, sizeof head);
    msg += hello;
    ASSERT_EQ(send(fd, msg.data(), msg.size(), 0), ssize_t(msg.size()));
    char buf[4096];
    char control[CMSG_SPACE(sizeof(int) * 8)];
    iovec iov{buf, sizeof buf};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    ASSERT_GT(recvmsg(fd, &m, MSG_CMSG_CLOEXEC), 8);  // the listeners...
    size_t fds = 0;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
        const int* got = reinterpret_cast<const int*>(CMSG_DATA(cm));
        for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++k, ++fds)
            close(got[k]);
    }
    EXPECT_EQ(fds, 2u) << "the HTTP listener and the publishing socket";
    close(fd);  // ...and it dies
    // Still serving: the stream gets a publish, new connections are answered.
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d)));
    ASSERT_EQ(publish_pipelined(u, {publish_line("1", "x", "n", "1")}), "");
    ASSERT_TRUE(s->await_events(2, Deadline(kIoTimeout))) << s->raw_body();
    auto again = open_stream(d.port(), stream_target("x"));
    EXPECT_EQ(again->status(), 200);
    // The old daemon logs it once its handover thread sees the socket close,
    // which may come after the stream's event and the new connection.
    EXPECT_TRUE(d.await_log("did not take the listeners", Deadline(kIoTimeout))) << d.log();
    EXPECT_TRUE(d.running());
}

TEST(Upgrade, TakeoverWithNothingRunningFailsClearly) {
    TempDir dir;
    CommandResult r =
        run_ringcastd({"--takeover", "--data-dir", dir.path(), "--http", "127.0.0.1:0"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE((r.out + r.err).find("cannot take over"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace ringcast::itest

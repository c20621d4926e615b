// The Unix-socket publish protocol under pressure: a publisher that stops
// reading its replies (bounded, others unaffected, answered in order once it
// reads again), one that never reads (cut after delivery.write_timeout), one that
// half-closes (every reply, then EOF), publishers that vanish mid-line and
// mid-pipeline (nothing acknowledged is lost), and SIGTERM with publishers
// connected (in-flight requests answered, later ones refused, exit 0).
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "publish_support.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

// A thread that writes `bytes` to `fd` whenever the socket takes more, until
// everything is written or stop() (also run by the destructor).
class Writer {
public:
    Writer(int fd, const std::string& bytes, std::atomic<size_t>* taken)
        : _wake(::eventfd(0, EFD_CLOEXEC)), _thread([=, this, &bytes] {
            size_t offset = 0;
            Deadline d(60s);
            while (offset < bytes.size() && !d.expired()) {
                write_available(fd, bytes, &offset);
                taken->store(offset);
                pollfd pf[2] = {{fd, POLLOUT, 0}, {_wake, POLLIN, 0}};
                ::poll(pf, 2, d.poll_ms());
                if (pf[1].revents || (pf[0].revents & (POLLHUP | POLLERR))) break;
            }
        }) {}
    ~Writer() { stop(); }
    void stop() {
        if (!_thread.joinable()) return;
        ::eventfd_write(_wake, 1);
        _thread.join();
        ::close(_wake);
    }

private:
    int _wake;
    std::thread _thread;
};

// --- a publisher that stops reading ------------------------------------------------

TEST(PublishBackpressure, StalledPublisherIsBoundedOthersUnaffectedThenAnsweredInOrder) {
    constexpr size_t kRequests = 2000, kPad = 2000;
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = "[publish]\nmax_reply_backlog = \"4KiB\"\nmax_pending = 8\n"
                                   "[engine]\nrecv_buffers = 16\n"}))
        << d.error();
    SseFleet fleet(d.port());
    std::string why;
    auto streams = open_streams_on_every_shard(fleet, "/api/sse/stream?channels=live", 2, 1,
                                               Deadline(10s), &why);
    ASSERT_FALSE(streams.empty()) << why;

    // P: fat pings and publishes (to a channel nobody reads), about 4 MB.
    std::string requests;
    for (size_t i = 0; i < kRequests; ++i) {
        if (i % 2) {
            requests +=
                publish_line("\"p" + std::to_string(i) + "-" + std::string(kPad, 'x') + "\"",
                             "bulk", "e", std::to_string(i)) +
                "\n";
        } else {
            requests += fat_ping(i, kPad);
        }
    }
    UnixClient p;
    ASSERT_TRUE(p.connect(socket_path(d))) << p.error();
    int sndbuf = 0;
    socklen_t optlen = sizeof sndbuf;
    ASSERT_EQ(::getsockopt(p.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &optlen), 0);

    // P pushes whatever the daemon takes from it, all along, and reads nothing.
    std::atomic<size_t> taken{0};
    Writer writer(p.fd(), requests, &taken);

    // Meanwhile Q publishes to the streams.
    UnixClient q;
    ASSERT_TRUE(q.connect(socket_path(d))) << q.error();
    bool q_ok = true;
    std::vector<std::string> q_ids;
    for (int k = 0; k < 50 && q_ok; ++k) {
        Json r = ask(q, publish_line(std::to_string(k), "live", "tick", std::to_string(k)),
                     Deadline(5s));
        EXPECT_TRUE(q_ok = r["ok"].as_bool()) << "Q got no answer while P stalls: " << q.error();
        EXPECT_EQ(r["sent"].as_int(), int64_t(streams.size()));
        q_ids.push_back(r["id"].as_string());
        EXPECT_TRUE(q_ok = q_ok && fleet.run_until(
                                       [&] {
                                           for (size_t s : streams)
                                               if (fleet[s].data_events().size() < size_t(k) + 1)
                                                   return false;
                                           return true;
                                       },
                                       Deadline(5s)))
            << "streams starved while P stalls: " << fleet.problems();
    }
    writer.stop();
    ASSERT_TRUE(q_ok);
    const size_t written = taken.load();

    // What P could write: its own socket buffer, plus the requests the daemon
    // answered (their replies sit unread in P's socket, or within the backlog),
    // plus what was in flight when reading stopped (at most the shard's 16
    // receive buffers of 4 KiB) and a partial line. A daemon that keeps reading
    // takes far more (all 4 MB, given time).
    const size_t answered_bytes = size_t(unread_bytes(p.fd())) + 3 * 4096;
    const size_t bound = size_t(sndbuf) + answered_bytes + 16 * 4096 + 32 * 1024;
    EXPECT_LE(written, bound) << "the daemon read " << written
                              << " bytes from a publisher that reads nothing (its socket buffer "
                              << sndbuf << ", replies waiting " << unread_bytes(p.fd()) << ")";
    EXPECT_GT(unread_bytes(p.fd()), 0) << "P has replies waiting";
    std::printf("stalled publisher: the daemon took %zu bytes (bound %zu)\n", written, bound);

    // P reads again: everything is answered, in order.
    auto lines =
        exchange(p, std::string_view(requests).substr(written), kRequests, Deadline(30s), &why);
    ASSERT_EQ(lines.size(), kRequests) << why;
    // P's publishes (to "bulk") and Q's (to "live") share the daemon's one
    // sequence: each publisher's are numbered in the order it sent them, and
    // together they are exactly 1..n, all of one epoch.
    ASSERT_EQ(q_ids.size(), 50u);
    const std::string epoch = id_epoch(q_ids[0]);
    std::set<uint64_t> seqs;
    uint64_t last_seq = 0;
    for (const std::string& id : q_ids) {
        uint64_t seq = id_sequence(id);
        EXPECT_EQ(id_epoch(id), epoch) << id;
        EXPECT_GT(seq, last_seq) << "Q's publishes numbered out of order: " << id;
        last_seq = seq;
        EXPECT_TRUE(seqs.insert(seq).second) << id << " given twice";
    }
    last_seq = 0;
    for (size_t i = 0; i < kRequests; ++i) {
        ASSERT_TRUE(is_reply_to(lines[i], "\"p" + std::to_string(i) + "-"))
            << "reply " << i << ": " << lines[i].substr(0, 80);
        Json j = parse_reply(lines[i]);
        ASSERT_TRUE(j["ok"].as_bool()) << lines[i].substr(0, 200);
        if (i % 2) {
            const std::string id = j["id"].as_string();
            uint64_t seq = id_sequence(id);
            EXPECT_EQ(id_epoch(id), epoch) << id;
            EXPECT_GT(seq, last_seq) << "P's publishes numbered out of order: " << id;
            last_seq = seq;
            EXPECT_TRUE(seqs.insert(seq).second) << id << " given twice";
        }
    }
    EXPECT_EQ(seqs.size(), 50 + kRequests / 2);
    EXPECT_EQ(*seqs.begin(), 1u);
    EXPECT_EQ(*seqs.rbegin(), uint64_t(50 + kRequests / 2));
    // The streams got Q's events in order, with the ids of Q's replies.
    for (size_t s : streams) {
        auto events = fleet[s].data_events();
        ASSERT_EQ(events.size(), 50u);
        for (size_t k = 0; k < 50; ++k) {
            EXPECT_EQ(events[k]->data, std::to_string(k));
            EXPECT_EQ(events[k]->last_event_id, q_ids[k]);
        }
    }
}

// --- a publisher that never reads --------------------------------------------------

TEST(PublishBackpressure, PublisherThatNeverReadsIsCutAfterWriteTimeout) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = "[delivery]\nwrite_timeout = \"300ms\"\n"
                                   "[publish]\nmax_reply_backlog = \"4KiB\"\n"}))
        << d.error();
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    UnixClient p;
    ASSERT_TRUE(p.connect(socket_path(d))) << p.error();
    const auto started = Clock::now();

    // Write fat pings until the daemon hangs up on us; never read.
    Deadline deadline(10s);
    bool hung_up = false;
    std::string chunk;
    size_t next = 0, offset = 0;
    while (!hung_up && !deadline.expired()) {
        if (offset == chunk.size()) {
            chunk.clear();
            offset = 0;
            for (int k = 0; k < 16; ++k)
                chunk += fat_ping(next++, 2000);
        }
        ssize_t w = ::send(p.fd(), chunk.data() + offset, chunk.size() - offset,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            offset += size_t(w);
            continue;
        }
        if (w < 0 && errno != EAGAIN) {
            hung_up = true;  // EPIPE, ECONNRESET
            break;
        }
        pollfd pf{p.fd(), POLLOUT | POLLRDHUP, 0};
        ::poll(&pf, 1, deadline.poll_ms());
        if (pf.revents & (POLLHUP | POLLERR | POLLRDHUP)) hung_up = true;
    }
    const int64_t elapsed = ms_since(started);
    ASSERT_TRUE(hung_up) << "a publisher that reads nothing was never disconnected";
    EXPECT_GE(elapsed, 300) << "disconnected before delivery.write_timeout";

    // What it had been sent is a prefix of its replies, in order.
    std::vector<std::string> lines;
    EXPECT_TRUE(p.await_close(Deadline(5s), &lines)) << p.error();
    EXPECT_GT(lines.size(), 0u);
    for (size_t i = 0; i < lines.size(); ++i)
        ASSERT_TRUE(is_reply_to(lines[i], "\"p" + std::to_string(i) + "-"))
            << "reply " << i << ": " << lines[i].substr(0, 60);

    Json stats;
    EXPECT_TRUE(await_stats(
        api, [](const Json& s) { return s["droppedStalledWriters"].as_int() >= 1; }, Deadline(5s),
        &stats))
        << "droppedStalledWriters " << stats["droppedStalledWriters"].as_int();
    UnixClient q;
    ASSERT_TRUE(q.connect(socket_path(d))) << q.error();
    EXPECT_TRUE(ask(q, R"({"op":"ping","req":1})")["ok"].as_bool()) << q.error();
}

// --- half-close ------------------------------------------------------------------

TEST(PublishHalfClose, EveryReplyThenEof) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    std::string out;
    constexpr int kRequests = 300;
    for (int i = 0; i < kRequests; ++i) {
        std::string r = std::to_string(i);
        switch (i % 5) {
            case 0: out += publish_line(r, "hc" + std::to_string(i % 7), "e", r) + "\n"; break;
            case 1: out += "{\"op\":\"stats\",\"req\":" + r + "}\n"; break;
            case 2: out += "{\"op\":\"ping\",\"req\":" + r + "}\n"; break;
            case 3: out += "{\"op\":\"connection\",\"req\":" + r + ",\"id\":\"c1-99999\"}\n"; break;
            case 4: out += "{\"op\":\"nope\",\"req\":" + r + "}\n"; break;
        }
    }
    ASSERT_TRUE(c.send(out)) << c.error();
    c.shutdown_write();
    std::vector<std::string> lines;
    ASSERT_TRUE(c.await_close(Deadline(10s), &lines)) << "no EOF: " << c.error();
    ASSERT_EQ(lines.size(), size_t(kRequests));
    for (int i = 0; i < kRequests; ++i)
        EXPECT_TRUE(is_reply_to(lines[size_t(i)], std::to_string(i) + ","))
            << "reply " << i << ": " << lines[size_t(i)].substr(0, 60);
}

// The half-close arrives while the daemon has stopped reading the client (its
// replies are over the backlog): what it sent is still read and answered.
TEST(PublishHalfClose, EveryReplyThenEofEvenWhenItArrivesDuringBackpressure) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = "[publish]\nmax_reply_backlog = \"4KiB\"\n"}))
        << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    std::string out;
    for (size_t i = 0; i < 1000; ++i)
        out += fat_ping(i, 2000);
    size_t written = 0;
    write_available(c.fd(), out, &written);  // until the socket is full: nothing is read
    ASSERT_LT(written, out.size()) << "precondition: the daemon did not push back";
    c.shutdown_write();
    const size_t complete = size_t(std::count(out.begin(), out.begin() + long(written), '\n'));

    std::vector<std::string> lines;
    ASSERT_TRUE(c.await_close(Deadline(10s), &lines)) << "no EOF: " << c.error();
    ASSERT_GE(lines.size(), complete) << "requests sent before the half-close were not answered";
    for (size_t i = 0; i < complete; ++i)
        ASSERT_TRUE(is_reply_to(lines[i], "\"p" + std::to_string(i) + "-"))
            << "reply " << i << ": " << lines[i].substr(0, 60);
    // The cut-off tail is an unterminated last line, answered as any line
    // would be: a request cut short is not JSON.
    const bool cut_mid_line = out[written - 1] != '\n';
    ASSERT_EQ(lines.size(), complete + (cut_mid_line ? 1 : 0));
    if (cut_mid_line) {
        EXPECT_EQ(check_error_reply(lines.back(), "", "invalid_json", complete + 1), "");
    }
}

// --- publishers that vanish --------------------------------------------------------

TEST(PublishVanish, PublishersVanishingMidLineAndMidPipelineLoseNothingAcknowledged) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseFleet fleet(d.port());
    std::string why;
    auto streams = open_streams_on_every_shard(fleet, "/api/sse/stream?channels=v0,v1", 2, 1,
                                               Deadline(10s), &why);
    ASSERT_FALSE(streams.empty()) << why;

    struct Acked {
        std::string data;
        int64_t sent;
    };
    std::map<std::string, Acked> acked;  // id -> what was acknowledged
    for (int round = 0; round < 8; ++round) {
        UnixClient p;
        ASSERT_TRUE(p.connect(socket_path(d))) << p.error();
        std::string out;
        std::vector<int> channel_of;
        for (int k = 0; k < 200; ++k) {
            int ch = k % 2;
            out +=
                publish_line("\"" + std::to_string(round) + "-" + std::to_string(k) + "\"",
                             "v" + std::to_string(ch), "e",
                             "{\"ch\":" + std::to_string(ch) + ",\"r\":" + std::to_string(round) +
                                 ",\"k\":" + std::to_string(k) + "}") +
                "\n";
            channel_of.push_back(ch);
        }
        out += R"({"op":"publish","req":"cut","channel":"v0","eve)";  // mid-line
        if (round % 2 == 0) {
            // Read half the replies, then vanish with the rest unread.
            auto lines = exchange(p, out, 100, Deadline(10s), &why);
            ASSERT_EQ(lines.size(), 100u) << why;
            for (size_t k = 0; k < lines.size(); ++k) {
                Json j = parse_reply(lines[k]);
                ASSERT_TRUE(j["ok"].as_bool()) << lines[k];
                acked[j["id"].as_string()] = {"{\"ch\":" + std::to_string(channel_of[k]) +
                                                  ",\"r\":" + std::to_string(round) +
                                                  ",\"k\":" + std::to_string(k) + "}",
                                              j["sent"].as_int()};
            }
        } else {
            ASSERT_TRUE(p.send(out)) << p.error();  // and vanish at once
        }
        p.close();
        fleet.pump(0);
    }

    // Once the daemon has closed every vanished publisher, all they sent is
    // published (the stats round trip, through every shard's ring, also puts
    // their publishes ahead of what follows). Then fences through a fresh
    // publisher: behind them, every stream has all it will get.
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    Json stats;
    ASSERT_TRUE(await_stats(
        api, [&](const Json& s) { return s["sockets"].as_int() == int64_t(streams.size()) + 1; },
        Deadline(10s), &stats, [&](int ms) { fleet.pump(ms); }))
        << "sockets " << stats["sockets"].as_int() << ": vanished publishers are still open";
    UnixClient f;
    ASSERT_TRUE(f.connect(socket_path(d))) << f.error();
    uint64_t fence[2];
    std::string epoch;
    for (int ch = 0; ch < 2; ++ch) {
        Json r = ask(f, publish_line("0", "v" + std::to_string(ch), "fence",
                                     "{\"ch\":" + std::to_string(ch) + "}"));
        ASSERT_TRUE(r["ok"].as_bool()) << f.error();
        fence[ch] = id_sequence(r["id"].as_string());
        if (ch == 0) epoch = id_epoch(r["id"].as_string());
        EXPECT_EQ(id_epoch(r["id"].as_string()), epoch);
    }
    // Published one after the other, after everything else: the last two numbers.
    EXPECT_EQ(fence[1], fence[0] + 1);
    ASSERT_TRUE(fleet.run_until(
        [&] {
            for (size_t s : streams) {
                size_t fences = 0;
                for (const SseEvent* e : fleet[s].data_events())
                    fences += e->type == "fence";
                if (fences < 2) return false;
            }
            return true;
        },
        Deadline(20s)))
        << fleet.problems();

    for (size_t s : streams) {
        SCOPED_TRACE("stream " + connection_id(fleet, s));
        std::map<std::string, std::string> got;  // id -> data
        uint64_t last = 0;
        for (const SseEvent* e : fleet[s].data_events()) {
            auto data = Json::parse(e->data);
            ASSERT_TRUE(data) << e->data;
            int ch = int((*data)["ch"].as_int());
            ASSERT_TRUE(ch == 0 || ch == 1) << e->data;
            // Every event the daemon numbered (all on v0 or v1, which every
            // stream reads) reached the stream: one sequence 1, 2, 3...
            ASSERT_EQ(id_epoch(e->last_event_id), epoch) << e->last_event_id;
            uint64_t seq = id_sequence(e->last_event_id);
            ASSERT_EQ(seq, last + 1) << "v" << ch << " " << e->last_event_id << ": gap or reorder";
            last = seq;
            got[e->last_event_id] = e->data;
        }
        EXPECT_EQ(last, fence[1]);
        for (const auto& [id, a] : acked) {
            EXPECT_EQ(a.sent, int64_t(streams.size())) << "id " << id;
            auto it = got.find(id);
            ASSERT_NE(it, got.end()) << "acknowledged id " << id << " lost";
            EXPECT_EQ(it->second, a.data);
        }
    }

    // Healthy, and no publisher connection left behind.
    EXPECT_TRUE(ask(f, R"({"op":"ping","req":1})")["ok"].as_bool()) << f.error();
    EXPECT_TRUE(await_stats(
        api, [&](const Json& s) { return s["sockets"].as_int() == int64_t(streams.size()) + 2; },
        Deadline(5s), &stats, [&](int ms) { fleet.pump(ms); }))
        << "sockets " << stats["sockets"].as_int() << ", want streams + api + f";
}

// --- shutdown ----------------------------------------------------------------------

TEST(PublishShutdown, SigtermAnswersInFlightRefusesLaterRequestsAndExitsZero) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = "[server]\nshutdown_timeout = \"10s\"\n"}))
        << d.error();
    SseFleet fleet(d.port());
    std::string why;
    auto streams = open_streams_on_every_shard(fleet, "/api/sse/stream?channels=sd,mark", 2, 1,
                                               Deadline(10s), &why);
    ASSERT_FALSE(streams.empty()) << why;

    // P: more replies than the socket holds, never read until after SIGTERM, so
    // its connection is still open then; the last line marks that all were read.
    constexpr size_t kFat = 40;
    std::string fat;
    for (size_t i = 0; i < kFat; ++i)
        fat += fat_ping(i, 10000);
    fat += publish_line("", "mark", "mark", "\"p\"") + "\n";
    UnixClient p;
    ASSERT_TRUE(p.connect(socket_path(d))) << p.error();
    ASSERT_TRUE(p.send(fat)) << p.error();
    ASSERT_TRUE(fleet.run_until(
        [&] {
            for (size_t s : streams)
                if (fleet[s].data_events().empty()) return false;
            return true;
        },
        Deadline(10s)))
        << "P's requests were not all read: " << fleet.problems();

    // R: a long pipeline of publishes, still being written and answered when
    // the signal arrives (its first answer is awaited first).
    constexpr int kBurst = 20000;
    std::string burst;
    for (int i = 0; i < kBurst; ++i)
        burst += publish_line(std::to_string(i), "sd", "sd", std::to_string(i)) + "\n";
    UnixClient r;
    ASSERT_TRUE(r.connect(socket_path(d))) << r.error();
    std::atomic<size_t> r_written{0};
    Writer r_writer(r.fd(), burst, &r_written);
    auto first = r.read_line(Deadline(10s));
    ASSERT_TRUE(first) << r.error();
    ASSERT_TRUE(d.signal(SIGTERM));

    // Every shard has begun shutting down once its streams are closed.
    ASSERT_TRUE(fleet.run_until(
        [&] {
            for (size_t s : streams)
                if (!fleet[s].ended) return false;
            return true;
        },
        Deadline(10s)))
        << "streams still open after SIGTERM: " << fleet.problems();

    // A line after that is refused, after the answers already due, whatever it
    // holds (this one has no "op": unavailable, not invalid_request).
    ASSERT_TRUE(p.send("{\"req\":\"late\"}\n")) << p.error();
    std::vector<std::string> plines;
    EXPECT_TRUE(p.await_close(Deadline(10s), &plines)) << p.error();
    ASSERT_GE(plines.size(), kFat);
    for (size_t i = 0; i < kFat; ++i)
        EXPECT_TRUE(is_reply_to(plines[i], "\"p" + std::to_string(i) + "-"))
            << "reply " << i << ": " << plines[i].substr(0, 60);
    ASSERT_EQ(plines.size(), kFat + 1) << "the request sent during shutdown got no answer";
    EXPECT_EQ(check_error_reply(plines[kFat], "\"late\"", "unavailable"), "");

    // R: a prefix of its publishes answered in order, then at most one refusal.
    std::vector<std::string> rlines = {*first};
    EXPECT_TRUE(r.await_close(Deadline(10s), &rlines)) << r.error();
    r_writer.stop();
    std::vector<std::map<std::string, std::string>> got(streams.size());  // id -> data
    for (size_t s = 0; s < streams.size(); ++s)
        for (const SseEvent* e : fleet[streams[s]].data_events())
            if (e->type == "sd") got[s][e->last_event_id] = e->data;
    size_t answered = 0, refused = 0;
    std::string epoch;
    for (size_t k = 0; k < rlines.size(); ++k) {
        Json j = parse_reply(rlines[k]);
        ASSERT_EQ(j["req"].as_int(), int64_t(k)) << rlines[k];
        if (!j["ok"].as_bool()) {
            EXPECT_EQ(check_error_reply(rlines[k], std::to_string(k), "unavailable"), "");
            EXPECT_EQ(k + 1, rlines.size()) << "replies after a refusal";
            ++refused;
            break;
        }
        ++answered;
        // P's mark was event 1 (it reached the streams before R began); R's
        // publishes follow it in the daemon's one sequence, in order.
        if (k == 0) epoch = id_epoch(j["id"].as_string());
        ASSERT_EQ(j["id"].as_string(), event_id(epoch, k + 2)) << rlines[k];
        // sent is what the streams really got before they closed.
        int64_t received = 0;
        for (size_t s = 0; s < streams.size(); ++s) {
            auto it = got[s].find(j["id"].as_string());
            received += it != got[s].end() && it->second == std::to_string(k);
        }
        ASSERT_EQ(received, j["sent"].as_int()) << "publish " << k << ": " << rlines[k];
    }
    std::printf("R: %zu bytes written, %zu publishes answered, %zu refused at shutdown\n",
                r_written.load(), answered, refused);
    EXPECT_GT(answered, 0u);

    auto code = d.wait_exit(Deadline(15s));
    ASSERT_TRUE(code) << "did not exit";
    EXPECT_EQ(*code, 0);
    struct stat st;
    EXPECT_NE(::stat(socket_path(d).c_str(), &st), 0) << "socket file left behind";
}

}  // namespace
}  // namespace ringcast::itest

// Graceful shutdown: on SIGTERM the daemon flushes what each stream has queued,
// closes the streams, and exits 0.
#include <signal.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "sse_client.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

int64_t total_bytes_sent(const Json& stats) {
    int64_t sum = 0;
    for (const Json& s : stats["shards"].items())
        sum += s["bytesSent"].as_int();
    return sum;
}

// Publishes 32 KiB events on `channel` (subscribed by `streams` streams that do
// not read) until the daemon holds at least 1 MiB per stream that the kernel has
// not taken: the socket buffers alone (up to tcp_wmem's 4 MiB) must not be able
// to hide a lost queue. *events gets the number published; they are the first
// events of the daemon, so their ids are <epoch>-1, -2, ... (in *ids if given).
void publish_until_queued(HttpClient& api, const std::string& channel, int streams, int* events,
                          std::vector<std::string>* ids = nullptr) {
    std::string epoch;
    constexpr int64_t kPad = 32 * 1024;
    const int64_t margin = int64_t(streams) << 20;
    const std::string pad(kPad, 'q');
    int64_t payload = 0, sent = 0;
    while (*events < 1000) {
        for (int k = 0; k < 20; ++k) {
            ++*events;
            auto r = publish(api, channel, "bulk",
                             "{\"n\":" + std::to_string(*events) + ",\"pad\":\"" + pad + "\"}");
            ASSERT_TRUE(r) << api.error();
            ASSERT_EQ(r->response.status, 200) << r->response.describe();
            ASSERT_EQ(r->sent, streams);
            if (*events == 1) epoch = id_epoch(r->id);
            ASSERT_EQ(r->id, event_id(epoch, uint64_t(*events)));
            if (ids) ids->push_back(r->id);
            payload += int64_t(streams) * kPad;
        }
        auto stats = fetch_stats(api);
        ASSERT_TRUE(stats) << api.error();
        // bytesSent also counts framing and API replies, so this underestimates
        // what is still queued.
        sent = total_bytes_sent(*stats);
        if (payload - sent >= margin) return;
    }
    FAIL() << "precondition: after " << *events << " events (" << payload
           << " payload bytes) the daemon "
           << "had sent " << sent << " bytes; nothing stays queued";
}

TEST(Shutdown, SigtermFlushesQueuedEventsThenClosesAndExitsZero) {
    constexpr int kClients = 4;
    DaemonProcess d;
    // Queues of up to 64 MiB, nothing dropped (queue_limit as large): the test is
    // about flushing them.
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = "[server]\nshutdown_timeout = \"20s\"\n[delivery]\n"
                                   "max_queue = \"64MiB\"\nqueue_limit = \"64MiB\"\n"}))
        << d.error();

    // Streams that do not read until the daemon is told to stop: what is
    // published piles up in their queues.
    std::vector<std::unique_ptr<SseClient>> clients;
    for (int i = 0; i < kClients; ++i) {
        auto c = std::make_unique<SseClient>();
        ASSERT_TRUE(c->open(d.port(), "/api/sse/stream?channels=drain", Deadline(5s), {}, 4096))
            << c->error();
        ASSERT_EQ(c->status(), 200);
        clients.push_back(std::move(c));
    }
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    int events = 0;
    std::vector<std::string> ids;
    ASSERT_NO_FATAL_FAILURE(publish_until_queued(api, "drain", kClients, &events, &ids));

    ASSERT_TRUE(d.signal(SIGTERM));

    // Each stream gets every event, then a clean end of stream.
    for (int i = 0; i < kClients; ++i) {
        SseClient& c = *clients[i];
        ASSERT_TRUE(c.read_to_eof(Deadline(20s))) << "client " << i << " not closed after SIGTERM";
        EXPECT_EQ(c.end_status(), IoStatus::eof)
            << "client " << i << ": the stream must end with a FIN";
        auto evs = c.data_events();
        ASSERT_EQ(evs.size(), size_t(events)) << "client " << i << " lost queued events";
        for (int k = 0; k < events; ++k) {
            ASSERT_EQ(evs[k].last_event_id, ids[size_t(k)]) << "client " << i;
            ASSERT_TRUE(evs[k].data.starts_with("{\"n\":" + std::to_string(k + 1) + ","))
                << "client " << i;
        }
        EXPECT_TRUE(c.raw_body().ends_with("\n\n"))
            << "client " << i << ": the stream ended mid-event";
    }
    // The idle keep-alive API connection is closed too.
    EXPECT_TRUE(api.await_close(Deadline(10s)));

    auto code = d.wait_exit(Deadline(15s));
    ASSERT_TRUE(code) << "ringcastd did not exit after SIGTERM";
    EXPECT_EQ(*code, 0);

    // Nothing listens any more.
    TcpConnection late;
    EXPECT_FALSE(late.connect(d.port(), Deadline(2s)));
}

// A daemon with one stream whose reader never reads and a backlog of events
// queued for it, so a drain cannot finish on its own: shutdown must end it.
struct StuckReader {
    // Fills the members; call with ASSERT_NO_FATAL_FAILURE.
    void start(const std::string& shutdown_timeout) {
        ASSERT_TRUE(d.start({.shards = 2,
                             .config = "[server]\nshutdown_timeout = \"" + shutdown_timeout +
                                       "\"\n[delivery]\nmax_queue = \"64MiB\"\n"
                                       "queue_limit = \"64MiB\"\n"
                                       "write_timeout = \"60s\"\n"}))
            << d.error();
        ASSERT_TRUE(stuck.open(d.port(), "/api/sse/stream?channels=s", Deadline(5s), {}, 4096))
            << stuck.error();
        api.emplace(d.port());
        ASSERT_TRUE(api->connect()) << api->error();
        ASSERT_NO_FATAL_FAILURE(publish_until_queued(*api, "s", 1, &events));
    }

    DaemonProcess d;
    SseClient stuck;
    std::optional<HttpClient> api;
    int events = 0;
};

TEST(Shutdown, ShutdownTimeoutCutsAReaderThatNeverReads) {
    StuckReader r;
    ASSERT_NO_FATAL_FAILURE(r.start("1s"));
    DaemonProcess& d = r.d;
    SseClient& stuck = r.stuck;
    int& events = r.events;
    auto started = Clock::now();
    ASSERT_TRUE(d.signal(SIGTERM));
    auto code = d.wait_exit(Deadline(10s));
    int64_t took = ms_since(started);
    ASSERT_TRUE(code) << "ringcastd did not exit with a reader that never reads";
    EXPECT_EQ(*code, 0);
    EXPECT_GE(took, 800) << "the reader had shutdown_timeout (1 s) to catch up";
    EXPECT_LE(took, 5000) << "shutdown_timeout = 1s";
    // The stream was cut: reading yields part of the events, then the end.
    EXPECT_TRUE(stuck.read_to_eof(Deadline(10s)));
    EXPECT_LT(stuck.data_events().size(), size_t(events));
}

TEST(Shutdown, SigintAlsoDrainsAndExitsZero) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 4})) << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=i")) << s.error();
    ASSERT_TRUE(s.await_events(1, Deadline(5s)));
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto r = publish(api, "i", "last", "\"words\"");
    ASSERT_TRUE(r) << api.error();
    ASSERT_TRUE(d.signal(SIGINT));
    EXPECT_TRUE(s.read_to_eof(Deadline(10s)));
    ASSERT_EQ(s.data_events().size(), 1u);
    EXPECT_EQ(s.data_events()[0].data, "\"words\"");
    auto code = d.wait_exit(Deadline(10s));
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0);
}

// One round of PublishesInFlightAreAnsweredTruthfully on a fresh daemon.
void publish_through_sigterm_round(int round) {
    SCOPED_TRACE("round " + std::to_string(round));
    constexpr int kStreams = 32, kPublishers = 8, kRequests = 200;
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 4})) << d.error();
    SseFleet fleet(d.port());
    for (int i = 0; i < kStreams; ++i)
        fleet.add("/api/sse/stream?channels=t");
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();

    std::vector<std::unique_ptr<HttpClient>> pubs;
    for (int p = 0; p < kPublishers; ++p) {
        pubs.push_back(std::make_unique<HttpClient>(d.port()));
        ASSERT_TRUE(pubs.back()->connect()) << pubs.back()->error();
    }
    for (int p = 0; p < kPublishers; ++p) {
        std::string batch;
        for (int k = 1; k <= kRequests; ++k)
            batch += build_request("POST", "/api/publish",
                                   publish_body("t", "e", std::to_string(p * 1000 + k)));
        ASSERT_TRUE(pubs[p]->send(batch)) << pubs[p]->error();
    }

    std::map<std::string, int64_t> sent_by_data;  // event data -> `sent` in its reply
    for (int p = 0; p < kPublishers; ++p) {
        for (int k = 1;; ++k) {
            auto r = pubs[p]->read_response(Deadline(10s));
            if (!r) break;
            // Stop the daemon once the first reply is in: the rest are in flight.
            if (p == 0 && k == 1) {
                ASSERT_TRUE(d.signal(SIGTERM));
            }
            fleet.pump(0);
            if (r->status != 200) {
                EXPECT_EQ(check_json_error(*r, 503, "unavailable"), "");
                continue;
            }
            auto j = r->json();
            ASSERT_TRUE(j) << r->body;
            EXPECT_LE((*j)["sent"].as_int() + (*j)["failed"].as_int(), kStreams) << r->body;
            sent_by_data[std::to_string(p * 1000 + k)] = (*j)["sent"].as_int();
        }
        EXPECT_EQ(pubs[p]->pending(), "") << "a response was cut off";
    }
    ASSERT_TRUE(fleet.run_until(
        [&] {
            for (size_t i = 0; i < fleet.size(); ++i)
                if (!fleet[i].ended) return false;
            return true;
        },
        Deadline(10s)))
        << "streams still open after SIGTERM";

    std::map<std::string, int64_t> received;  // event data -> streams that got it
    for (size_t i = 0; i < fleet.size(); ++i)
        for (const SseEvent* e : fleet[i].data_events())
            ++received[e->data];
    EXPECT_FALSE(sent_by_data.empty());
    int lies = 0;
    for (const auto& [data, sent] : sent_by_data) {
        int64_t got = received.count(data) ? received[data] : 0;
        if (got != sent && ++lies <= 5)
            ADD_FAILURE() << "event " << data << ": the reply said sent " << sent << ", " << got
                          << " streams received it";
    }
    EXPECT_EQ(lies, 0) << "publish replies whose `sent` differs from what the streams received";
    for (const auto& [data, n] : received)
        EXPECT_TRUE(sent_by_data.count(data))
            << "event " << data << " was delivered but never answered";
    auto code = d.wait_exit(Deadline(10s));
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0);
}

// Publishes pipelined at the moment SIGTERM arrives: every one the daemon
// answers is answered completely, and the `sent` of each reply is exactly the
// number of streams that received the event before their end. Where SIGTERM
// lands among the deliveries is up to the scheduler, so the scenario runs a
// few times on fresh daemons.
TEST(Shutdown, PublishesInFlightAreAnsweredTruthfully) {
    for (int round = 1; round <= 5 && !HasFailure(); ++round)
        publish_through_sigterm_round(round);
}

TEST(Shutdown, SecondSignalSkipsTheDrain) {
    StuckReader r;
    ASSERT_NO_FATAL_FAILURE(r.start("60s"));
    DaemonProcess& d = r.d;
    HttpClient& api = *r.api;
    ASSERT_TRUE(d.signal(SIGTERM));
    // Draining has begun once the idle API connection is closed.
    ASSERT_TRUE(api.await_close(Deadline(10s)));
    EXPECT_FALSE(d.wait_exit(Deadline(300ms))) << "ringcastd exited with a stream still draining";
    auto started = Clock::now();
    ASSERT_TRUE(d.signal(SIGTERM));
    auto code = d.wait_exit(Deadline(10s));
    ASSERT_TRUE(code) << "a second SIGTERM did not end the drain";
    EXPECT_EQ(*code, 0);
    EXPECT_LE(ms_since(started), 5000);
}

TEST(Shutdown, SighupDoesNotStopTheDaemon) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=hup")) << s.error();
    ASSERT_TRUE(s.await_events(1, Deadline(5s)));
    ASSERT_TRUE(d.signal(SIGHUP));
    // Still serving: the stream gets an event published after the signal.
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto r = publish(api, "hup", "after", "1");
    ASSERT_TRUE(r) << api.error();
    EXPECT_EQ(r->sent, 1);
    EXPECT_TRUE(s.await_events(2, Deadline(5s)));
    EXPECT_FALSE(s.ended());
    EXPECT_TRUE(d.running());
    EXPECT_EQ(d.stop(), std::optional<int>(0));
}

TEST(Shutdown, ReuseportListenersDrainToo) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 3, .extra_args = {"--accept", "reuseport"}})) << d.error();
    std::vector<std::unique_ptr<SseClient>> streams;
    for (int i = 0; i < 12; ++i) {
        streams.push_back(std::make_unique<SseClient>());
        ASSERT_TRUE(streams.back()->open(d.port(), "/api/sse/stream?channels=r"))
            << streams.back()->error();
    }
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    for (int k = 1; k <= 5; ++k)
        ASSERT_TRUE(publish(api, "r", "e", std::to_string(k)));
    ASSERT_TRUE(d.signal(SIGTERM));
    for (auto& s : streams) {
        EXPECT_TRUE(s->read_to_eof(Deadline(10s)));
        EXPECT_EQ(s->data_events().size(), 5u);
    }
    auto code = d.wait_exit(Deadline(10s));
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0);
}

}  // namespace
}  // namespace ringcast::itest

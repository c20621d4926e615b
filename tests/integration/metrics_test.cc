// GET /metrics and the health checks on the real daemon: the scrape is valid
// Prometheus text (a strict reader, prometheus_text.h), its counters move as
// streams connect, events are published over HTTP and the socket and a slow
// reader is cut off; histograms count what happened; who may read what, on
// the main listener and on [metrics] listen; a scrape answers at once while a
// shard is stopped, and shows that shard's snapshot ageing; /healthz/ready
// says which check fails and why when the store cannot write (a full disk: a
// tiny tmpfs).
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "prometheus_text.h"
#include "publish_support.h"
#include "sse_fleet.h"
#include "stopped_thread.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

const Headers kKey = {{"X-API-Key", std::string(kTestApiKey)}};

// GET /metrics on `port`, parsed; fails the test on a bad answer.
PromScrape scrape(uint16_t port, const Headers& headers = kKey) {
    HttpClient c(port);
    EXPECT_TRUE(c.connect()) << c.error();
    auto r = c.request("GET", "/metrics", {}, headers);
    if (!r) {
        ADD_FAILURE() << "no answer to GET /metrics: " << c.error();
        return {};
    }
    EXPECT_EQ(r->status, 200) << r->describe();
    EXPECT_EQ(r->header("content-type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
    PromScrape p = parse_prometheus_text(r->body);
    EXPECT_EQ(p.error, "") << r->body;
    return p;
}

// Scrapes until pred holds: the daemon counts on other shards, asynchronously,
// and a scrape shows each shard's latest snapshot, taken every [metrics]
// snapshot_interval (1 s by default), so a count may appear one interval late.
bool await_scrape(uint16_t port, const std::function<bool(const PromScrape&)>& pred,
                  const Deadline& d, PromScrape* last, SseFleet* fleet = nullptr,
                  const Headers& headers = kKey) {
    for (;;) {
        *last = scrape(port, headers);
        if (pred(*last)) return true;
        if (d.expired()) return false;
        if (fleet) {
            fleet->pump(20);
        } else {
            usleep(20'000);
        }
    }
}

std::optional<HttpResponse> get(uint16_t port, const std::string& path, const Headers& h = {}) {
    HttpClient c(port);
    if (!c.connect()) return std::nullopt;
    return c.request("GET", path, {}, h);
}

// The port of the metrics listener, from the daemon's announcement.
uint16_t metrics_port(const DaemonProcess& d) {
    std::smatch m;
    const std::string log = d.log();
    if (!std::regex_search(log, m, std::regex("metrics listener on http://127\\.0\\.0\\.1:(\\d+)")))
        return 0;
    return uint16_t(std::stoi(m[1]));
}

TEST(Metrics, CountersMoveWithStreamsAndPublishes) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[metrics]\nchannels = [\"news\"]\n"})) << d.error();
    // Shard 1's first snapshot is taken before its loop ever turned: await the next.
    PromScrape before;
    ASSERT_TRUE(await_scrape(
        d.port(),
        [](const PromScrape& p) {
            return p.value("ringcast_shard_loop_turns_total", {{"shard", "1"}}) >= 1;
        },
        Deadline(5s), &before));
    ASSERT_EQ(before.error, "");
    EXPECT_EQ(before.sum("ringcast_connections"), 0);
    EXPECT_EQ(before.value("ringcast_events_published_total", {{"via", "http"}}), 0);
    EXPECT_EQ(before.types.at("ringcast_delivery_latency_seconds"), "histogram");
    EXPECT_EQ(before.value("ringcast_store_enabled"), 1);
    // Every shard has its own series.
    EXPECT_GE(before.value("ringcast_shard_loop_turns_total", {{"shard", "1"}}), 1);
    EXPECT_GE(before.value("ringcast_shard_loop_lag_seconds", {{"shard", "0"}}), 0);
    EXPECT_EQ(before.value("ringcast_io_uring_cq_overflow_total", {{"shard", "0"}}), 0);
    EXPECT_GT(before.value("ringcast_process_resident_memory_bytes"), 0);

    SseFleet fleet(d.port());
    for (int i = 0; i < 3; ++i)
        fleet.add("/api/sse/stream?channels=news");
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();
    PromScrape s;
    ASSERT_TRUE(await_scrape(
        d.port(), [](const PromScrape& p) { return p.sum("ringcast_connections") == 3; },
        Deadline(5s), &s, &fleet));
    EXPECT_EQ(s.value("ringcast_endpoint_connections", {{"endpoint", "/api/sse/stream"}}), 3);
    EXPECT_EQ(s.value("ringcast_channel_subscribers", {{"channel", "news"}}), 3);
    EXPECT_GE(s.value("ringcast_connections_accepted_total"), 3);

    HttpClient pub(d.port());
    ASSERT_TRUE(pub.connect());
    for (int i = 0; i < 5; ++i) {
        auto r =
            pub.request("POST", "/api/publish", publish_body("news", "tick", "{\"n\":1}"), kKey);
        ASSERT_TRUE(r && r->status == 200) << (r ? r->describe() : pub.error());
    }
    UnixClient sock;
    ASSERT_TRUE(sock.connect(socket_path(d))) << sock.error();
    for (int i = 0; i < 2; ++i) {
        auto line = sock.request(publish_line("1", "news", "tick", "{\"n\":2}"));
        ASSERT_TRUE(line && parse_reply(*line)["ok"].as_bool()) << sock.error();
    }
    ASSERT_TRUE(fleet.run_until(
        [&] {
            for (size_t i = 0; i < fleet.size(); ++i)
                if (fleet[i].data_events().size() < 7) return false;
            return true;
        },
        Deadline(10s)))
        << fleet.problems();

    ASSERT_TRUE(await_scrape(
        d.port(),
        [](const PromScrape& p) {
            // Every figure asserted below: they come from snapshots of different shards.
            return p.value("ringcast_deliveries_total") == 21 &&
                   p.value("ringcast_delivery_latency_seconds_count") >= 7 &&
                   p.value("ringcast_events_published_total", {{"via", "http"}}) == 5 &&
                   p.value("ringcast_events_published_total", {{"via", "socket"}}) == 2 &&
                   p.value("ringcast_events_sequenced_total") == 7 &&
                   p.value("ringcast_publish_ack_latency_seconds_count") == 7 &&
                   p.value("ringcast_keep_events", {{"keep", "history"}}) >= 7;
        },
        Deadline(5s), &s, &fleet))
        << "deliveries " << s.value("ringcast_deliveries_total") << ", latency count "
        << s.value("ringcast_delivery_latency_seconds_count");
    EXPECT_EQ(s.value("ringcast_events_published_total", {{"via", "http"}}), 5);
    EXPECT_EQ(s.value("ringcast_events_published_total", {{"via", "socket"}}), 2);
    EXPECT_EQ(s.value("ringcast_events_sequenced_total"), 7);
    // One observation per event per shard that had recipients: 3 streams on 2 shards.
    EXPECT_LE(s.value("ringcast_delivery_latency_seconds_count"), 14);
    // Every acknowledged publish: 5 over HTTP, 2 on the socket with "req".
    EXPECT_EQ(s.value("ringcast_publish_ack_latency_seconds_count"), 7);
    EXPECT_GT(s.value("ringcast_publish_ack_latency_seconds_sum"), 0);
    EXPECT_GT(s.value("ringcast_sent_bytes_total"), before.value("ringcast_sent_bytes_total"));
    EXPECT_GE(s.value("ringcast_keep_events", {{"keep", "history"}}), 7);
    EXPECT_GE(s.value("ringcast_store_records_written_total"), 0);
    // No channel is named unless listed.
    for (const PromSample& x : s.samples)
        if (x.labels.count("channel")) EXPECT_EQ(x.labels.at("channel"), "news") << x.name;
}

TEST(Metrics, SlowReaderDisconnectIsCountedByReason) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[delivery]\nqueue_limit = \"64KiB\"\nmax_queue = "
                                   "\"16MiB\"\nslow_reader = \"disconnect\"\n"}))
        << d.error();
    SseFleet fleet(d.port());
    const size_t stalled = fleet.add("/api/sse/stream?channels=flood", 4096);
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();
    fleet.stop_reading(stalled);
    UnixClient pub;
    ASSERT_TRUE(pub.connect(socket_path(d))) << pub.error();
    const std::string pad(4000, 'x');
    PromScrape s;
    // Fire and forget until the daemon closes the stream for its queue.
    for (int round = 0; round < 50; ++round) {
        std::string lines;
        for (int i = 0; i < 50; ++i)
            lines += publish_line("", "flood", "tick", "{\"pad\":\"" + pad + "\"}") + "\n";
        ASSERT_TRUE(pub.send(lines));
        s = scrape(d.port());
        if (s.value("ringcast_slow_reader_disconnects_total", {{"reason", "queue_limit"}}) >= 1)
            break;
    }
    ASSERT_TRUE(await_scrape(
        d.port(),
        [](const PromScrape& p) {
            return p.value("ringcast_slow_reader_disconnects_total", {{"reason", "queue_limit"}}) ==
                       1 &&
                   p.value("ringcast_events_published_total", {{"via", "socket"}}) >= 50;
        },
        Deadline(10s), &s));
    EXPECT_EQ(s.value("ringcast_slow_reader_disconnects_total", {{"reason", "max_queue"}}), 0);
    EXPECT_EQ(s.value("ringcast_slow_reader_disconnects_total", {{"reason", "write_timeout"}}), 0);
    EXPECT_GE(s.value("ringcast_events_published_total", {{"via", "socket"}}), 50);
    EXPECT_EQ(s.value("ringcast_events_published_total", {{"via", "http"}}), 0);
}

TEST(Metrics, WhoMayReadWhat) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[metrics]\nlisten = \"127.0.0.1:0\"\n"})) << d.error();
    // Main listener: credentials for /metrics and ready; live is open.
    auto r = get(d.port(), "/metrics");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << r->describe();
    EXPECT_EQ(check_json_error(*r, 401, "unauthorized"), "");
    r = get(d.port(), "/healthz/ready");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << r->describe();
    r = get(d.port(), "/healthz/live");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->describe();
    EXPECT_EQ(r->body, "{\"status\":\"ok\"}");
    r = get(d.port(), "/healthz/ready", kKey);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->describe();
    r = get(d.port(), "/healthz/nothing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);

    // The metrics listener: open, and nothing else.
    const uint16_t mport = metrics_port(d);
    ASSERT_NE(mport, 0) << d.log();
    ASSERT_NE(mport, d.port());
    PromScrape s = scrape(mport, {});
    EXPECT_EQ(s.error, "");
    r = get(mport, "/healthz/ready");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->describe();
    r = get(mport, "/api/stats", kKey);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << r->describe();
    EXPECT_NE(r->body.find("serves only /metrics"), std::string::npos) << r->body;
    r = get(mport, "/api/sse/stream?channels=a");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << r->describe();
    HttpClient c(mport);
    ASSERT_TRUE(c.connect());
    r = c.request("POST", "/metrics", "x");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405) << r->describe();
    // Refusals on the main listener were counted, by reason.
    EXPECT_TRUE(await_scrape(
        mport,
        [](const PromScrape& p) {
            return p.value("ringcast_requests_refused_total", {{"reason", "unauthorized"}}) >= 2;
        },
        Deadline(5s), &s, nullptr, {}));
    EXPECT_EQ(s.value("ringcast_requests_refused_total", {{"reason", "unauthorized"}}), 2);
}

TEST(Metrics, OpenOnTheMainListener) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[metrics]\nopen = true\n"})) << d.error();
    PromScrape s = scrape(d.port(), {});
    EXPECT_EQ(s.error, "");
    auto r = get(d.port(), "/healthz/ready");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->describe();
    // The rest of the API still asks for its credentials (the test client adds
    // them to /api/stats by itself: another admin route).
    r = get(d.port(), "/api/connections");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << r->describe();
}

// A scrape reads the snapshots the shards left (ops/metrics_board.h) and asks
// no shard: with shard 1's thread stopped (as a handler stuck in a loop would
// hold it), /metrics on the metrics listener (shard 0's) still answers at once,
// shard 1's snapshot age grows while shard 0's stays within its interval, and
// shard 1's counters stay where they were (never lower). Once shard 1 runs
// again its snapshot is fresh again.
TEST(Metrics, ScrapeAnswersWhileAShardIsStopped) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = "[metrics]\nlisten = \"127.0.0.1:0\"\n"
                                   "snapshot_interval = \"100ms\"\n"}))
        << d.error();
    const uint16_t mport = metrics_port(d);
    ASSERT_NE(mport, 0) << d.log();
    const auto age = [](const PromScrape& p, const char* shard) {
        return p.value("ringcast_metrics_snapshot_age_seconds", {{"shard", shard}});
    };
    const auto turns = [](const PromScrape& p) {
        return p.value("ringcast_shard_loop_turns_total", {{"shard", "1"}});
    };
    PromScrape s;
    ASSERT_TRUE(
        await_scrape(mport, [&](const PromScrape& p) { return turns(p) >= 1 && age(p, "1") < 0.5; },
                     Deadline(5s), &s, nullptr, {}));
    const double turns_before = turns(s);

    pid_t tid = thread_named(d.pid(), "ringcast-s1");
    ASSERT_GT(tid, 0) << "no thread named ringcast-s1 in the daemon";
    StoppedThread stalled;
    std::string why;
    if (!stalled.stop(tid, &why)) GTEST_SKIP() << "cannot stop one thread here: " << why;
    // Every scrape answers promptly (a shard call to shard 1 would never come
    // back), until shard 1's snapshot is over a second old.
    const Deadline until(10s);
    for (;;) {
        HttpClient c(mport);
        ASSERT_TRUE(c.connect()) << c.error();
        const auto started = std::chrono::steady_clock::now();
        auto r = c.request("GET", "/metrics", {}, {}, Deadline(2s));
        const auto took = std::chrono::steady_clock::now() - started;
        ASSERT_TRUE(r) << "no answer to GET /metrics with shard 1 stopped: " << c.error();
        ASSERT_EQ(r->status, 200) << r->describe();
        EXPECT_LT(took, 500ms) << "a scrape took "
                               << std::chrono::duration<double, std::milli>(took).count() << " ms";
        s = parse_prometheus_text(r->body);
        ASSERT_EQ(s.error, "") << r->body;
        ASSERT_GE(turns(s), turns_before) << "a counter went back";
        if (age(s, "1") >= 1.0) break;
        ASSERT_FALSE(until.expired()) << "shard 1's snapshot age stayed at " << age(s, "1");
        usleep(50'000);
    }
    EXPECT_LT(age(s, "0"), 1.0) << "shard 0 runs: its snapshot is taken every 100 ms";

    stalled.resume();
    ASSERT_TRUE(await_scrape(mport, [&](const PromScrape& p) { return age(p, "1") < 0.5; },
                             Deadline(5s), &s, nullptr, {}))
        << "shard 1's snapshot age stayed at " << age(s, "1") << " after it ran again";
    EXPECT_GT(turns(s), turns_before);
}

// [metrics] snapshot_interval applies on reload: with an hour between
// snapshots a publish stays out of the scrape; reloaded to 100 ms, it appears.
TEST(Metrics, SnapshotIntervalChangesOnReload) {
    const std::string listen = "[metrics]\nlisten = \"127.0.0.1:0\"\n";
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 2, .config = listen + "snapshot_interval = \"1h\"\n", .keep_notify = true}))
        << d.error();
    const uint16_t mport = metrics_port(d);
    ASSERT_NE(mport, 0) << d.log();
    UnixClient sock;
    ASSERT_TRUE(sock.connect(socket_path(d))) << sock.error();
    auto line = sock.request(publish_line("1", "news", "tick", "{\"n\":1}"));
    ASSERT_TRUE(line && parse_reply(*line)["ok"].as_bool()) << sock.error();
    // Published and answered; the snapshots are still the ones from the start.
    PromScrape s = scrape(mport, {});
    EXPECT_EQ(s.value("ringcast_events_published_total", {{"via", "socket"}}), 0);

    d.dir().write("ringcast.toml", listen + "snapshot_interval = \"100ms\"\n");
    ASSERT_TRUE(d.signal(SIGHUP));
    ASSERT_TRUE(d.await_notify("STATUS=configuration reloaded", Deadline(10s)));
    EXPECT_TRUE(await_scrape(
        mport,
        [](const PromScrape& p) {
            return p.value("ringcast_events_published_total", {{"via", "socket"}}) == 1 &&
                   p.value("ringcast_metrics_snapshot_age_seconds", {{"shard", "0"}}) < 1 &&
                   p.value("ringcast_metrics_snapshot_age_seconds", {{"shard", "1"}}) < 1;
        },
        Deadline(5s), &s, nullptr, {}))
        << "published " << s.value("ringcast_events_published_total", {{"via", "socket"}});
}

TEST(Health, ReadyNamesItsChecks) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    auto r = get(d.port(), "/healthz/ready", kKey);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->describe();
    Json j = *r->json();
    EXPECT_EQ(j["status"].as_string(), "ready");
    EXPECT_TRUE(j["checks"]["shards"]["ok"].as_bool());
    EXPECT_EQ(j["checks"]["shards"]["shards"].as_int(), 2);
    EXPECT_TRUE(j["checks"]["store"]["ok"].as_bool());
    EXPECT_TRUE(j["checks"]["store"]["enabled"].as_bool());
    EXPECT_TRUE(j["checks"]["draining"]["ok"].as_bool());
}

// A data directory on a tmpfs of its own, so that the disk can be filled.
class SmallDisk {
public:
    explicit SmallDisk(const std::string& path) : _path(path) {
        ::mkdir(path.c_str(), 0755);
        _mounted = ::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=4m") == 0;
        if (!_mounted) _why = std::strerror(errno);
    }
    ~SmallDisk() {
        if (_mounted) ::umount2(_path.c_str(), MNT_DETACH);
    }
    bool mounted() const { return _mounted; }
    const std::string& why() const { return _why; }
    // Writes a file until the disk is full.
    void fill() {
        std::ofstream f(_path + "/filler", std::ios::binary);
        const std::string block(64 * 1024, 'f');
        for (int i = 0; i < 1000 && f.write(block.data(), block.size()); ++i)
            f.flush();
    }
    void free_space() { ::unlink((_path + "/filler").c_str()); }

private:
    std::string _path;
    bool _mounted = false;
    std::string _why;
};

TEST(Health, FullDiskMakesTheStoreUnready) {
    TempDir dir;
    SmallDisk disk(dir.path() + "/disk");
    if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here: " << disk.why();
    DaemonProcess d;
    ASSERT_TRUE(d.start({.data_dir = dir.path() + "/disk"})) << d.error();
    auto r = get(d.port(), "/healthz/ready", kKey);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->describe();

    disk.fill();
    HttpClient pub(d.port());
    ASSERT_TRUE(pub.connect());
    const std::string pad(100'000, 'p');
    Json j;
    const Deadline until(10s);
    // Events kept in history go to the store; with the disk full its commits fail.
    for (int i = 0;; ++i) {
        auto p = pub.request("POST", "/api/publish",
                             publish_body("disk", "tick", "{\"pad\":\"" + pad + "\"}"), kKey);
        ASSERT_TRUE(p && p->status == 200) << (p ? p->describe() : pub.error());
        r = get(d.port(), "/healthz/ready", kKey);
        ASSERT_TRUE(r);
        if (r->status == 503) break;
        ASSERT_FALSE(until.expired()) << "still ready after " << i << " events: " << r->body;
        usleep(20'000);
    }
    j = *r->json();
    EXPECT_EQ(j["status"].as_string(), "unready");
    EXPECT_FALSE(j["checks"]["store"]["ok"].as_bool()) << r->body;
    EXPECT_NE(j["checks"]["store"]["reason"].as_string().find("store commits have failed"),
              std::string::npos)
        << r->body;
    EXPECT_TRUE(j["checks"]["shards"]["ok"].as_bool());
    EXPECT_TRUE(r->header("retry-after").has_value());
    PromScrape s;
    EXPECT_TRUE(await_scrape(
        d.port(),
        [](const PromScrape& p) {
            return p.value("ringcast_store_commits_total", {{"result", "failed"}}) >= 1;
        },
        Deadline(5s), &s));
    EXPECT_GE(s.value("ringcast_store_commits_total", {{"result", "failed"}}), 1);

    // Space again: the writer's retry commits, and the daemon is ready again.
    disk.free_space();
    const Deadline again(10s);
    for (;;) {
        r = get(d.port(), "/healthz/ready", kKey);
        ASSERT_TRUE(r);
        if (r->status == 200) break;
        ASSERT_FALSE(again.expired()) << r->body;
        usleep(20'000);
    }
    EXPECT_EQ((*r->json())["checks"]["store"]["ok"].as_bool(), true);
    ASSERT_TRUE(d.stop().has_value());
}

}  // namespace
}  // namespace ringcast::itest

// Durability (the store) through real restarts of the daemon on one data
// directory: after SIGTERM the next daemon continues the numbering and a client
// resuming with its Last-Event-ID misses nothing; persistent events and mail
// survive; after a kill -9 what was committed survives and a resume from before
// the crash is told history-gap; one store, one daemon.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "keeps_support.h"
#include "publish_support.h"
#include "restart_support.h"
#include "sse_client.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

std::string msg(const std::string& channel, const std::string& data, const std::string& more = {}) {
    return R"({"channel":")" + channel + R"(","event":"e","data":)" + data + more + "}";
}

class Restart : public ::testing::Test {
protected:
    // Starts a daemon on the shared data directory.
    std::unique_ptr<DaemonProcess> start() {
        auto d = std::make_unique<DaemonProcess>();
        DaemonOptions o;
        o.config = keeps_config();
        o.data_dir = _data.path() + "/data";
        EXPECT_TRUE(d->start(o)) << d->error();
        return d;
    }
    TempDir _data;
};

TEST_F(Restart, AfterSigtermTheNextDaemonContinuesAndAResumeMissesNothing) {
    auto first = start();
    HttpClient api(first->port());
    ASSERT_TRUE(api.connect());
    auto s = open_stream(first->port(), stream_target("a,b"));
    std::string seen = publish_json(api, msg("a", "1"));
    ASSERT_TRUE(s->await_events(2, Deadline(kIoTimeout)));
    s.reset();  // the client goes away
    std::vector<std::string> missed = {publish_json(api, msg("b", "2")),
                                       publish_json(api, msg("a", "3", R"(,"persistent":true)"))};
    publish_json(api, msg("n", R"("mail")", R"(,"targetUsers":["42"],"retryable":true)"));
    ASSERT_EQ(first->stop(), 0) << first->log();
    EXPECT_NE(first->log().find("closed cleanly"), std::string::npos) << first->log();

    auto second = start();
    EXPECT_NE(second->log().find("loaded in"), std::string::npos) << second->log();
    HttpClient api2(second->port());
    ASSERT_TRUE(api2.connect());
    // The resume: exactly what it missed, no gap.
    auto back = open_stream(second->port(), stream_target("a,b"), {{"Last-Event-ID", seen}});
    read_past_marker(api2, *back, "a");
    EXPECT_EQ(before_marker(*back), (std::vector<std::string>{"2", "3"})) << back->raw_body();
    std::vector<SseEvent> got = back->data_events();
    ASSERT_GE(got.size(), 3u);
    EXPECT_EQ(got[0].last_event_id, missed[0]);
    EXPECT_EQ(got[1].last_event_id, missed[1]);
    // The numbering goes on: same epoch, the next sequence.
    EXPECT_EQ(id_epoch(got[2].last_event_id), id_epoch(seen));
    EXPECT_EQ(id_sequence(got[2].last_event_id), id_sequence(missed[1]) + 2)
        << "the mail event took a number too";
    // The persistent event reaches a new stream; the mail reaches 42.
    auto fresh = open_stream(second->port(), stream_target("a"));
    read_past_marker(api2, *fresh, "a");
    EXPECT_EQ(before_marker(*fresh), (std::vector<std::string>{"3"}));
    auto u42 = open_stream(second->port(), stream_target("n", "42"));
    read_past_marker(api2, *u42, "n");
    EXPECT_EQ(before_marker(*u42), (std::vector<std::string>{R"("mail")"}));
}

TEST_F(Restart, AfterAKillWhatWasCommittedSurvivesAndOlderResumesAreToldTheGap) {
    auto first = start();
    HttpClient api(first->port());
    ASSERT_TRUE(api.connect());
    std::string one = publish_json(api, msg("a", "1"));
    std::string two = publish_json(api, msg("a", "2"));
    await_committed(api, 2);
    ASSERT_TRUE(first->signal(SIGKILL));
    ASSERT_EQ(first->wait_exit(Deadline(kIoTimeout)), 128 + SIGKILL);
    ASSERT_TRUE(await_socket_refused(socket_path(*first)));

    auto second = start();
    EXPECT_NE(second->log().find("was not closed cleanly"), std::string::npos) << second->log();
    HttpClient api2(second->port());
    ASSERT_TRUE(api2.connect());
    auto back = open_stream(second->port(), stream_target("a"), {{"Last-Event-ID", one}});
    read_past_marker(api2, *back, "a");
    std::vector<SseEvent> got = back->data_events();
    ASSERT_GE(got.size(), 3u) << back->raw_body();
    EXPECT_EQ(got[0].type, "refresh");
    EXPECT_EQ(got[0].data, R"({"reason":"history-gap"})");
    EXPECT_EQ(got[1].last_event_id, two) << "what was committed is kept";
    // New events are numbered past anything the killed daemon may have handed out.
    EXPECT_EQ(id_epoch(got[2].last_event_id), id_epoch(two));
    EXPECT_GT(id_sequence(got[2].last_event_id), id_sequence(two) + 1'000'000);
    // A resume from after the restart is exact again.
    auto again =
        open_stream(second->port(), stream_target("a"), {{"Last-Event-ID", got[2].last_event_id}});
    read_past_marker(api2, *again, "a");
    EXPECT_TRUE(before_marker(*again).empty()) << again->raw_body();
}

TEST_F(Restart, TtlsAndBoundsStillApplyToWhatIsLoaded) {
    auto first = start();
    HttpClient api(first->port());
    ASSERT_TRUE(api.connect());
    const int64_t stamp = wall_now_ms() - 9000;  // its ttl ends about a second from now
    publish_json(api, msg("a", R"("short")",
                          R"(,"persistent":true,"ttl":10,"timestamp":)" + std::to_string(stamp)));
    publish_json(api, msg("a", R"("long")", R"(,"persistent":true)"));
    ASSERT_EQ(first->stop(), 0);
    // Wait out the ttl by the daemon's own clock: a new daemon's sweep counts it.
    auto second = start();
    HttpClient api2(second->port());
    ASSERT_TRUE(api2.connect());
    ASSERT_TRUE(await_stats(
        api2, [](const Json& s) { return s["cacheSize"].as_int() == 1; },
        Deadline(std::chrono::seconds(5))));
    auto s = open_stream(second->port(), stream_target("a"));
    read_past_marker(api2, *s, "a");
    EXPECT_EQ(before_marker(*s), (std::vector<std::string>{R"("long")"}));
}

TEST_F(Restart, OneStoreOneDaemon) {
    auto first = start();
    DaemonProcess second;
    DaemonOptions o;
    o.config = keeps_config();
    o.data_dir = first->data_dir();
    // Another socket path, so that it is the store that stops it.
    o.extra_args = {"--unix", _data.path() + "/other.sock"};
    EXPECT_FALSE(second.start(o));
    EXPECT_EQ(second.wait_exit(Deadline(kIoTimeout)), 3);
    EXPECT_NE(second.log().find("in use"), std::string::npos) << second.log();
}

}  // namespace
}  // namespace ringcast::itest

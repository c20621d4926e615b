// Crashes and restarts in any order never number an id twice, and every resume
// is exact or told history-gap. Where a restart continues the numbering: above
// both the stored high-water mark and the stored history floor, and after a
// crash 2^32 above them — a jump written to the store before the first id is
// handed out, so that a second crash, however soon, cannot undo it.
#include <signal.h>

#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "keeps_support.h"
#include "restart_support.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

constexpr char kRefreshGap[] = R"({"reason":"history-gap"})";

std::string event_on(const std::string& channel, int n) {
    return R"({"channel":")" + channel + R"(","event":"e","data":)" + std::to_string(n) + "}";
}

class CrashNumbering : public ::testing::Test {
protected:
    // A daemon on the shared data directory; `extra` is more TOML.
    std::unique_ptr<DaemonProcess> start(const std::string& extra = {}) {
        auto d = std::make_unique<DaemonProcess>();
        DaemonOptions o;
        o.config = keeps_config(extra);
        o.data_dir = _data.path() + "/data";
        EXPECT_TRUE(d->start(o)) << d->error();
        return d;
    }
    // Publishes `n` events on `channel`; their ids.
    std::vector<std::string> publish(uint16_t port, const std::string& channel, int n) {
        HttpClient api(port);
        EXPECT_TRUE(api.connect()) << api.error();
        std::vector<std::string> ids;
        for (int i = 0; i < n; ++i)
            ids.push_back(publish_json(api, event_on(channel, ++_published)));
        return ids;
    }

    TempDir _data;
    int _published = 0;
};

// Nothing a daemon numbers after this start is committed before the test kills it.
constexpr char kSlowCommits[] = "[store]\nflush_interval = \"10s\"\n";

TEST_F(CrashNumbering, TwoCrashesInARowNeverHandOutTheSameIds) {
    auto d = start();
    {
        HttpClient api(d->port());
        ASSERT_TRUE(api.connect());
        publish(d->port(), "a", 5);
        await_committed(api, 5);
    }
    crash(d);

    d = start(kSlowCommits);
    auto s = open_stream(d->port(), stream_target("a"));
    std::vector<std::string> seen = publish(d->port(), "a", 3);
    ASSERT_TRUE(s->await_events(4, Deadline(kIoTimeout))) << s->raw_body();
    const std::string last = s->parser().last_event_id();
    ASSERT_EQ(last, seen.back());
    s.reset();
    crash(d);  // before the next commit: the three events are lost

    d = start(kSlowCommits);
    std::vector<std::string> later = publish(d->port(), "a", 5);
    for (const std::string& id : later) {
        EXPECT_EQ(id_epoch(id), id_epoch(last));
        EXPECT_GT(id_sequence(id), id_sequence(last)) << id << " was numbered again";
    }
    HttpClient api(d->port());
    ASSERT_TRUE(api.connect());
    auto back = open_stream(d->port(), stream_target("a"), {{"Last-Event-ID", last}});
    read_past_marker(api, *back, "a");
    std::vector<SseEvent> got = back->data_events();
    ASSERT_GE(got.size(), 1u + later.size()) << back->raw_body();
    EXPECT_EQ(got[0].type, "refresh") << "the daemon cannot know what it lost: it must say so";
    EXPECT_EQ(got[0].data, kRefreshGap);
    for (size_t i = 0; i < later.size(); ++i)
        EXPECT_EQ(got[1 + i].last_event_id, later[i]);
}

TEST_F(CrashNumbering, ACleanRestartAfterACrashNumbersAboveTheRaisedFloor) {
    auto d = start();
    {
        HttpClient api(d->port());
        ASSERT_TRUE(api.connect());
        publish(d->port(), "a", 5);
        await_committed(api, 5);
    }
    crash(d);
    d = start();  // nothing published in this run
    ASSERT_EQ(d->stop(), 0) << d->log();

    d = start();
    HttpClient api(d->port());
    ASSERT_TRUE(api.connect());
    auto s = open_stream(d->port(), stream_target("a"));
    const std::string seen = publish(d->port(), "a", 1)[0];
    ASSERT_TRUE(s->await_events(2, Deadline(kIoTimeout))) << s->raw_body();
    s.reset();
    const std::string missed = publish(d->port(), "a", 1)[0];
    EXPECT_GT(id_sequence(seen), uint64_t(5) + (uint64_t(1) << 32) - 1)
        << "the numbering went back below the floor raised after the crash";
    // Nothing was lost since `seen`: the resume is exact.
    auto back = open_stream(d->port(), stream_target("a"), {{"Last-Event-ID", seen}});
    read_past_marker(api, *back, "a");
    std::vector<SseEvent> got = back->data_events();
    ASSERT_GE(got.size(), 2u) << back->raw_body();
    EXPECT_EQ(got[0].last_event_id, missed) << back->raw_body();
    EXPECT_EQ(got[1].type, "marker");
}

// Kills at random moments (right after a start, after publishing with or
// without the commit, with a stream that read or did not read), and clean stops
// in between, some right after a start. Every id is handed out once; after a clean stop every
// resume is exact, after a crash it is told history-gap, and either way it gets only events after
// its id, in order, each once, and everything kept after it.
TEST_F(CrashNumbering, KillsAtRandomMomentsNeverRepeatAnIdOrHideALoss) {
    const unsigned seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return int(rng() % unsigned(n)); };

    std::set<std::string> issued;    // every id a publish was answered with
    std::vector<std::string> acked;  // in publish order
    std::string last;                // the client's Last-Event-ID ("" before the first)
    bool crashed_since_last = false;
    auto note = [&](const std::vector<std::string>& ids) {
        for (const std::string& id : ids) {
            EXPECT_TRUE(issued.insert(id).second) << id << " was handed out twice";
            acked.push_back(id);
        }
    };

    for (int round = 0; round < 16; ++round) {
        // How this run ends: 0 killed right after its start, 1 stopped right
        // after its start, 2 killed and 3 stopped after a resume and publishes.
        const int how = pick(4);
        // Commits every 10 s: nothing this run numbers is committed before a kill.
        const bool slow = pick(2);
        SCOPED_TRACE("round " + std::to_string(round) + ", end " + std::to_string(how) +
                     (slow ? ", slow commits" : ""));
        auto d = start(slow ? kSlowCommits : "");
        if (how == 0) {
            crash(d);
            crashed_since_last = true;
            continue;
        }
        if (how == 1) {
            ASSERT_EQ(d->stop(), 0) << d->log();
            continue;
        }
        HttpClient api(d->port());
        ASSERT_TRUE(api.connect());
        Headers h;
        if (!last.empty()) h.push_back({"Last-Event-ID", last});
        auto s = open_stream(d->port(), stream_target("a"), h);
        const std::string marker =
            publish_json(api, R"({"channel":"a","event":"marker","data":0})");
        note({marker});
        ASSERT_TRUE(s->read_until([&] { return s->parser().last_event_id() == marker; },
                                  Deadline(kIoTimeout)))
            << s->raw_body();
        // What the resume got, against what was answered after `last`.
        std::vector<std::string> got;
        bool gap = false;
        for (const SseEvent& e : s->data_events()) {
            if (e.type == "refresh") {
                EXPECT_TRUE(got.empty()) << "a gap is told first";
                EXPECT_EQ(e.data, kRefreshGap);
                gap = true;
                continue;
            }
            got.push_back(e.last_event_id);
        }
        std::vector<std::string> owed;
        for (const std::string& id : acked)
            if (last.empty() ||
                (id_epoch(id) == id_epoch(last) && id_sequence(id) > id_sequence(last)))
                owed.push_back(id);
        if (!last.empty()) {
            EXPECT_EQ(gap, crashed_since_last)
                << "after a clean stop a resume is exact; after a crash it is told the gap";
        }
        if (!gap) {
            EXPECT_EQ(got, owed) << s->raw_body();
        } else {
            // Only events owed, in order, each once (what the crash kept).
            size_t j = 0;
            for (const std::string& id : got) {
                while (j < owed.size() && owed[j] != id)
                    ++j;
                EXPECT_LT(j, owed.size()) << id << " was not owed, or came twice or out of order";
                ++j;
            }
            EXPECT_EQ(got.back(), marker);
        }
        last = s->parser().last_event_id();
        crashed_since_last = false;

        note(publish(d->port(), "a", pick(5)));
        if (pick(2)) {  // the stream reads them live
            const std::string want = acked.back();
            ASSERT_TRUE(s->read_until([&] { return s->parser().last_event_id() == want; },
                                      Deadline(kIoTimeout)));
            last = want;
        }
        if (!slow && pick(2)) await_committed(api, 1);
        s.reset();
        if (how == 3) {
            ASSERT_EQ(d->stop(), 0) << d->log();
        } else {
            crash(d);
            crashed_since_last = true;
        }
    }
}

}  // namespace
}  // namespace ringcast::itest

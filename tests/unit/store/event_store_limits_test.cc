// EventStore when the writer falls behind: records wait on the log's side in
// order, a full disk is retried and logged once, and beyond max_pending the
// oldest records are given up while the history floor rises to cover them.
#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "store/event_store.h"
#include "store/store_fixture.h"
#include "support/events.h"

namespace ringcast {
namespace {

using test::EventRef;
using test::numbered_event;
using test::StoreTest;
using test::wait_committed;
using test::wait_until;

// Captures what the store logs for the length of a test.
class LogCapture {
public:
    LogCapture() : _previous(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(_out);
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    }
    ~LogCapture() { spdlog::set_default_logger(_previous); }
    size_t count(std::string_view what) {
        spdlog::default_logger()->flush();
        std::string text = _out.str();
        size_t n = 0;
        for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
            ++n;
        return n;
    }
    std::string text() { return _out.str(); }

private:
    std::ostringstream _out;
    std::shared_ptr<spdlog::logger> _previous;
};

class EventStoreLimitsTest : public StoreTest {};

TEST_F(EventStoreLimitsTest, BeyondTheRingAndBackInOrder) {
    options.ring_capacity = 8;
    std::vector<EventRef> events;
    auto s = start_ok("ep");
    // Kept then dropped: applied in the wrong order, the dropped ones would stay.
    for (uint64_t i = 1; i <= 2000; ++i) {
        events.emplace_back(numbered_event("c", i));
        s->numbered(i);
        s->kept(events.back().get(), Keep::history, "");
        if (i % 2 == 0) s->dropped(*events.back().get(), Keep::history, "");
    }
    EXPECT_GT(s->stats().waiting, 0u) << "no poll() yet: most records wait on the log's side";
    ASSERT_TRUE(wait_committed(*s));  // polls, as the log shard's loop does
    EXPECT_EQ(s->stats().waiting, 0u);
    EXPECT_EQ(s->stats().records_written, 3000u);
    EXPECT_EQ(s->stats().given_up, 0u);
    s.reset();
    StoreSnapshot snap = reload();
    ASSERT_EQ(snap.events.size(), 1000u);
    for (size_t i = 0; i < snap.events.size(); ++i)
        ASSERT_EQ(snap.events[i].event->sequence(), 2 * i + 1);
}

TEST_F(EventStoreLimitsTest, TheLogsSideGivesUpItsOldest) {
    options.ring_capacity = 4;
    options.max_pending = 8;
    options.flush_interval_ms = 60'000;  // the writer never turns: the ring stays full
    std::vector<EventRef> events;
    auto s = start_ok("ep");
    for (uint64_t i = 1; i <= 20; ++i) {
        events.emplace_back(numbered_event("c", i));
        s->numbered(i);
        s->kept(events.back().get(), Keep::history, "");
    }
    EXPECT_EQ(s->stats().given_up, 8u);
    EXPECT_EQ(s->stats().waiting, 8u);
    EXPECT_EQ(s->stats().pending, 12u);
    s->close();
    EXPECT_EQ(s->stats().records_written, 12u);
    s.reset();
    for (const EventRef& e : events)
        EXPECT_EQ(e->ref_count(), 1u);
    StoreSnapshot snap = reload();
    std::vector<uint64_t> got;
    for (const StoredEvent& e : snap.events)
        got.push_back(e.event->sequence());
    EXPECT_EQ(got, (std::vector<uint64_t>{1, 2, 3, 4, 13, 14, 15, 16, 17, 18, 19, 20}));
    EXPECT_EQ(snap.history_floor, 20u)
        << "5..12 are missing: a resume from before 20 must be told history-gap";
}

// A full disk (the file may not grow past max_pages): every commit fails and is
// retried with the same records, one log line says so; records beyond
// max_pending are given up oldest first, and once what is left fits, commits
// succeed again.
TEST_F(EventStoreLimitsTest, AFullDiskIsRetriedThenTheOldestAreGivenUp) {
    options.max_pages = 40;  // 160 KiB: not one of the events below fits
    options.max_pending = 6;
    LogCapture log;
    std::vector<EventRef> big;
    auto s = start_ok("ep");
    for (uint64_t i = 1; i <= 6; ++i) {
        big.emplace_back(numbered_event("c", i, "ep", 200 << 10));
        s->numbered(i);
        s->kept(big.back().get(), Keep::history, "");
    }
    ASSERT_TRUE(wait_until([&] { return s->stats().failed_commits >= 3; }));
    StoreStats st = s->stats();
    EXPECT_EQ(st.commits, 0u);
    EXPECT_EQ(st.records_written, 0u);
    EXPECT_EQ(st.pending, 6u);
    EXPECT_EQ(st.given_up, 0u);
    EXPECT_EQ(big[0]->ref_count(), 2u) << "held until committed or given up";
    EXPECT_EQ(log.count("failed"), 1u) << log.text();
    EXPECT_EQ(log.count("database or disk is full"), 1u) << log.text();

    for (const EventRef& e : big)
        s->dropped(*e.get(), Keep::history, "");
    ASSERT_TRUE(wait_until([&] { return s->stats().commits > 0 && s->stats().pending == 0; }));
    st = s->stats();
    EXPECT_EQ(st.given_up, 6u);
    EXPECT_EQ(st.records_written, 6u);
    EXPECT_EQ(big[0]->ref_count(), 1u);
    // The writer logs after it publishes its counters: read the log once it
    // has stopped.
    s.reset();
    EXPECT_EQ(log.count("giving up the oldest"), 1u) << log.text();
    EXPECT_EQ(log.count("commits succeed again"), 1u) << log.text();
    StoreSnapshot snap = reload();
    EXPECT_TRUE(snap.events.empty());
    EXPECT_TRUE(snap.clean);
    EXPECT_EQ(snap.history_floor, 6u);
}

TEST_F(EventStoreLimitsTest, ExpiredHistoryIsGivenBackToTheFileSystem) {
    options.flush_interval_ms = 1;
    std::vector<EventRef> events;
    auto s = start_ok("ep");
    for (uint64_t i = 1; i <= 400; ++i) {
        events.emplace_back(numbered_event("c", i, "ep", 30 << 10));
        s->kept(events.back().get(), Keep::history, "");
    }
    ASSERT_TRUE(wait_committed(*s));
    const uint64_t full = s->stats().database_bytes;
    EXPECT_GT(full, 400u * (30 << 10));
    for (const EventRef& e : events)
        s->dropped(*e.get(), Keep::history, "");
    // The writer checks the freelist about once a second and vacuums in steps.
    ASSERT_TRUE(wait_until([&] { return s->stats().database_bytes < full / 4; },
                           std::chrono::seconds(20), [&] { s->poll(); }))
        << s->stats().database_bytes << " of " << full;
}

}  // namespace
}  // namespace ringcast

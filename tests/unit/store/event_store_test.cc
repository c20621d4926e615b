// EventStore as the log shard uses it: what the Journal hears ends up in the
// file, comes back from load() event for event, and leaves the file when the
// last keep lets go.
#include "store/event_store.h"

#include <map>

#include <gtest/gtest.h>

#include "store/store_fixture.h"
#include "support/events.h"

namespace ringcast {
namespace {

using test::EventRef;
using test::expect_same_event;
using test::numbered_event;
using test::StoreTest;
using test::wait_committed;
using test::wait_until;

class EventStoreTest : public StoreTest {};

const StoredEvent* find(const StoreSnapshot& snap, uint64_t seq) {
    for (const StoredEvent& s : snap.events)
        if (s.event->sequence() == seq) return &s;
    return nullptr;
}

TEST_F(EventStoreTest, FreshStoreIsEmptyAndClean) {
    StoreSnapshot snap = reload();
    EXPECT_TRUE(snap.fresh);
    EXPECT_TRUE(snap.clean);
    EXPECT_EQ(snap.epoch, "");
    EXPECT_EQ(snap.high, 0u);
    EXPECT_TRUE(snap.events.empty());
    EXPECT_TRUE(std::filesystem::exists(options.path));

    StoreSnapshot again = reload();
    EXPECT_FALSE(again.fresh) << "the file exists now";
    EXPECT_TRUE(again.clean);
    EXPECT_EQ(query("PRAGMA auto_vacuum"), 2) << "INCREMENTAL";
    EXPECT_EQ(query("PRAGMA user_version"), 1);
}

TEST_F(EventStoreTest, EveryKeepRoundTrips) {
    Message targeted;
    targeted.channel = "chat";
    targeted.event = "dm";
    targeted.data = "{\"text\":\"hi\"}";
    targeted.target.kind = Target::Kind::users;
    targeted.target.users = {"alice", "bob"};
    targeted.retryable = true;
    targeted.ttl_ms = 3'600'000;
    EventRef history_only(numbered_event("news", 1, "ep1"));
    EventRef history_and_cache(numbered_event("system", 2, "ep1"));
    EventRef mailboxes(Event::build(targeted, 1'700'000'000'000));
    mailboxes->assign_sequence(3, "ep1");
    EventRef everywhere(numbered_event("alerts", 4, "ep1"));
    const std::string long_user(300, 'u');  // beyond the inline room of a record
    {
        auto s = start_ok("ep1");
        s->numbered(4);
        s->kept(history_only.get(), Keep::history, "");
        s->kept(history_and_cache.get(), Keep::history, "");
        s->kept(history_and_cache.get(), Keep::cache, "");
        s->kept(mailboxes.get(), Keep::mailbox, "alice");
        s->kept(mailboxes.get(), Keep::mailbox, "bob");
        s->kept(everywhere.get(), Keep::history, "");
        s->kept(everywhere.get(), Keep::cache, "");
        s->kept(everywhere.get(), Keep::mailbox, long_user);
        ASSERT_TRUE(wait_committed(*s));
        EXPECT_EQ(s->stats().records_written, 8u);
        EXPECT_EQ(history_only->ref_count(), 1u) << "the store let go after committing";
    }
    StoreSnapshot snap = reload();
    EXPECT_FALSE(snap.fresh);
    EXPECT_TRUE(snap.clean);
    EXPECT_EQ(snap.epoch, "ep1");
    EXPECT_EQ(snap.high, 4u);
    ASSERT_EQ(snap.events.size(), 4u);
    for (size_t i = 0; i < snap.events.size(); ++i)
        EXPECT_EQ(snap.events[i].event->sequence(), i + 1) << "ascending sequence";

    const Event* originals[] = {history_only.get(), history_and_cache.get(), mailboxes.get(),
                                everywhere.get()};
    for (const Event* e : originals) {
        const StoredEvent* got = find(snap, e->sequence());
        ASSERT_NE(got, nullptr) << e->sequence();
        expect_same_event(*e, *got->event);
        EXPECT_EQ(got->event->ref_count(), 1u) << "one reference, the caller's";
    }
    EXPECT_TRUE(snap.events[0].in_history);
    EXPECT_FALSE(snap.events[0].in_cache);
    EXPECT_TRUE(snap.events[0].mailbox_users.empty());
    EXPECT_TRUE(snap.events[1].in_history && snap.events[1].in_cache);
    EXPECT_FALSE(snap.events[2].in_history || snap.events[2].in_cache);
    EXPECT_EQ(snap.events[2].mailbox_users, (std::vector<std::string>{"alice", "bob"}));
    EXPECT_TRUE(snap.events[3].in_history && snap.events[3].in_cache);
    EXPECT_EQ(snap.events[3].mailbox_users, std::vector<std::string>{long_user});
}

TEST_F(EventStoreTest, RowLivesUntilTheLastKeepLetsGo) {
    EventRef e(numbered_event("c", 10));
    EventRef other(numbered_event("c", 11));
    auto s = start_ok("ep");
    s->kept(e.get(), Keep::history, "");
    s->kept(e.get(), Keep::cache, "");
    s->kept(e.get(), Keep::mailbox, "alice");
    s->kept(e.get(), Keep::mailbox, "bob");
    s->kept(other.get(), Keep::history, "");
    ASSERT_TRUE(wait_committed(*s));

    // Each step in its own commit, so that the rows are updated in place, not
    // merely coalesced within one transaction.
    auto step = [&](Keep k, std::string_view user) {
        const uint64_t commits = s->stats().commits;
        s->dropped(*e.get(), k, user);
        ASSERT_TRUE(
            wait_until([&] { return s->stats().commits > commits && !s->stats().pending; }));
    };
    step(Keep::history, "");
    step(Keep::mailbox, "alice");
    s->close();
    s.reset();
    StoreSnapshot snap = reload();
    const StoredEvent* got = find(snap, 10);
    ASSERT_NE(got, nullptr);
    EXPECT_FALSE(got->in_history);
    EXPECT_TRUE(got->in_cache);
    EXPECT_EQ(got->mailbox_users, std::vector<std::string>{"bob"});
    snap = StoreSnapshot();

    s = start_ok();
    step(Keep::cache, "");
    EXPECT_EQ(s->stats().failed_commits, 0u);
    s->close();
    s.reset();
    EXPECT_EQ(query("SELECT count(*) FROM events"), 2) << "bob's mailbox still holds it";
    s = start_ok();
    step(Keep::mailbox, "bob");
    s->close();
    s.reset();
    EXPECT_EQ(query("SELECT count(*) FROM events"), 1);
    EXPECT_EQ(query("SELECT count(*) FROM mailbox"), 0);
    snap = reload();
    ASSERT_EQ(snap.events.size(), 1u);
    EXPECT_EQ(snap.events[0].event->sequence(), 11u);
}

TEST_F(EventStoreTest, KeptAndDroppedInOneCommit) {
    EventRef a(numbered_event("c", 1)), b(numbered_event("c", 2));
    {
        auto s = start_ok("ep");
        s->kept(a.get(), Keep::history, "");
        s->kept(b.get(), Keep::history, "");
        s->kept(a.get(), Keep::mailbox, "u");
        s->dropped(*a.get(), Keep::history, "");
        s->dropped(*a.get(), Keep::mailbox, "u");
        s->kept(a.get(), Keep::cache, "");  // back again after its row went
        s->dropped(*b.get(), Keep::history, "");
        ASSERT_TRUE(wait_committed(*s));
    }
    StoreSnapshot snap = reload();
    ASSERT_EQ(snap.events.size(), 1u);
    EXPECT_EQ(snap.events[0].event->sequence(), 1u);
    EXPECT_TRUE(snap.events[0].in_cache);
    EXPECT_FALSE(snap.events[0].in_history);
}

TEST_F(EventStoreTest, TellingTwiceIsHarmless) {
    EventRef e(numbered_event("c", 5));
    {
        auto s = start_ok("ep");
        s->kept(e.get(), Keep::history, "");
        s->kept(e.get(), Keep::history, "");
        s->kept(e.get(), Keep::mailbox, "u");
        s->kept(e.get(), Keep::mailbox, "u");
        s->dropped(*e.get(), Keep::cache, "");  // never in the cache
        s->dropped(*e.get(), Keep::mailbox, "nobody");
        EventRef never(numbered_event("c", 6));
        s->dropped(*never.get(), Keep::history, "");  // never stored at all
        ASSERT_TRUE(wait_committed(*s));
        EXPECT_EQ(s->stats().failed_commits, 0u);
    }
    StoreSnapshot snap = reload();
    ASSERT_EQ(snap.events.size(), 1u);
    EXPECT_TRUE(snap.events[0].in_history);
    EXPECT_EQ(snap.events[0].mailbox_users, std::vector<std::string>{"u"});
}

TEST_F(EventStoreTest, HistoryMarkersAndFloor) {
    const std::string long_channel(100, 'l');
    {
        auto s = start_ok("ep");
        s->history_evicted("a", 3);
        s->history_evicted("a", 7);
        s->history_evicted("a", 5);  // lower than what a already lost: no change
        s->history_evicted("b", 2);
        s->history_evicted(long_channel, 9);
        ASSERT_TRUE(wait_committed(*s));
    }
    StoreSnapshot snap = reload();
    std::map<std::string, uint64_t> got(snap.history_evicted.begin(), snap.history_evicted.end());
    EXPECT_EQ(got, (std::map<std::string, uint64_t>{{"a", 7}, {"b", 2}, {long_channel, 9}}));
    EXPECT_EQ(snap.history_floor, 0u);
    snap = StoreSnapshot();
    {
        auto s = start_ok();
        const uint64_t commits = s->stats().commits;
        s->history_floor(7);
        ASSERT_TRUE(wait_until([&] { return s->stats().commits > commits; }));
        s->history_evicted("c", 6);  // below the floor: says nothing
        s->history_evicted("d", 8);
        ASSERT_TRUE(wait_committed(*s));
    }
    snap = reload();
    got = {snap.history_evicted.begin(), snap.history_evicted.end()};
    EXPECT_EQ(got, (std::map<std::string, uint64_t>{{"d", 8}, {long_channel, 9}}))
        << "markers at or below the floor are gone";
    EXPECT_EQ(snap.history_floor, 7u);
}

TEST_F(EventStoreTest, HighWaterMarkWithoutRecords) {
    {
        auto s = start_ok("ep");
        const uint64_t commits = s->stats().commits;
        for (uint64_t i = 1; i <= 1000; ++i)
            s->numbered(i);  // nothing kept: no records, only the mark
        ASSERT_TRUE(wait_until([&] { return s->stats().commits > commits; }));
        EXPECT_EQ(s->stats().records_written, 0u);
    }
    EXPECT_EQ(reload().high, 1000u);
    {
        auto s = start_ok();
        s->numbered(3);  // a lower mark never lowers what is stored
    }
    EXPECT_EQ(reload().high, 1000u);
}

TEST_F(EventStoreTest, IdleWriterCommitsNothing) {
    auto s = start_ok("ep");
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // ~15 turns of 2 ms
    EXPECT_EQ(s->stats().commits, 0u) << "nothing changed, nothing written";
    EXPECT_GT(s->stats().database_bytes, 0u);
}

TEST_F(EventStoreTest, CloseWritesEverythingThatIsLeft) {
    options.flush_interval_ms = 60'000;  // no turn before close()
    options.ring_capacity = 16;          // most records wait on the log's side
    std::vector<EventRef> events;
    {
        auto s = start_ok("ep");
        for (uint64_t i = 1; i <= 500; ++i) {
            events.emplace_back(numbered_event("c", i));
            s->numbered(i);
            s->kept(events.back().get(), Keep::history, "");
            if (i % 2 == 0) s->dropped(*events.back().get(), Keep::history, "");
        }
        EXPECT_EQ(s->stats().commits, 0u);
        EXPECT_EQ(s->stats().pending, 750u);
        EXPECT_GT(s->stats().waiting, 700u);
        s->close();
        EXPECT_EQ(s->stats().pending, 0u);
        EXPECT_EQ(s->stats().records_written, 750u);
    }
    for (const EventRef& e : events)
        EXPECT_EQ(e->ref_count(), 1u);
    StoreSnapshot snap = reload();
    EXPECT_TRUE(snap.clean);
    EXPECT_EQ(snap.high, 500u);
    ASSERT_EQ(snap.events.size(), 250u);
    for (size_t i = 0; i < snap.events.size(); ++i)
        EXPECT_EQ(snap.events[i].event->sequence(), 2 * i + 1);
    EXPECT_FALSE(std::filesystem::exists(options.path + "-wal") &&
                 std::filesystem::file_size(options.path + "-wal") > 0)
        << "the WAL was checkpointed into the file";
    EXPECT_EQ(query("SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
}

TEST_F(EventStoreTest, SnapshotReleasesWhatTheCallerDidNotTake) {
    EventRef e(numbered_event("c", 1));
    {
        auto s = start_ok("ep");
        s->kept(e.get(), Keep::history, "");
    }
    Event* taken = nullptr;
    {
        StoreSnapshot snap = reload();
        ASSERT_EQ(snap.events.size(), 1u);
        taken = std::exchange(snap.events[0].event, nullptr);
    }
    EXPECT_EQ(taken->ref_count(), 1u);
    taken->release();
}

}  // namespace
}  // namespace ringcast

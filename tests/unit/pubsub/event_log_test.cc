// EventLog: the log shard's numbering and keeps. What a catch-up is answered
// with (history after an id, the cache, mail), gaps, how mail is decided from
// the shards' reports and why a catch-up waits for it, invalidation, and
// merging an answer with what arrived live meanwhile.
#include "pubsub/event_log.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pubsub/catch_up.h"
#include "pubsub/channel_name.h"
#include "pubsub/event_id.h"

namespace ringcast {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;
constexpr char kEpoch[] = "ep";

Message message(std::string channel, std::string data) {
    Message m;
    m.channel = std::move(channel);
    m.event = "e";
    m.data = std::move(data);
    m.timestamp_ms = kNow;
    return m;
}

Message for_users(std::string channel, std::string data, std::vector<std::string> users,
                  bool retryable = true) {
    Message m = message(std::move(channel), std::move(data));
    m.target.kind = Target::Kind::users;
    m.target.users = std::move(users);
    m.retryable = retryable;
    return m;
}

class EventLogTest : public ::testing::Test {
protected:
    ~EventLogTest() override {
        for (Event* e : _mine)
            e->release();
    }
    // Publishes through the log; returns the event (the test keeps a reference).
    Event* publish(const Message& m) {
        Event* e = Event::build(m, kNow);
        _mine.push_back(e);
        _tracked = _log.number(e, kNow);
        return e;
    }
    Event* publish_persistent(std::string channel, std::string data) {
        Message m = message(std::move(channel), std::move(data));
        m.persistent = true;
        return publish(m);
    }
    static std::vector<std::string> data_of(const std::vector<Event*>& events) {
        std::vector<std::string> out;
        for (const Event* e : events) {
            std::string_view wire = e->view();
            size_t at = wire.find("data: ");
            out.emplace_back(wire.substr(at + 6, wire.find('\n', at) - at - 6));
        }
        return out;
    }
    static void release(std::vector<Event*>& events) {
        for (Event* e : events)
            e->release();
        events.clear();
    }

    EventLogOptions options() {
        EventLogOptions o;
        o.history = {100, 1 << 20, 3'600'000, 1 << 30};
        return o;
    }
    EventLog _log{options(), kEpoch, 1, nullptr};
    std::vector<Event*> _mine;
    bool _tracked = false;
};

TEST_F(EventLogTest, NumbersEveryChannelWithOneSequence) {
    Event* a = publish(message("a", "1"));
    Event* b = publish(message("b", "2"));
    EXPECT_EQ(a->id(), "ep-1");
    EXPECT_EQ(b->id(), "ep-2");
    EXPECT_EQ(_log.last_sequence(), 2u);
}

TEST_F(EventLogTest, AResumeGetsHistoryAfterItsIdOnItsChannels) {
    publish(message("a", "1"));
    Event* mark = publish(message("b", "2"));
    publish(message("a", "3"));
    publish(message("c", "4"));
    publish(message("b", "5"));
    CatchUp r;
    r.channels = {"a", "b"};
    r.last_id = std::string(mark->id());
    ASSERT_TRUE(_log.answer(r, kNow));
    EXPECT_TRUE(r.resume);
    EXPECT_EQ(r.after, 2u);
    EXPECT_FALSE(r.gap);
    EXPECT_EQ(r.high_id, "ep-5");
    EXPECT_EQ(r.high_sequence, 5u);
    EXPECT_EQ(data_of(r.events), (std::vector<std::string>{"3", "5"}));
    release(r.events);
}

TEST_F(EventLogTest, UnknownIdsAndIdsFromTheFutureAreGaps) {
    publish(message("a", "1"));
    for (const char* id : {"other-1", "ep-99", "ep-01", "garbage", ""}) {
        CatchUp r;
        r.channels = {"a"};
        r.last_id = std::string(id);
        ASSERT_TRUE(_log.answer(r, kNow));
        EXPECT_TRUE(r.gap) << id;
        EXPECT_FALSE(r.resume) << id;
        EXPECT_TRUE(r.events.empty()) << id;
    }
}

// A cluster's numbering (cluster/cluster_bus.h): events numbered elsewhere are
// kept as numbered, and the log continues after them.
TEST_F(EventLogTest, EventsNumberedByTheClusterAreKeptAndContinueTheNumbering) {
    Event* e = Event::build(message("a", "1"), kNow);
    _mine.push_back(e);
    e->assign_sequence(41, kEpoch);
    EXPECT_FALSE(_log.keep_numbered(e, kNow));
    EXPECT_EQ(_log.last_sequence(), 41u);
    CatchUp r;
    r.channels = {"a"};
    r.last_id = "ep-40";
    ASSERT_TRUE(_log.answer(r, kNow));
    EXPECT_FALSE(r.gap);
    EXPECT_EQ(data_of(r.events), (std::vector<std::string>{"1"}));
    release(r.events);
}

// Another numbering (a Redis that lost its data): what the old one kept is
// dropped, its ids are gaps, and resumes from before the new floor too.
TEST_F(EventLogTest, RenumberingDropsTheOldNumberingsKeeps) {
    publish(message("a", "1"));
    publish_persistent("a", "2");
    _log.renumber("new", 10, 7);
    EXPECT_EQ(_log.epoch(), "new");
    EXPECT_EQ(_log.last_sequence(), 10u);
    EXPECT_EQ(_log.history_stats().events, 0u);
    EXPECT_EQ(_log.cache_stats().events, 0u);
    for (const char* id : {"ep-1", "new-5"}) {
        CatchUp r;
        r.channels = {"a"};
        r.last_id = std::string(id);
        ASSERT_TRUE(_log.answer(r, kNow));
        EXPECT_TRUE(r.gap) << id;
        EXPECT_TRUE(r.events.empty()) << id;
    }
    // The same numbering again keeps what it has: only the floor and the next
    // sequence move.
    Event* e = Event::build(message("a", "3"), kNow);
    _mine.push_back(e);
    e->assign_sequence(11, "new");
    _log.keep_numbered(e, kNow);
    _log.renumber("new", 11, 7);
    EXPECT_EQ(_log.history_stats().events, 1u);
}

TEST(EventLogWithoutHistory, AResumeIsAGapUnlessNothingWasNumberedSince) {
    EventLogOptions o;
    o.history.max_events = 0;
    EventLog log(o, kEpoch, 1, nullptr);
    Event* e = Event::build("a", "e", "1", "", kNow);
    log.number(e, kNow);
    CatchUp at_the_end;
    at_the_end.channels = {"a"};
    at_the_end.last_id = std::string(e->id());
    ASSERT_TRUE(log.answer(at_the_end, kNow));
    EXPECT_FALSE(at_the_end.gap) << "nothing was numbered after its id";
    Event* f = Event::build("b", "e", "2", "", kNow);
    log.number(f, kNow);
    CatchUp behind;
    behind.channels = {"a"};
    behind.last_id = std::string(e->id());
    ASSERT_TRUE(log.answer(behind, kNow));
    EXPECT_TRUE(behind.gap) << "an event followed it, and nothing is kept to tell";
    EXPECT_TRUE(behind.events.empty());
    e->release();
    f->release();
}

TEST_F(EventLogTest, APublishersOwnIdResumesWhileItsEventIsKept) {
    Message m = message("a", "1");
    m.id = "order-42";
    publish(m);
    publish(message("a", "2"));
    CatchUp r;
    r.channels = {"a"};
    r.last_id = std::string("order-42");
    ASSERT_TRUE(_log.answer(r, kNow));
    EXPECT_TRUE(r.resume);
    EXPECT_EQ(data_of(r.events), (std::vector<std::string>{"2"}));
    release(r.events);
}

TEST_F(EventLogTest, NewStreamsGetTheCacheAndResumesOnlyWhatFollowsTheirId) {
    publish_persistent("a", "p1");
    Event* mid = publish(message("a", "n2"));
    publish_persistent("a", "p3");
    CatchUp fresh;
    fresh.channels = {"a"};
    ASSERT_TRUE(_log.answer(fresh, kNow));
    EXPECT_EQ(data_of(fresh.events), (std::vector<std::string>{"p1", "p3"}));
    release(fresh.events);
    CatchUp resume;
    resume.channels = {"a"};
    resume.last_id = std::string(mid->id());
    ASSERT_TRUE(_log.answer(resume, kNow));
    // p3 is in history and in the cache: one event.
    EXPECT_EQ(data_of(resume.events), (std::vector<std::string>{"p3"}));
    release(resume.events);
}

TEST_F(EventLogTest, InvalidateByChannelAndByUser) {
    publish_persistent("a", "a1");
    Message to42 = for_users("b", "b42", {"42"}, false);
    to42.persistent = true;
    publish(to42);
    Message to7 = for_users("b", "b7", {"7"}, false);
    to7.persistent = true;
    publish(to7);
    EXPECT_EQ(_log.invalidate({{}, {"42"}}), 1u);
    EXPECT_EQ(_log.invalidate({{"a"}, {}}), 1u);
    EXPECT_EQ(_log.invalidate({{"a", "b"}, {"nobody"}}), 0u);
    EXPECT_EQ(_log.cache_stats().events, 1u);
}

TEST_F(EventLogTest, MailGoesToTheUsersNoShardReached) {
    Event* e = publish(for_users("n", "x", {"42", "7", "9"}));
    ASSERT_TRUE(_tracked);
    _log.retry_awaiting(e, 2, kNow);
    // Shard A reached 42 (index 0); shard B reached 9 (index 2).
    EXPECT_TRUE(_log.retry_result(e, UserBits{0b001}, kNow).empty());
    EXPECT_EQ(_log.pending_mail(), 1u);
    EXPECT_TRUE(_log.retry_result(e, UserBits{0b100}, kNow).empty());
    EXPECT_EQ(_log.pending_mail(), 0u);
    EXPECT_EQ(_log.stats().mailed, 1u);
    // 7's next stream on "n" gets it; on another channel it does not.
    CatchUp other;
    other.channels = {"m"};
    other.user = "7";
    ASSERT_TRUE(_log.answer(other, kNow));
    EXPECT_TRUE(other.events.empty());
    CatchUp on_n;
    on_n.channels = {"n"};
    on_n.user = "7";
    ASSERT_TRUE(_log.answer(on_n, kNow));
    EXPECT_EQ(data_of(on_n.events), (std::vector<std::string>{"x"}));
    EXPECT_EQ(on_n.mail, on_n.events);
    // The stream went away before it got it: kept again.
    _log.take_back("7", on_n.mail, kNow);
    release(on_n.events);
    EXPECT_EQ(_log.mailbox_stats().events, 1u);
}

TEST_F(EventLogTest, ACatchUpWaitsForItsUsersPendingMail) {
    Event* e = publish(for_users("n", "x", {"42"}));
    _log.retry_awaiting(e, 1, kNow);
    CatchUp r;
    r.channels = {"n"};
    r.user = "42";
    EXPECT_FALSE(_log.answer(r, kNow)) << "42 may be about to get mail";
    std::vector<CatchUp*> ready = _log.retry_result(e, UserBits{}, kNow);  // nobody reached
    ASSERT_EQ(ready.size(), 1u);
    EXPECT_EQ(ready[0], &r);
    ASSERT_TRUE(_log.answer(r, kNow));
    EXPECT_EQ(data_of(r.mail), (std::vector<std::string>{"x"}));
    release(r.events);
}

TEST_F(EventLogTest, RetryableEventsThatReachNoShardAreMailedAtOnce) {
    Event* e = publish(for_users("n", "x", {"42"}));
    _log.retry_awaiting(e, 0, kNow);
    EXPECT_EQ(_log.pending_mail(), 0u);
    EXPECT_EQ(_log.mailbox_stats().events, 1u);
}

TEST_F(EventLogTest, OnlyRetryableUserSpecificEventsAreTracked) {
    publish(for_users("n", "x", {"42"}, false));
    EXPECT_FALSE(_tracked);
    Message all = message("n", "y");
    all.retryable = true;
    publish(all);
    EXPECT_FALSE(_tracked);
    publish(for_users("n", "z", {"42"}));
    EXPECT_TRUE(_tracked);
}

TEST(MergeCatchUp, OneSortedListWithoutRepeatsOrTheExpired) {
    auto make = [](uint64_t seq, uint64_t ttl_ms = 0) {
        Message m;
        m.channel = "a";
        m.event = "e";
        m.data = std::to_string(seq);
        m.timestamp_ms = kNow;
        m.ttl_ms = ttl_ms;
        Event* e = Event::build(m, kNow);
        e->assign_sequence(seq, kEpoch);
        return e;
    };
    CatchUpWaiter w;
    Event* e1 = make(1);
    Event* e2 = make(2);
    Event* e3 = make(3, 1);  // expired by the time it is merged
    Event* e4 = make(4);
    Event* e5 = make(5);
    // Answer: 1, 3, 4; buffered live: 4 (also in the answer), 5.
    for (Event* e : {e1, e3, e4})
        w.events.push_back(e);
    e4->retain();
    w.buffered = {e4, e5};
    e2->release();
    std::vector<Event*> out = merge_catch_up(w, kNow + 10);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0], e1);
    EXPECT_EQ(out[1], e4);
    EXPECT_EQ(out[2], e5);
    EXPECT_TRUE(w.events.empty());
    EXPECT_TRUE(w.buffered.empty());
    EXPECT_EQ(e4->ref_count(), 1u) << "the repeat's reference was released";
    for (Event* e : out)
        e->release();
}

TEST(MergeCatchUp, AResumeGetsNothingAtOrBeforeItsId) {
    CatchUpWaiter w;
    w.resume = true;
    w.after = 2;
    for (uint64_t seq : {1, 2, 3}) {
        Event* e = Event::build("a", "e", "x", "", kNow);
        e->assign_sequence(seq, kEpoch);
        w.buffered.push_back(e);
    }
    std::vector<Event*> out = merge_catch_up(w, kNow);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0]->sequence(), 3u);
    out[0]->release();
}

}  // namespace
}  // namespace ringcast

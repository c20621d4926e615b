// KeyedLog: bounded queues of events by key. Bounds by count, bytes, age and
// total bytes (least recently appended key first), ttl, the loss markers that
// tell history about gaps, removal and taking on purpose, the drop hook, and
// what the journal is told.
#include "pubsub/keyed_log.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;

// Builds numbered events and releases what the test still holds at the end.
class Events {
public:
    ~Events() {
        for (Event* e : _held)
            e->release();
    }
    Event* make(std::string_view channel, uint64_t seq, int64_t stamp = kNow, uint64_t ttl_ms = 0,
                std::vector<std::string> users = {}) {
        Message m;
        m.channel.assign(channel);
        m.event = "e";
        m.data = std::to_string(seq);
        m.timestamp_ms = stamp;
        m.ttl_ms = ttl_ms;
        if (!users.empty()) {
            m.target.kind = Target::Kind::users;
            m.target.users = std::move(users);
        }
        Event* e = Event::build(m, stamp);
        e->assign_sequence(seq, "ep");
        _held.push_back(e);
        return e;
    }

private:
    std::vector<Event*> _held;
};

std::vector<uint64_t> seqs(const KeyedLog& log, std::string_view key, uint64_t after = 0) {
    std::vector<uint64_t> out;
    log.for_each_after(key, after, [&](Event* e) { out.push_back(e->sequence()); });
    return out;
}

// Records what a journal is told, as text.
class Recorder : public Journal {
public:
    std::vector<std::string> lines;
    void numbered(uint64_t) override {}
    void kept(Event* e, Keep, std::string_view user) override {
        lines.push_back("kept " + std::to_string(e->sequence()) + " " + std::string(user));
    }
    void dropped(const Event& e, Keep, std::string_view user) override {
        lines.push_back("dropped " + std::to_string(e.sequence()) + " " + std::string(user));
    }
    void history_evicted(std::string_view ch, uint64_t seq) override {
        lines.push_back("evicted " + std::string(ch) + " " + std::to_string(seq));
    }
    void history_floor(uint64_t seq) override { lines.push_back("floor " + std::to_string(seq)); }
    void poll() override {}
};

TEST(KeyedLog, KeepsEachKeyInSequenceOrderAndReadsAfterASequence) {
    Events ev;
    KeyedLog log({100, 1 << 20, 0, 1 << 30}, Keep::history);
    for (uint64_t s : {1, 3, 5})
        ASSERT_TRUE(log.append("a", ev.make("a", s), kNow));
    ASSERT_TRUE(log.append("b", ev.make("b", 4), kNow));
    EXPECT_EQ(seqs(log, "a"), (std::vector<uint64_t>{1, 3, 5}));
    EXPECT_EQ(seqs(log, "a", 3), (std::vector<uint64_t>{5}));
    EXPECT_EQ(seqs(log, "a", 5), (std::vector<uint64_t>{}));
    EXPECT_EQ(seqs(log, "b"), (std::vector<uint64_t>{4}));
    EXPECT_EQ(log.stats().keys, 2u);
    EXPECT_EQ(log.stats().events, 4u);
    EXPECT_TRUE(log.empty("c"));
}

TEST(KeyedLog, CountBoundDropsTheOldestAndMarksTheLoss) {
    Events ev;
    Recorder j;
    KeyedLog log({2, 1 << 20, 0, 1 << 30}, Keep::history, &j);
    for (uint64_t s = 1; s <= 4; ++s)
        log.append("a", ev.make("a", s), kNow);
    EXPECT_EQ(seqs(log, "a"), (std::vector<uint64_t>{3, 4}));
    EXPECT_EQ(log.stats().evicted, 2u);
    EXPECT_TRUE(log.lost_after("a", 0));
    EXPECT_TRUE(log.lost_after("a", 1));
    EXPECT_FALSE(log.lost_after("a", 2)) << "nothing after 2 was lost";
    EXPECT_EQ(j.lines,
              (std::vector<std::string>{"kept 1 ", "kept 2 ", "kept 3 ", "evicted a 1",
                                        "dropped 1 ", "kept 4 ", "evicted a 2", "dropped 2 "}));
}

TEST(KeyedLog, ByteBoundsPerKeyAndInTotalTakeFromTheLeastRecentKey) {
    Events ev;
    Event* probe = ev.make("x", 1);
    const uint64_t one = KeyedLog::cost(probe);
    KeyedLog log({100, 3 * one, 0, 4 * one}, Keep::history);
    for (uint64_t s = 1; s <= 4; ++s)
        log.append("a", ev.make("a", s), kNow);  // per key: 3 fit
    EXPECT_EQ(seqs(log, "a"), (std::vector<uint64_t>{2, 3, 4}));
    log.append("b", ev.make("b", 5), kNow);  // total 4: fits
    log.append("b", ev.make("b", 6), kNow);  // total 5: "a" (least recent) gives one up
    EXPECT_EQ(seqs(log, "a"), (std::vector<uint64_t>{3, 4}));
    EXPECT_EQ(seqs(log, "b"), (std::vector<uint64_t>{5, 6}));
    EXPECT_EQ(log.stats().bytes, 4 * one);
}

TEST(KeyedLog, AForgottenKeysLossBecomesTheFloor) {
    Events ev;
    Event* probe = ev.make("x", 1);
    const uint64_t one = KeyedLog::cost(probe);
    KeyedLog log({100, 1 << 20, 0, 2 * one}, Keep::history);
    log.append("a", ev.make("a", 1), kNow);
    log.append("b", ev.make("b", 2), kNow);
    log.append("b", ev.make("b", 3), kNow);  // "a" loses its only event: forgotten
    EXPECT_TRUE(log.empty("a"));
    EXPECT_EQ(log.floor(), 1u);
    EXPECT_TRUE(log.lost_after("a", 0));
    EXPECT_TRUE(log.lost_after("zzz", 0)) << "the floor stands for every key";
    EXPECT_FALSE(log.lost_after("zzz", 1));
}

TEST(KeyedLog, AgeAndTtl) {
    Events ev;
    KeyedLog log({100, 1 << 20, 60'000, 1 << 30}, Keep::cache);
    EXPECT_FALSE(log.append("a", ev.make("a", 1, kNow - 61'000), kNow)) << "too old to keep";
    EXPECT_FALSE(log.append("a", ev.make("a", 2, kNow - 2000, 1000), kNow)) << "ttl already over";
    log.append("a", ev.make("a", 3, kNow - 30'000), kNow);
    log.append("a", ev.make("a", 4, kNow, 5000), kNow);
    log.append("a", ev.make("a", 5, kNow), kNow);
    log.expire(kNow + 4000);
    EXPECT_EQ(seqs(log, "a"), (std::vector<uint64_t>{3, 4, 5}));
    log.expire(kNow + 6000);  // 4's ttl is over
    EXPECT_EQ(seqs(log, "a"), (std::vector<uint64_t>{3, 5}));
    EXPECT_FALSE(log.lost_after("a", 3)) << "an ended ttl is no loss: nobody may get it";
    log.expire(kNow + 31'000);  // 3 is past max_age
    EXPECT_EQ(seqs(log, "a"), (std::vector<uint64_t>{5}));
    EXPECT_TRUE(log.lost_after("a", 2)) << "what max_age took is a gap for older readers";
    EXPECT_FALSE(log.lost_after("a", 3));
    EXPECT_EQ(log.stats().aged, 2u);
}

TEST(KeyedLog, RemovedAndTakenEventsAreNotLosses) {
    Events ev;
    Recorder j;
    KeyedLog log({100, 1 << 20, 0, 1 << 30}, Keep::mailbox, &j);
    log.append("42", ev.make("a", 1, kNow, 0, {"42"}), kNow);
    log.append("42", ev.make("b", 2, kNow, 0, {"42"}), kNow);
    log.append("42", ev.make("a", 3, kNow, 0, {"42"}), kNow);
    std::vector<Event*> taken =
        log.take_if("42", [](const Event& e) { return e.channel() == "a"; });
    ASSERT_EQ(taken.size(), 2u);
    EXPECT_EQ(taken[0]->sequence(), 1u);
    EXPECT_EQ(taken[1]->sequence(), 3u);
    EXPECT_EQ(seqs(log, "42"), (std::vector<uint64_t>{2}));
    EXPECT_FALSE(log.lost_after("42", 0));
    // Taken back: in its place by sequence.
    log.append("42", taken[1], kNow);
    log.append("42", taken[0], kNow);
    for (Event* e : taken)
        e->release();  // the references take_if handed over
    EXPECT_EQ(seqs(log, "42"), (std::vector<uint64_t>{1, 2, 3}));
    EXPECT_EQ(log.remove_if({}, [](const Event& e) { return e.sequence() != 2; }), 2u);
    EXPECT_EQ(seqs(log, "42"), (std::vector<uint64_t>{2}));
    EXPECT_EQ(log.stats().removed, 4u);
    // The mailbox's journal lines name the user.
    EXPECT_EQ(j.lines.front(), "kept 1 42");
    EXPECT_EQ(j.lines.back(), "dropped 3 42");
}

TEST(KeyedLog, TheHookHearsEveryEventLeave) {
    struct Hooks : KeyedLogHooks {
        std::vector<uint64_t> seen;
        void on_drop(const Event& e) override { seen.push_back(e.sequence()); }
    } hooks;
    Events ev;
    KeyedLog log({1, 1 << 20, 0, 1 << 30}, Keep::cache);
    log.set_hooks(&hooks);
    log.append("a", ev.make("a", 1), kNow);
    log.append("a", ev.make("a", 2), kNow);  // the bound takes 1
    log.remove_if("a", [](const Event&) { return true; });
    EXPECT_EQ(hooks.seen, (std::vector<uint64_t>{1, 2}));
}

TEST(KeyedLog, DisabledKeepsNothing) {
    Events ev;
    KeyedLog log({0, 1 << 20, 0, 1 << 30}, Keep::history);
    EXPECT_FALSE(log.enabled());
    EXPECT_FALSE(log.append("a", ev.make("a", 1), kNow));
    EXPECT_EQ(log.stats().events, 0u);
}

TEST(KeyedLog, RestoreKeepsWithoutTellingTheJournal) {
    Events ev;
    Recorder j;
    KeyedLog log({100, 1 << 20, 0, 1 << 30}, Keep::history, &j);
    log.restore("a", ev.make("a", 7), kNow);
    log.restore_lost("a", 5);
    log.restore_lost("gone", 3);
    EXPECT_TRUE(j.lines.empty());
    EXPECT_EQ(seqs(log, "a"), (std::vector<uint64_t>{7}));
    EXPECT_TRUE(log.lost_after("a", 4));
    EXPECT_FALSE(log.lost_after("a", 5));
    EXPECT_EQ(log.floor(), 3u);
}

}  // namespace
}  // namespace ringcast

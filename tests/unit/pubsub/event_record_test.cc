// Event records: what the store writes for an event must decode to an event a
// shard cannot tell from the original, and anything else must be refused with a
// reason, never crash.
#include "pubsub/event_record.h"

#include <string>

#include <gtest/gtest.h>

#include "pubsub/sse_format.h"
#include "support/events.h"
#include "support/random.h"

namespace ringcast {
namespace {

using test::EventRef;
using test::expect_same_event;

Message full_message() {
    Message m;
    m.channel = "alerts.eu";
    m.event = "alert";
    m.data = "{\"level\":3,\"text\":\"line1\\nline2\"}";
    m.timestamp_ms = 1'700'000'000'123;
    m.ttl_ms = 60'000;
    m.priority = 9;
    m.persistent = true;
    m.retryable = true;
    return m;
}

EventRef round_trip(const Event& e) {
    std::string error;
    std::string record = encode_event(e);
    EventRef back(decode_event(record, &error));
    EXPECT_NE(back.get(), nullptr) << error;
    if (back.get()) {
        EXPECT_EQ(encode_event(*back.get()), record) << "decode then encode is stable";
    }
    return back;
}

TEST(EventRecord, EveryFieldOfANumberedEvent) {
    EventRef e(Event::build(full_message(), 5));
    ASSERT_NE(e.get(), nullptr);
    e->assign_sequence(123456789, "mk3l0q");
    EventRef back = round_trip(*e.get());
    ASSERT_NE(back.get(), nullptr);
    expect_same_event(*e.get(), *back.get());
    EXPECT_EQ(back->id(), "mk3l0q-123456789");
    EXPECT_EQ(back->expires_at_ms(), 1'700'000'060'123);
    EXPECT_EQ(back->priority(), 9);
    EXPECT_TRUE(back->persistent());
    EXPECT_TRUE(back->retryable());
    EXPECT_EQ(back->ref_count(), 1u);
}

TEST(EventRecord, DefaultsAndNoExpiry) {
    Message m;
    m.channel = "c";
    m.data = "x";
    EventRef e(Event::build(m, 42));
    e->assign_sequence(1, "a");
    EventRef back = round_trip(*e.get());
    ASSERT_NE(back.get(), nullptr);
    expect_same_event(*e.get(), *back.get());
    EXPECT_EQ(back->expires_at_ms(), 0);
    EXPECT_EQ(back->timestamp_ms(), 42);
    EXPECT_TRUE(back->for_everyone());
}

TEST(EventRecord, ExplicitId) {
    Message m = full_message();
    m.id = "evt-7";
    EventRef e(Event::build(m, 0));
    e->assign_sequence(99, "mk3l0q");
    EventRef back = round_trip(*e.get());
    ASSERT_NE(back.get(), nullptr);
    expect_same_event(*e.get(), *back.get());
    EXPECT_TRUE(back->has_explicit_id());
    EXPECT_EQ(back->id(), "evt-7");
    EXPECT_EQ(back->sequence(), 99u);

    m.id = std::string(kMaxEventId, 'i');
    EventRef longest(Event::build(m, 0));
    longest->assign_sequence(100, "mk3l0q");
    EventRef back2 = round_trip(*longest.get());
    ASSERT_NE(back2.get(), nullptr);
    expect_same_event(*longest.get(), *back2.get());
}

TEST(EventRecord, TargetedEventsOfEveryKind) {
    using K = Target::Kind;
    for (K kind : {K::all, K::users, K::roles, K::permissions, K::authenticated, K::subscribers}) {
        for (bool require_auth : {false, true}) {
            Message m = full_message();
            m.target.kind = kind;
            m.target.require_auth = require_auth;
            if (kind == K::users) m.target.users = {"u1", "user-two", std::string(300, 'u')};
            if (kind == K::roles) m.target.roles = {"admin", "moderator"};
            if (kind == K::permissions) m.target.permissions = {"dashboard.view"};
            m.target.exclude = {"banned"};
            EventRef e(Event::build(m, 0));
            ASSERT_NE(e.get(), nullptr);
            e->assign_sequence(7, "mk3l0q");
            SCOPED_TRACE(target_kind_name(kind));
            EventRef back = round_trip(*e.get());
            ASSERT_NE(back.get(), nullptr);
            expect_same_event(*e.get(), *back.get());
        }
    }
}

TEST(EventRecord, KindWithoutListsStaysForEveryone) {
    Message m = full_message();
    m.target.kind = Target::Kind::authenticated;
    EventRef e(Event::build(m, 0));
    e->assign_sequence(3, "mk3l0q");
    EventRef back = round_trip(*e.get());
    ASSERT_NE(back.get(), nullptr);
    expect_same_event(*e.get(), *back.get());
    EXPECT_FALSE(back->for_everyone());
}

TEST(EventRecord, UnnumberedEventCanStillBeNumbered) {
    EventRef e(Event::build("c", "e", "d", "", 0));
    EventRef back = round_trip(*e.get());
    ASSERT_NE(back.get(), nullptr);
    expect_same_event(*e.get(), *back.get());
    EXPECT_EQ(back->id(), "");
    // The id room in front of the body survived: numbering writes into it.
    const std::string longest_epoch = make_epoch(UINT64_MAX);
    e->assign_sequence(UINT64_MAX, longest_epoch);
    back->assign_sequence(UINT64_MAX, longest_epoch);
    expect_same_event(*e.get(), *back.get());
}

TEST(EventRecord, LargePayloadAndLongestChannel) {
    std::string data(1 << 20, 'd');
    EventRef e(Event::build(std::string(kMaxChannelName, 'c'), "blob", data, "", 0));
    e->assign_sequence(UINT64_MAX, make_epoch(UINT64_MAX));
    EventRef back = round_trip(*e.get());
    ASSERT_NE(back.get(), nullptr);
    expect_same_event(*e.get(), *back.get());
}

TEST(EventRecord, RandomMessages) {
    RINGCAST_SEEDED_RNG(rng);
    auto word = [&](size_t max) {
        std::string s(rng.between(1, max), 'a');
        for (char& c : s)
            c = char('a' + rng.below(26));
        return s;
    };
    for (int i = 0; i < 300; ++i) {
        Message m;
        m.channel = word(40);
        m.event = rng.chance(0.5) ? word(10) : "";
        m.data = word(200);
        if (rng.chance(0.3)) m.id = word(60);
        m.timestamp_ms = int64_t(rng.below(1ull << 42)) - (1ll << 40);
        m.ttl_ms = rng.chance(0.5) ? rng.below(1 << 30) : 0;
        m.priority = uint8_t(rng.below(kMaxPriority + 1));
        m.persistent = rng.chance(0.5);
        m.retryable = rng.chance(0.5);
        m.target.kind = Target::Kind(rng.below(6));
        m.target.require_auth = rng.chance(0.3);
        for (auto* list :
             {&m.target.users, &m.target.roles, &m.target.permissions, &m.target.exclude})
            for (uint64_t n = rng.chance(0.5) ? rng.below(4) : 0; n > 0; --n)
                list->push_back(word(20));
        EventRef e(Event::build(m, 1));
        ASSERT_NE(e.get(), nullptr);
        if (rng.chance(0.9)) e->assign_sequence(rng.engine()(), make_epoch(rng.engine()()));
        EventRef back = round_trip(*e.get());
        ASSERT_NE(back.get(), nullptr);
        expect_same_event(*e.get(), *back.get());
    }
}

// Every prefix of a valid record is refused with a reason (the record carries
// its lengths, so a cut anywhere is noticed), and so is every extension.
TEST(EventRecord, TruncatedAtEveryLength) {
    Message m = full_message();
    m.id = "explicit";
    m.target.kind = Target::Kind::users;
    m.target.users = {"u1", "u2"};
    m.target.exclude = {"x"};
    EventRef e(Event::build(m, 0));
    e->assign_sequence(5, "mk3l0q");
    const std::string record = encode_event(*e.get());
    for (size_t n = 0; n < record.size(); ++n) {
        std::string error;
        Event* got = decode_event(std::string_view(record).substr(0, n), &error);
        EXPECT_EQ(got, nullptr) << "prefix of " << n << " bytes";
        if (got) got->release();
        EXPECT_FALSE(error.empty()) << n;
    }
    std::string error;
    EXPECT_EQ(decode_event(record + "x", &error), nullptr);
    EXPECT_NE(error.find("after the record"), std::string::npos) << error;
}

TEST(EventRecord, RefusesWhatNoEventCouldHaveWritten) {
    EventRef e(Event::build("c", "e", "d", "", 0));
    e->assign_sequence(5, "mk3l0q");
    const std::string good = encode_event(*e.get());
    auto refused = [&](size_t at, char value, std::string_view why) {
        std::string bad = good;
        bad[at] = value;
        std::string error;
        Event* got = decode_event(bad, &error);
        EXPECT_EQ(got, nullptr) << why;
        if (got) got->release();
        EXPECT_NE(error.find(why), std::string::npos) << error;
    };
    refused(0, 2, "unknown record version 2");
    refused(1, char(0x40), "unknown flags");
    refused(2, 11, "priority");
    refused(3, 6, "unknown target kind");
    // 4..27: sequence, timestamp, expiry; 28: channel length; 29: "c"; 30: id
    // length; 31..34: wire length; 35: the wire bytes, "id: mk3l0q-5\n..."
    refused(28, 0, "invalid channel");
    refused(29, ' ', "invalid channel");
    refused(30, 100, "id of 100 bytes");
    refused(30, 5, "id line");
    refused(36, 'x', "id line");
    refused(1, 16, "truncated in the target lists");

    EventRef unnumbered(Event::build("c", "e", "d", "", 0));
    std::string bad = encode_event(*unnumbered.get());
    bad[1] = 1;  // an explicit id, but no id
    std::string error;
    EXPECT_EQ(decode_event(bad, &error), nullptr);
    EXPECT_NE(error.find("explicit id without an id"), std::string::npos) << error;
    std::string empty_lists = good;
    empty_lists[1] = 16;
    empty_lists.append(16, '\0');
    EXPECT_EQ(decode_event(empty_lists, &error), nullptr);
    EXPECT_NE(error.find("all empty"), std::string::npos) << error;
}

TEST(EventRecord, GarbageNeverCrashes) {
    RINGCAST_SEEDED_RNG(rng);
    Message m = full_message();
    m.target.kind = Target::Kind::roles;
    m.target.roles = {"admin", "ops"};
    EventRef e(Event::build(m, 0));
    e->assign_sequence(77, "mk3l0q");
    const std::string good = encode_event(*e.get());
    for (int i = 0; i < 20000; ++i) {
        std::string bad;
        if (rng.chance(0.3)) {
            bad.resize(rng.below(200));
            for (char& c : bad)
                c = char(rng.below(256));
            if (!bad.empty() && rng.chance(0.5)) bad[0] = char(kEventRecordVersion);
        } else {
            bad = good;
            for (uint64_t n = rng.between(1, 4); n > 0; --n)
                bad[rng.below(bad.size())] = char(rng.below(256));
        }
        std::string error;
        Event* got = decode_event(bad, &error);
        if (got) {
            // What decodes must be a consistent event: encoding it gives the input.
            EXPECT_EQ(encode_event(*got), bad);
            got->release();
        } else {
            EXPECT_FALSE(error.empty());
        }
    }
}

}  // namespace
}  // namespace ringcast

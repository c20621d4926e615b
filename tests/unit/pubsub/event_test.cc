// Event: the bytes of a published event, serialized once. Its wire view must be
// exactly what sse_event() writes for the same fields, before and after the owner
// shard numbers it.
#include "pubsub/event.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "pubsub/sse_format.h"
#include "support/sse.h"

namespace ringcast {
namespace {

// Events are frames: whoever builds one owns its single reference.
struct EventRef {
    Event* e;
    explicit EventRef(Event* ev) : e(ev) {}
    ~EventRef() {
        if (e) e->release();
    }
    Event* operator->() const { return e; }
};

TEST(Event, WithoutExplicitIdHasNoIdLineUntilNumbered) {
    EventRef e(Event::build("news.eu", "update", "a\nb", "", 1700000000123));
    ASSERT_NE(e.e, nullptr);
    EXPECT_FALSE(e->has_explicit_id());
    EXPECT_EQ(e->id(), "");
    EXPECT_EQ(e->view(), sse_event("", "update", "a\nb"));
    EXPECT_EQ(e->size(), e->view().size());

    e->assign_sequence(42, "mk3l0q");
    EXPECT_EQ(e->sequence(), 42u);
    EXPECT_EQ(e->id(), "mk3l0q-42");
    EXPECT_EQ(e->view(), sse_event("mk3l0q-42", "update", "a\nb"));
}

TEST(Event, SequenceIdsOfEveryWidthFitTheReservedRoom) {
    const std::string longest_epoch = make_epoch(UINT64_MAX);
    ASSERT_EQ(longest_epoch.size(), kMaxEpochLength);
    for (uint64_t seq : {uint64_t(0), uint64_t(1), uint64_t(9), uint64_t(10), uint64_t(123456789),
                         uint64_t(1) << 32, UINT64_MAX - 1, UINT64_MAX}) {
        EventRef e(Event::build("c", "", "payload", "", 0));
        ASSERT_NE(e.e, nullptr);
        e->assign_sequence(seq, longest_epoch);
        std::string id = longest_epoch + "-" + std::to_string(seq);
        EXPECT_EQ(e->id(), id);
        EXPECT_EQ(e->view(), sse_event(id, "", "payload"));
    }
}

TEST(Event, ExplicitIdIsOnTheWireFromTheStartAndSurvivesNumbering) {
    EventRef e(Event::build("alerts", "alert", "{\"level\":3}", "evt-7", 5));
    ASSERT_NE(e.e, nullptr);
    EXPECT_TRUE(e->has_explicit_id());
    EXPECT_EQ(e->id(), "evt-7");
    EXPECT_EQ(e->view(), sse_event("evt-7", "alert", "{\"level\":3}"));

    e->assign_sequence(99, "mk3l0q");
    EXPECT_EQ(e->sequence(), 99u) << "the channel sequence is recorded even with an explicit id";
    EXPECT_EQ(e->id(), "evt-7");
    EXPECT_EQ(e->view(), sse_event("evt-7", "alert", "{\"level\":3}"));
}

TEST(Event, LongestExplicitIdAndEmptyName) {
    std::string id(kMaxEventId, 'i');
    EventRef e(Event::build("c", "", "x\r\ny", id, 0));
    ASSERT_NE(e.e, nullptr);
    EXPECT_EQ(e->id(), id);
    EXPECT_EQ(e->view(), sse_event(id, "", "x\r\ny"));
}

TEST(Event, ViewParsesBackToTheFields) {
    EventRef e(Event::build("c", "update", "line1\rline2\r\n", "", 0));
    ASSERT_NE(e.e, nullptr);
    e->assign_sequence(7, "mk3l0q");
    SseParser p;
    auto got = test::parse_pieces(p, {e->view()});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], test::sse_ev("line1\nline2\n", "update", "mk3l0q-7"));
}

TEST(Event, LargePayload) {
    std::string data(1 << 20, 'd');
    for (size_t i = 100; i < data.size(); i += 1000)
        data[i] = '\n';
    EventRef e(Event::build("big", "blob", data, "", 0));
    ASSERT_NE(e.e, nullptr);
    e->assign_sequence(1, "mk3l0q");
    EXPECT_EQ(e->view(), sse_event("mk3l0q-1", "blob", data));
}

TEST(Event, ChannelAccessors) {
    std::string longest(kMaxChannelName, 'c');
    for (std::string_view ch :
         {std::string_view("a"), std::string_view("A-z_0.9:x"), std::string_view(longest)}) {
        EventRef e(Event::build(ch, "e", "d", "", -17));
        ASSERT_NE(e.e, nullptr) << ch;
        EXPECT_EQ(e->channel(), ch);
        EXPECT_EQ(e->channel_hash(), channel_hash(ch));
        EXPECT_EQ(e->timestamp_ms(), -17);
    }
    EXPECT_NE(channel_hash("a"), channel_hash("b"));
}

TEST(Event, InvalidChannelIsRefused) {
    EXPECT_EQ(Event::build("", "e", "d", "", 0), nullptr);
    EXPECT_EQ(Event::build("has space", "e", "d", "", 0), nullptr);
    EXPECT_EQ(Event::build("slash/", "e", "d", "", 0), nullptr);
    EXPECT_EQ(Event::build(std::string(kMaxChannelName + 1, 'c'), "e", "d", "", 0), nullptr);
}

TEST(Event, StartsWithOneReference) {
    Event* e = Event::build("c", "e", "d", "", 0);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->ref_count(), 1u);
    e->retain();
    EXPECT_EQ(e->ref_count(), 2u);
    e->release();
    EXPECT_EQ(e->ref_count(), 1u);
    e->release();
}

}  // namespace
}  // namespace ringcast

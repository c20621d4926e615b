// The text around events and reports on the cluster's bus
// (src/cluster/bus_message.h): what parses, what is refused and why.
#include "cluster/bus_message.h"

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "pubsub/event.h"
#include "pubsub/event_record.h"

namespace ringcast {
namespace {

TEST(BusMessage, AnEventAsTheScriptPublishesItParsesBackToItsRecord) {
    Event* e = Event::build("news", "e", R"({"n":1})", "", 1'796'688'044'419);
    ASSERT_NE(e, nullptr);
    const std::string record = encode_event(*e);
    const std::string instance = make_instance();
    std::string submission;
    write_bus_submission(&submission, instance, 7, record);
    const std::string text = "42 mxdxo50s " + submission;  // what the script adds in front

    BusEvent b;
    std::string error;
    ASSERT_TRUE(parse_bus_event(text, &b, &error)) << error;
    EXPECT_EQ(b.sequence, 42u);
    EXPECT_EQ(b.epoch, "mxdxo50s");
    EXPECT_EQ(b.instance, instance);
    EXPECT_EQ(b.token, 7u);
    EXPECT_EQ(b.record, record);
    Event* back = decode_event(b.record, &error);
    ASSERT_NE(back, nullptr) << error;
    back->assign_sequence(b.sequence, b.epoch);
    EXPECT_EQ(back->id(), "mxdxo50s-42");
    EXPECT_EQ(back->view().substr(back->view().find("event:")),
              e->view().substr(e->view().find("event:")));
    back->release();
    e->release();
}

TEST(BusMessage, AnInstanceIsSixteenHexDigitsAndNewEachTime) {
    const std::string a = make_instance(), b = make_instance();
    EXPECT_EQ(a.size(), kInstanceLength);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
    EXPECT_NE(a, b);
}

TEST(BusMessage, MalformedEventsAreRefusedWithTheirReason) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "no sequence"},
        {"0 ep 0123456789abcdef 1 r", "no sequence"},
        {"x ep 0123456789abcdef 1 r", "no sequence"},
        {"99999999999999999999999 ep 0123456789abcdef 1 r", "no sequence"},
        {"1 EP 0123456789abcdef 1 r", "no epoch"},
        {"1 abcdefghijklmn 0123456789abcdef 1 r", "no epoch"},  // 14 > kMaxEpochLength
        {"1 ep 0123456789ABCDEF 1 r", "no instance"},
        {"1 ep 0123 1 r", "no instance"},
        {"1 ep 0123456789abcdef -1 r", "no token"},
        {"1 ep 0123456789abcdef 1 ", "no record"},
        {"1 ep 0123456789abcdef 1", "no token"},
    };
    for (const auto& [text, why] : cases) {
        BusEvent b;
        std::string error;
        EXPECT_FALSE(parse_bus_event(text, &b, &error)) << text;
        EXPECT_EQ(error, why) << text;
    }
}

TEST(BusMessage, ReportsRoundTripAndABadLineStopsTheRest) {
    std::string text;
    write_report(&text, 7, 3, 0);
    write_report(&text, 8, 100, 2);
    EXPECT_EQ(text, "7 3 0\n8 100 2\n");
    std::vector<std::tuple<uint64_t, uint64_t, uint64_t>> got;
    auto collect = [&](uint64_t t, uint64_t s, uint64_t f) { got.emplace_back(t, s, f); };
    EXPECT_TRUE(parse_reports(text, collect));
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[1], std::make_tuple(8ull, 100ull, 2ull));

    got.clear();
    EXPECT_FALSE(parse_reports("7 3 0\n8 x 2\n9 1 1\n", collect));
    EXPECT_EQ(got.size(), 1u) << "the good line before it counts";
    EXPECT_FALSE(parse_reports("7 3 0", collect)) << "a line without its end";
    EXPECT_FALSE(parse_reports("7 3\n", collect));
    EXPECT_FALSE(parse_reports("7 3 0 1\n", collect));
}

}  // namespace
}  // namespace ringcast

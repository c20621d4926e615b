// Event ids: "<epoch>-<sequence>", read back only for the same epoch and only in
// the one spelling they are written in.
#include "pubsub/event_id.h"

#include <cstdint>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

TEST(EventId, RoundTripsForItsEpoch) {
    const std::string epoch = make_epoch(1'795'410'947'321);
    for (uint64_t seq : {uint64_t(0), uint64_t(1), uint64_t(42), uint64_t(1) << 40, UINT64_MAX}) {
        std::string id = format_event_id(epoch, seq);
        EXPECT_EQ(id, epoch + "-" + std::to_string(seq));
        EXPECT_EQ(parse_event_id(id, epoch), seq) << id;
    }
}

TEST(EventId, EpochsAreBase36AndOrderedByTime) {
    EXPECT_EQ(make_epoch(0), "0");
    EXPECT_EQ(make_epoch(35), "z");
    EXPECT_EQ(make_epoch(36), "10");
    EXPECT_EQ(make_epoch(UINT64_MAX).size(), kMaxEpochLength);
}

TEST(EventId, AnythingElseIsUnknown) {
    const std::string epoch = "mk3l0q";
    for (const char* id : {"", "mk3l0q", "mk3l0q-", "mk3l0q-x", "mk3l0q-12x", "mk3l0q--1",
                           "mk3l0q-+1", "mk3l0q-01", "mk3l0r-12", "k3l0q-12", "12", "evt-7",
                           "mk3l0q-18446744073709551616", " mk3l0q-1", "mk3l0q-1 "})
        EXPECT_FALSE(parse_event_id(id, epoch).has_value()) << id;
}

}  // namespace
}  // namespace ringcast

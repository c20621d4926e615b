// ReplyQueue: replies leave in request order however their answers arrive;
// fire-and-forget slots say nothing on success and name their line on failure.
#include "publish/reply_queue.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/random.h"

namespace ringcast {
namespace {

TEST(ReplyQueue, ImmediateRepliesGoStraightOutWhenNothingWaits) {
    ReplyQueue q;
    q.push("{\"a\":1}\n");
    EXPECT_EQ(q.out(), "{\"a\":1}\n");
    EXPECT_EQ(q.waiting(), 0u);
}

TEST(ReplyQueue, RepliesBehindAWaitingSlotWaitForIt) {
    ReplyQueue q;
    uint64_t s = q.reserve("1");
    q.push("{\"req\":2,\"ok\":true}\n");
    EXPECT_EQ(q.out(), "");
    EXPECT_EQ(q.waiting(), 2u);
    q.fill_ok(s, ",\"id\":\"7\"");
    EXPECT_EQ(q.out(), "{\"req\":1,\"ok\":true,\"id\":\"7\"}\n{\"req\":2,\"ok\":true}\n");
    EXPECT_EQ(q.waiting(), 0u);
}

TEST(ReplyQueue, AnswersInAnyOrderLeaveInRequestOrder) {
    RINGCAST_SEEDED_RNG(rng);
    ReplyQueue q;
    std::vector<uint64_t> slots;
    for (int i = 0; i < 200; ++i)
        slots.push_back(q.reserve(std::to_string(i)));
    std::vector<size_t> order(slots.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng.engine());
    for (size_t i : order) {
        if (i % 3 == 0)
            q.fill_error(slots[i], "{\"code\":\"x\",\"message\":\"m\"}");
        else
            q.fill_ok(slots[i], "");
    }
    std::string want;
    for (size_t i = 0; i < slots.size(); ++i)
        want += "{\"req\":" + std::to_string(i) +
                (i % 3 == 0 ? ",\"ok\":false,\"error\":{\"code\":\"x\",\"message\":\"m\"}}\n"
                            : ",\"ok\":true}\n");
    EXPECT_EQ(q.out(), want);
    EXPECT_EQ(q.waiting(), 0u);
}

TEST(ReplyQueue, SilentSlotsSayNothingOnSuccessAndTheirLineOnFailure) {
    ReplyQueue q;
    uint64_t quiet = q.reserve_silent(3);
    uint64_t failing = q.reserve_silent(4);
    uint64_t answered = q.reserve("\"r\"");
    q.fill_ok(answered, "");
    q.fill_error(failing, "{\"code\":\"not_found\",\"message\":\"m\"}");
    EXPECT_EQ(q.out(), "") << "still behind line 3";
    q.fill_ok(quiet, ",\"ignored\":1");
    EXPECT_EQ(q.out(),
              "{\"ok\":false,\"line\":4,\"error\":{\"code\":\"not_found\",\"message\":\"m\"}}\n"
              "{\"req\":\"r\",\"ok\":true}\n");
}

}  // namespace
}  // namespace ringcast

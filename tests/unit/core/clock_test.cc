// tests src/core/clock.h: a monotonic instant shown as wall time.
#include "core/clock.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

// Two answers listing the same connection must show the same connectedAt:
// reading both clocks per call made one instant differ by a millisecond.
TEST(WallOfMono, TheSameInstantReadsTheSameEveryTime) {
    const uint64_t instant = mono_ms();
    const int64_t first = wall_ms_of(instant);
    const uint64_t until = mono_ms() + 20;  // across several millisecond ticks
    while (mono_ms() < until)
        EXPECT_EQ(wall_ms_of(instant), first);
}

TEST(WallOfMono, NowIsCloseToTheWallClock) {
    const int64_t shown = wall_ms_of(mono_ms());
    const int64_t wall = wall_ms();
    EXPECT_LE(std::abs(shown - wall), 2);
}

TEST(WallOfMono, AnEarlierInstantIsEarlierByItsDistance) {
    const uint64_t now = mono_ms();
    EXPECT_EQ(wall_ms_of(now) - wall_ms_of(now - 5000), 5000);
}

}  // namespace
}  // namespace ringcast

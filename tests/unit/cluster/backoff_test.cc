// The reconnect backoff (cluster/backoff.h): ceilings double from base up to
// max, each wait is drawn from [0, ceiling] (full jitter: spread, not a
// ladder), and a success starts over.
#include "cluster/backoff.h"

#include <set>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

TEST(Backoff, CeilingsDoubleUpToMax) {
    Backoff b(100, 1000, 1);
    std::vector<uint64_t> ceilings;
    for (int i = 0; i < 6; ++i) {
        ceilings.push_back(b.ceiling());
        b.next();
    }
    EXPECT_EQ(ceilings, (std::vector<uint64_t>{100, 200, 400, 800, 1000, 1000}));
    EXPECT_EQ(b.attempts(), 6u);
    b.reset();
    EXPECT_EQ(b.ceiling(), 100u);
}

TEST(Backoff, WaitsAreSpreadOverTheWholeRange) {
    Backoff b(1000, 1000, 7);
    std::set<uint64_t> tenths;
    for (int i = 0; i < 1000; ++i) {
        const uint64_t w = b.next();
        ASSERT_LE(w, 1000u);
        tenths.insert(w / 100);
    }
    EXPECT_GE(tenths.size(), 10u) << "full jitter covers [0, ceiling]";
}

TEST(Backoff, TwoLinksDoNotWaitAlike) {
    Backoff a(100, 5000, 1), b(100, 5000, 2);
    int same = 0;
    for (int i = 0; i < 20; ++i)
        same += a.next() == b.next();
    EXPECT_LT(same, 5);
}

TEST(Backoff, ManyAttemptsNeverOverflow) {
    Backoff b(1, 5000, 3);
    for (int i = 0; i < 200; ++i)
        EXPECT_LE(b.next(), 5000u);
}

}  // namespace
}  // namespace ringcast

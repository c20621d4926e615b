// NameSet / NameInterner: membership and intersection agree with std::set over ids
// on both sides of the 64-id word, and interning is stable.
#include "pubsub/name_set.h"

#include <set>

#include <gtest/gtest.h>

#include "support/random.h"

namespace ringcast {
namespace {

TEST(NameInterner, SameNameSameIdAndLookupsNeverInsert) {
    NameInterner n;
    EXPECT_EQ(n.intern("admin"), 0u);
    EXPECT_EQ(n.intern("moderator"), 1u);
    EXPECT_EQ(n.intern("admin"), 0u);
    EXPECT_EQ(n.find("moderator"), 1u);
    EXPECT_FALSE(n.find("nobody").has_value());
    EXPECT_EQ(n.size(), 2u);
    EXPECT_EQ(n.name(1), "moderator");
}

TEST(NameSet, AgreesWithASetOfIdsBelowAndAbove64) {
    RINGCAST_SEEDED_RNG(rng);
    for (int round = 0; round < 500; ++round) {
        NameSet a, b;
        std::set<uint32_t> sa, sb;
        const uint32_t range = rng.chance(0.5) ? 64 : 300;
        for (uint64_t i = rng.below(8); i > 0; --i) {
            uint32_t id = uint32_t(rng.below(range));
            a.add(id);
            sa.insert(id);
        }
        for (uint64_t i = rng.below(8); i > 0; --i) {
            uint32_t id = uint32_t(rng.below(range));
            b.add(id);
            sb.insert(id);
        }
        bool want = false;
        for (uint32_t id : sa)
            want |= sb.count(id) > 0;
        ASSERT_EQ(a.intersects(b), want) << "round " << round;
        ASSERT_EQ(b.intersects(a), want);
        ASSERT_EQ(a.empty(), sa.empty());
        std::set<uint32_t> listed;
        a.for_each([&](uint32_t id) { listed.insert(id); });
        ASSERT_EQ(listed, sa);
        for (uint32_t id = 0; id < range; ++id)
            ASSERT_EQ(a.contains(id), sa.count(id) > 0);
    }
}

}  // namespace
}  // namespace ringcast

// Channel names: the accepted alphabet and length, the FNV-1a hash, and the
// owner shard derived from it (deterministic, in range, spread over shards).
#include "pubsub/channel_name.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

TEST(ChannelName, Alphabet) {
    EXPECT_TRUE(valid_channel_name("alerts"));
    EXPECT_TRUE(valid_channel_name("Org-1.team_2:room-3"));
    EXPECT_TRUE(valid_channel_name(std::string(kMaxChannelName, 'x')));
    EXPECT_FALSE(valid_channel_name(""));
    EXPECT_FALSE(valid_channel_name(std::string(kMaxChannelName + 1, 'x')));
    for (std::string_view bad : {"a b", "a/b", "a,b", "a\nb", "caf\xC3\xA9", "a*", "a?", "a%20"})
        EXPECT_FALSE(valid_channel_name(bad)) << bad;
}

TEST(ChannelName, HashIsFnv1a64) {
    // Published FNV-1a 64-bit test vectors.
    EXPECT_EQ(channel_hash(""), 0xcbf29ce484222325ull);
    EXPECT_EQ(channel_hash("a"), 0xaf63dc4c8601ec8cull);
    EXPECT_EQ(channel_hash("foobar"), 0x85944171f73967e8ull);
}

}  // namespace
}  // namespace ringcast

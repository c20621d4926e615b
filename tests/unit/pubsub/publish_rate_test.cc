// The per-minute publish rate: a sliding window of 60 one-second buckets, in
// total and per channel, with channels forgotten once their window is empty.
#include "pubsub/publish_rate.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

constexpr uint64_t kT0 = 1'000'000;  // a monotonic time in ms, far from 0

std::map<std::string, uint64_t> channels(PublishRate& r, uint64_t now_ms) {
    std::map<std::string, uint64_t> out;
    r.for_each_channel(now_ms,
                       [&](std::string_view name, uint64_t n) { out[std::string(name)] = n; });
    return out;
}

TEST(MinuteWindow, CountsTheLastSixtySecondsAndNothingOlder) {
    MinuteWindow w;
    const uint64_t t = kT0 / 1000;
    w.add(t);
    w.add(t);
    w.add(t + 30);
    EXPECT_EQ(w.sum(t + 30), 3u);
    EXPECT_EQ(w.sum(t + 59), 3u) << "the second of t is still in the window";
    EXPECT_EQ(w.sum(t + 60), 1u) << "the second of t has left the window";
    EXPECT_FALSE(w.empty_at(t + 89));
    EXPECT_EQ(w.sum(t + 90), 0u);
    EXPECT_TRUE(w.empty_at(t + 90));
}

TEST(MinuteWindow, ABucketReusedAfterAMinuteStartsFromZero) {
    MinuteWindow w;
    const uint64_t t = kT0 / 1000;
    for (int i = 0; i < 5; ++i)
        w.add(t);
    w.add(t + 60);  // the same bucket, a minute later
    EXPECT_EQ(w.sum(t + 60), 1u);
    w.add(t + 1000);  // long idle: every bucket cleared
    EXPECT_EQ(w.sum(t + 1000), 1u);
}

TEST(PublishRate, CountsPerChannelAndInTotal) {
    PublishRate r;
    for (int i = 0; i < 5; ++i)
        r.count("a", kT0 + uint64_t(i) * 100);
    r.count("b", kT0 + 20'000);
    EXPECT_EQ(r.total(kT0 + 20'000), 6u);
    EXPECT_EQ(channels(r, kT0 + 20'000), (std::map<std::string, uint64_t>{{"a", 5}, {"b", 1}}));
    // A minute after a's publishes only b's is left; a is not listed.
    EXPECT_EQ(r.total(kT0 + 60'000), 1u);
    EXPECT_EQ(channels(r, kT0 + 60'000), (std::map<std::string, uint64_t>{{"b", 1}}));
}

TEST(PublishRate, ForgetsChannelsWhoseWindowEmptied) {
    PublishRate r;
    for (int i = 0; i < 100; ++i)
        r.count("old-" + std::to_string(i), kT0);
    EXPECT_EQ(r.tracked_channels(), 100u);
    r.count("new", kT0 + 61'000);  // a new channel a minute later prunes the old ones
    EXPECT_EQ(r.tracked_channels(), 1u);
    EXPECT_EQ(r.total(kT0 + 61'000), 1u);
}

TEST(PublishRate, ChannelsBeyondTheBoundCountInTheTotalOnly) {
    PublishRate r;
    for (size_t i = 0; i < PublishRate::kMaxChannels + 10; ++i)
        r.count("c" + std::to_string(i), kT0);
    EXPECT_EQ(r.tracked_channels(), PublishRate::kMaxChannels);
    EXPECT_EQ(r.total(kT0), PublishRate::kMaxChannels + 10);
    uint64_t listed = 0;
    r.for_each_channel(kT0, [&](std::string_view, uint64_t n) { listed += n; });
    EXPECT_EQ(listed, PublishRate::kMaxChannels);
    r.count("c0", kT0);  // a tracked channel still counts
    EXPECT_EQ(channels(r, kT0)["c0"], 2u);
}

}  // namespace
}  // namespace ringcast

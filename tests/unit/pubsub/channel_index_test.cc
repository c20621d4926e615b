// ChannelIndex: subscribe/unsubscribe must keep every channel's dense subscriber
// array and each subscription's index in agreement (swap-remove), and drop a
// channel that has no subscribers left unless this shard owns it. Checked against
// a std::map of std::set after every random operation.
#include "pubsub/channel_index.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pubsub/channel_name.h"
#include "support/random.h"

namespace ringcast {
namespace {

Channel* get(ChannelIndex& idx, std::string_view name) {
    return idx.get_or_create(name, channel_hash(name));
}
Channel* find(const ChannelIndex& idx, std::string_view name) {
    return idx.find(name, channel_hash(name));
}

// Every subscriber sits at the index it believes it has, pointing back at its channel.
void expect_consistent(const Channel& ch) {
    for (size_t i = 0; i < ch.subscribers.size(); ++i) {
        ASSERT_NE(ch.subscribers[i], nullptr);
        EXPECT_EQ(ch.subscribers[i]->index, i) << ch.name;
        EXPECT_EQ(ch.subscribers[i]->channel, &ch) << ch.name;
    }
}

TEST(ChannelIndex, GetOrCreateIsIdempotentAndFindable) {
    ChannelIndex idx;
    EXPECT_EQ(find(idx, "news"), nullptr);
    Channel* a = get(idx, "news");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->name, "news");
    EXPECT_EQ(a->hash, channel_hash("news"));
    EXPECT_EQ(get(idx, "news"), a);
    EXPECT_EQ(find(idx, "news"), a);
    EXPECT_EQ(idx.size(), 1u);
    EXPECT_EQ(idx.find("news", channel_hash("news") + 1), nullptr) << "the hash is part of the key";
    // The key refers to the channel's own copy of the name, not the caller's buffer.
    std::string temp = "temporary";
    Channel* t = get(idx, temp);
    temp.assign("XXXXXXXXX");
    EXPECT_EQ(find(idx, "temporary"), t);
}

TEST(ChannelIndex, SubscribeAppendsAndUnsubscribeSwapsWithTheLast) {
    ChannelIndex idx;
    Channel* ch = get(idx, "c");
    Subscription s[4];
    for (auto& sub : s)
        idx.subscribe(sub, *ch);
    EXPECT_EQ(idx.subscriptions(), 4u);
    ASSERT_EQ(ch->subscribers, (std::vector<Subscription*>{&s[0], &s[1], &s[2], &s[3]}));

    idx.unsubscribe(s[1]);
    EXPECT_EQ(ch->subscribers, (std::vector<Subscription*>{&s[0], &s[3], &s[2]}));
    EXPECT_EQ(s[3].index, 1u);
    EXPECT_EQ(s[1].channel, nullptr);
    expect_consistent(*ch);

    idx.unsubscribe(s[2]);  // the last one: nothing moves
    EXPECT_EQ(ch->subscribers, (std::vector<Subscription*>{&s[0], &s[3]}));
    expect_consistent(*ch);
    EXPECT_EQ(idx.subscriptions(), 2u);
}

TEST(ChannelIndex, UnsubscribingTwiceOrNeverSubscribedIsHarmless) {
    ChannelIndex idx;
    Channel* ch = get(idx, "c");
    Subscription a, b, never;
    idx.subscribe(a, *ch);
    idx.subscribe(b, *ch);
    idx.unsubscribe(a);
    idx.unsubscribe(a);
    idx.unsubscribe(never);
    EXPECT_EQ(idx.subscriptions(), 1u);
    EXPECT_EQ(ch->subscribers, std::vector<Subscription*>{&b});
    expect_consistent(*ch);
}

// A stream catching up knows its channels (its connection info lists them) before
// it is in their lists: unsubscribing it then leaves the lists alone.
TEST(ChannelIndex, AHeldSubscriptionIsNotInTheListAndUnsubscribesHarmlessly) {
    ChannelIndex idx;
    Channel* ch = get(idx, "news");
    idx.hold(*ch);
    Subscription live, held;
    idx.subscribe(live, *ch);
    held.channel = ch;
    held.index = Subscription::kHeld;
    idx.unsubscribe(held);
    EXPECT_EQ(held.channel, nullptr);
    ASSERT_EQ(ch->subscribers.size(), 1u);
    EXPECT_EQ(ch->subscribers[0], &live);
    expect_consistent(*ch);
    idx.unsubscribe(live);
    idx.release(*ch);
}

TEST(ChannelIndex, EmptyChannelIsErasedUnlessHeld) {
    ChannelIndex idx;
    Channel* plain = get(idx, "plain");
    Channel* held = get(idx, "held");
    idx.hold(*held);
    Subscription a, b;
    idx.subscribe(a, *plain);
    idx.subscribe(b, *held);
    EXPECT_EQ(idx.size(), 2u);

    idx.unsubscribe(a);
    EXPECT_EQ(find(idx, "plain"), nullptr);
    idx.unsubscribe(b);
    EXPECT_EQ(find(idx, "held"), held) << "a stream about to subscribe holds it";
    idx.release(*held);
    EXPECT_EQ(find(idx, "held"), nullptr);
    EXPECT_EQ(idx.size(), 0u);

    // Subscribing again to an erased channel starts a fresh entry.
    Channel* again = get(idx, "plain");
    idx.subscribe(a, *again);
    EXPECT_EQ(again->subscribers, std::vector<Subscription*>{&a});
    EXPECT_EQ(idx.size(), 1u);
    idx.unsubscribe(a);
}

TEST(ChannelIndex, AHoldKeepsTheChannelPresentWithoutSubscribers) {
    ChannelPresence presence(2);
    ChannelIndex idx(&presence, 1);
    const uint64_t h = channel_hash("resumed");
    Channel* ch = idx.get_or_create("resumed", h);
    EXPECT_FALSE(presence.maybe_subscribed(1, h));
    idx.hold(*ch);
    EXPECT_TRUE(presence.maybe_subscribed(1, h)) << "the log must send its events here";
    Subscription s;
    idx.subscribe(s, *ch);
    idx.release(*ch);
    EXPECT_TRUE(presence.maybe_subscribed(1, h)) << "now subscribed";
    idx.unsubscribe(s);
    EXPECT_FALSE(presence.maybe_subscribed(1, h));
    EXPECT_EQ(idx.size(), 0u);
}

TEST(ChannelIndex, ForEachVisitsEveryChannel) {
    ChannelIndex idx;
    for (std::string_view n : {"a", "b", "c"})
        get(idx, n);
    std::set<std::string> seen;
    idx.for_each([&](const Channel& ch) { seen.insert(ch.name); });
    EXPECT_EQ(seen, (std::set<std::string>{"a", "b", "c"}));
}

TEST(ChannelIndex, RandomSubscriptionsAgreeWithAReference) {
    RINGCAST_SEEDED_RNG(rng);
    ChannelIndex idx;
    std::vector<std::string> names;
    for (int i = 0; i < 40; ++i)
        names.push_back("ch." + std::to_string(i));
    std::vector<std::unique_ptr<Subscription>> subs;
    for (int i = 0; i < 2000; ++i)
        subs.push_back(std::make_unique<Subscription>());
    std::map<std::string, std::set<Subscription*>> ref;  // channel -> subscribers
    std::map<Subscription*, std::string> where;          // subscription -> channel

    for (int op = 0; op < 100'000; ++op) {
        Subscription* s = subs[rng.below(subs.size())].get();
        auto it = where.find(s);
        if (it == where.end()) {
            const std::string& name = rng.pick(names);
            Channel* ch = get(idx, name);
            idx.subscribe(*s, *ch);
            ref[name].insert(s);
            where[s] = name;
        } else {
            idx.unsubscribe(*s);
            ASSERT_EQ(s->channel, nullptr);
            ref[it->second].erase(s);
            where.erase(it);
        }
        if (op % 97 != 0) continue;
        // Full comparison now and then.
        ASSERT_EQ(idx.subscriptions(), where.size()) << "op " << op;
        size_t expected_channels = 0;
        for (const std::string& name : names) {
            const std::set<Subscription*>& want = ref[name];
            Channel* ch = find(idx, name);
            if (want.empty()) {
                ASSERT_EQ(ch, nullptr) << "op " << op << ": " << name << " should have been erased";
                continue;
            }
            ++expected_channels;
            ASSERT_NE(ch, nullptr) << "op " << op << ": " << name;
            std::set<Subscription*> got(ch->subscribers.begin(), ch->subscribers.end());
            ASSERT_EQ(got, want) << "op " << op << ": " << name;
            ASSERT_EQ(ch->subscribers.size(), want.size()) << "no duplicates";
            expect_consistent(*ch);
        }
        ASSERT_EQ(idx.size(), expected_channels) << "op " << op;
    }
    for (auto& [s, name] : where)
        idx.unsubscribe(*s);
    EXPECT_EQ(idx.subscriptions(), 0u);
    EXPECT_EQ(idx.size(), 0u);
}

}  // namespace
}  // namespace ringcast

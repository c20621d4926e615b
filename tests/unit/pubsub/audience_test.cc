// Audience: streams listed under their user (and only authenticated ones), removed
// in any order; targets resolved against the names this shard has seen.
#include "pubsub/audience.h"

#include <algorithm>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "pubsub/event.h"
#include "support/random.h"

namespace ringcast {
namespace {

TEST(Audience, StreamsAreListedUnderTheirUserAndRemovedInAnyOrder) {
    RINGCAST_SEEDED_RNG(rng);
    Audience a;
    std::vector<std::unique_ptr<Identity>> ids;
    std::vector<std::unique_ptr<Member>> members;
    for (int i = 0; i < 200; ++i) {
        ids.push_back(std::make_unique<Identity>());
        ids.back()->user = "u" + std::to_string(i % 7);
        members.push_back(std::make_unique<Member>());
        members.back()->who = ids.back().get();
        a.add(*members.back());
        a.add(*members.back());  // twice: still listed once
    }
    Member anonymous;
    a.add(anonymous);
    EXPECT_FALSE(anonymous.indexed);
    EXPECT_EQ(a.users(), 7u);
    std::shuffle(members.begin(), members.end(), rng.engine());
    while (!members.empty()) {
        Member* gone = members.back().get();
        a.remove(*gone);
        members.pop_back();
        // Every remaining member is found under its user, exactly once.
        for (const auto& m : members) {
            const auto* list = a.streams_of(m->who->user);
            ASSERT_NE(list, nullptr);
            ASSERT_EQ(std::count(list->begin(), list->end(), m.get()), 1);
            ASSERT_EQ((*list)[m->user_pos], m.get());
        }
    }
    EXPECT_EQ(a.users(), 0u);
    EXPECT_EQ(a.streams_of("u1"), nullptr);
}

TEST(Audience, TargetsResolveToTheIdsThisShardKnows) {
    Audience a;
    Identity admin, viewer;
    a.set_names(admin, {"admin", "ops"}, {});
    a.set_names(viewer, {}, {"dashboard.view"});
    EXPECT_EQ(a.role_names(admin), (std::vector<std::string>{"admin", "ops"}));
    EXPECT_EQ(a.permission_names(viewer), (std::vector<std::string>{"dashboard.view"}));

    Message m;
    m.channel = "c";
    m.event = "e";
    m.data = "1";
    m.target.kind = Target::Kind::roles;
    m.target.roles = {"nobody-has-this", "ops"};
    Event* e = Event::build(m, 1);
    ResolvedTarget t = a.resolve(e->target());
    EXPECT_TRUE(admin.roles.intersects(t.roles));
    EXPECT_FALSE(viewer.roles.intersects(t.roles));
    e->release();

    m.target.roles = {"unknown"};
    e = Event::build(m, 1);
    t = a.resolve(e->target());
    EXPECT_TRUE(t.roles.empty()) << "a name nobody holds matches nobody";
    EXPECT_FALSE(matches(t, admin));
    e->release();
}

}  // namespace
}  // namespace ringcast

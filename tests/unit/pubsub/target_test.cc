// Targets: the lists an event carries survive the encoding inside the event, and
// matches() applies the targeting rules (kinds, exclusions, requireAuth) to an identity
// whose names were interned by a shard's Audience, as the fan-out does.
#include "pubsub/target.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pubsub/audience.h"
#include "pubsub/event.h"

namespace ringcast {
namespace {

Event* event_with(const Target& t) {
    Message m;
    m.channel = "c";
    m.event = "e";
    m.data = "1";
    m.target = t;
    return Event::build(m, 1000);
}

std::vector<std::string> collect(const StringList& l) {
    std::vector<std::string> v;
    l.for_each([&](std::string_view s) { v.emplace_back(s); });
    return v;
}

// One shard's interners, shared by the identities and events of a test.
Audience audience;

Identity user(std::string id, std::vector<std::string> roles = {},
              std::vector<std::string> perms = {}, bool subscriber = false) {
    Identity who;
    who.user = std::move(id);
    who.authenticated = true;
    audience.set_names(who, roles, perms);
    who.subscriber = subscriber;
    return who;
}

bool matches_event(const Event& e, const Identity& who) {
    return matches(audience.resolve(e.target()), who);
}

TEST(Target, ListsRoundTripThroughTheEvent) {
    Target t;
    t.kind = Target::Kind::users;
    t.users = {"1", "alice", std::string(256, 'x')};
    t.exclude = {"9"};
    t.require_auth = true;
    Event* e = event_with(t);
    TargetView v = e->target();
    EXPECT_EQ(v.kind, Target::Kind::users);
    EXPECT_TRUE(v.require_auth);
    EXPECT_EQ(collect(v.users), t.users);
    EXPECT_TRUE(v.roles.empty());
    EXPECT_TRUE(v.permissions.empty());
    EXPECT_EQ(collect(v.exclude), t.exclude);
    EXPECT_FALSE(e->for_everyone());
    // The wire bytes do not include the lists.
    EXPECT_EQ(e->view().find("alice"), std::string_view::npos);
    e->release();
}

TEST(Target, UntargetedEventsNeedNoCheck) {
    Event* e = event_with(Target{});
    EXPECT_TRUE(e->for_everyone());
    EXPECT_TRUE(e->target().everyone());
    e->release();
}

TEST(Target, AnonymousConnectionsReceiveOnlyUntargetedEvents) {
    auto check = [](Target t) {
        Event* e = event_with(t);
        bool got = matches_event(*e, kAnonymous);
        e->release();
        return got;
    };
    EXPECT_TRUE(check(Target{}));
    Target t;
    t.kind = Target::Kind::users;
    t.users = {"1"};
    EXPECT_FALSE(check(t));
    t = Target{};
    t.kind = Target::Kind::authenticated;
    EXPECT_FALSE(check(t));
    t = Target{};
    t.kind = Target::Kind::subscribers;
    EXPECT_FALSE(check(t));
    t = Target{};
    t.require_auth = true;
    EXPECT_FALSE(check(t));
    t = Target{};
    t.exclude = {"1"};
    EXPECT_TRUE(check(t)) << "an exclusion list excludes users, and the anonymous have none";
}

TEST(Target, EveryKindAgainstIdentities) {
    const Identity alice = user("alice", {"admin"}, {"dashboard.view"}, true);
    const Identity bob = user("bob", {"moderator"}, {}, false);
    struct Case {
        Target t;
        bool alice, bob;
    };
    std::vector<Case> cases;
    Target t;
    t.kind = Target::Kind::users;
    t.users = {"bob", "carol"};
    cases.push_back({t, false, true});
    t = Target{};
    t.kind = Target::Kind::roles;
    t.roles = {"admin", "ops"};
    cases.push_back({t, true, false});
    t = Target{};
    t.kind = Target::Kind::permissions;
    t.permissions = {"dashboard.view"};
    cases.push_back({t, true, false});
    t = Target{};
    t.kind = Target::Kind::subscribers;
    cases.push_back({t, true, false});
    t = Target{};
    t.kind = Target::Kind::authenticated;
    cases.push_back({t, true, true});
    t = Target{};
    t.kind = Target::Kind::authenticated;
    t.exclude = {"alice"};
    cases.push_back({t, false, true});
    t = Target{};
    t.kind = Target::Kind::roles;
    t.roles = {"admin", "moderator"};
    t.exclude = {"bob"};
    cases.push_back({t, true, false});
    for (size_t i = 0; i < cases.size(); ++i) {
        Event* e = event_with(cases[i].t);
        EXPECT_EQ(matches_event(*e, alice), cases[i].alice) << "case " << i;
        EXPECT_EQ(matches_event(*e, bob), cases[i].bob) << "case " << i;
        e->release();
    }
}

TEST(Target, RequireAuthNeedsAnAuthenticatedConnection) {
    Target t;
    t.require_auth = true;
    Event* e = event_with(t);
    Identity named_but_unauthenticated;
    named_but_unauthenticated.user = "x";
    EXPECT_FALSE(matches_event(*e, named_but_unauthenticated));
    EXPECT_TRUE(matches_event(*e, user("x")));
    e->release();
}

}  // namespace
}  // namespace ringcast

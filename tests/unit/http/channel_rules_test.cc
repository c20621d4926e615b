// Channel rules: which rule governs a channel (exact name, then the most
// specific pattern, then file order), pattern matching, and who each rule
// admits, with messages that name the channel and what it needs.
#include "http/channel_rules.h"

#include <gtest/gtest.h>

namespace ringcast {
namespace {

Claims user(std::string id, std::vector<std::string> roles = {},
            std::vector<std::string> permissions = {}) {
    Claims c;
    c.user = std::move(id);
    c.roles = std::move(roles);
    c.permissions = std::move(permissions);
    return c;
}

TEST(ChannelPattern, StarMatchesAnyRunIncludingNone) {
    EXPECT_TRUE(channel_pattern_matches("user:*", "user:42"));
    EXPECT_TRUE(channel_pattern_matches("user:*", "user:"));
    EXPECT_FALSE(channel_pattern_matches("user:*", "users:42"));
    EXPECT_TRUE(channel_pattern_matches("*-admin", "team-admin"));
    EXPECT_FALSE(channel_pattern_matches("*-admin", "team-admins"));
    EXPECT_TRUE(channel_pattern_matches("a*b*c", "aXXbYYbZZc"));
    EXPECT_FALSE(channel_pattern_matches("a*b*c", "aXXbYYbZZ"));
    EXPECT_TRUE(channel_pattern_matches("*", "anything"));
    EXPECT_TRUE(channel_pattern_matches("**x", "x"));
    EXPECT_TRUE(channel_pattern_matches("exact", "exact"));
    EXPECT_FALSE(channel_pattern_matches("exact", "exactly"));
    EXPECT_FALSE(channel_pattern_matches("exact", "exac"));
}

TEST(ChannelRules, ExactNameThenMostSpecificPatternThenFileOrder) {
    ChannelRules rules({{"private-*", true, {}, {}},
                        {"private-admin-*", false, {"admin"}, {}},
                        {"private-admin-log", false, {}, {}},
                        {"*-log", false, {"ops"}, {}},
                        {"*-feed", false, {"a"}, {}},
                        {"news-*", false, {"b"}, {}}},
                       true);
    EXPECT_EQ(rules.rule_for("private-admin-log")->pattern, "private-admin-log");
    EXPECT_EQ(rules.rule_for("private-admin-x")->pattern, "private-admin-*");
    EXPECT_EQ(rules.rule_for("private-x")->pattern, "private-*");
    EXPECT_EQ(rules.rule_for("audit-log")->pattern, "*-log");
    EXPECT_EQ(rules.rule_for("news-feed")->pattern, "*-feed") << "equally specific: file order";
    EXPECT_EQ(rules.rule_for("alerts"), nullptr);
}

TEST(ChannelRules, EachRuleKindAdmitsWhomItSays) {
    ChannelRules rules({{"members", true, {}, {}},
                        {"admin-actions", false, {"admin", "moderator"}, {}},
                        {"live-updates", false, {}, {"dashboard.view"}},
                        {"both", false, {"staff"}, {"read"}}},
                       true);
    Claims nobody = user("u0"), mod = user("u1", {"moderator"}),
           viewer = user("u2", {}, {"dashboard.view"}),
           staff_reader = user("u3", {"staff"}, {"read"}), staff = user("u4", {"staff"});

    EXPECT_FALSE(rules.refusal("alerts", nullptr)) << "no rule, open_channels";
    EXPECT_EQ(*rules.refusal("members", nullptr),
              "channel \"members\" is for authenticated users: open the stream with a token");
    EXPECT_FALSE(rules.refusal("members", &nobody));

    EXPECT_EQ(*rules.refusal("admin-actions", nullptr),
              "channel \"admin-actions\" is for the roles admin, moderator: open the stream with "
              "a token");
    EXPECT_EQ(*rules.refusal("admin-actions", &nobody),
              "channel \"admin-actions\" is for the roles admin, moderator; the token of user u0 "
              "holds none of them");
    EXPECT_FALSE(rules.refusal("admin-actions", &mod));

    EXPECT_EQ(*rules.refusal("live-updates", &mod),
              "channel \"live-updates\" needs one of the permissions dashboard.view; the token of "
              "user u1 holds none of them");
    EXPECT_FALSE(rules.refusal("live-updates", &viewer));

    EXPECT_FALSE(rules.refusal("both", &staff_reader));
    EXPECT_EQ(*rules.refusal("both", &staff),
              "channel \"both\" is for the roles staff and needs one of the permissions read; the "
              "token of user u4 holds only one of the two")
        << "both lists: one of each";
}

TEST(ChannelRules, ClosedByDefaultOpensOnlyWhatTheRulesName) {
    ChannelRules rules({{"alerts", false, {}, {}}, {"team-*", true, {}, {}}}, false);
    Claims u = user("u");
    EXPECT_FALSE(rules.refusal("alerts", nullptr));
    EXPECT_FALSE(rules.refusal("team-red", &u));
    EXPECT_EQ(*rules.refusal("team-red", nullptr),
              "channel \"team-red\" (rule \"team-*\") is for authenticated users: open the stream "
              "with a token");
    EXPECT_EQ(*rules.refusal("news", &u),
              "channel \"news\" is closed: no [[channel]] rule opens it (sse.open_channels = "
              "false)");
}

}  // namespace
}  // namespace ringcast

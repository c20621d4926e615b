// What the alerts' Redis commands answer, read (cluster/alert_share.h): a read
// (MGET version set), the compare-and-set and seed scripts, and every other
// reply refused as unanswered with a reason.
#include <gtest/gtest.h>

#include "cluster/alert_share.h"

namespace ringcast {
namespace {

RespValue integer(int64_t n) {
    RespValue v;
    v.type = RespValue::Type::integer;
    v.integer = n;
    return v;
}
RespValue bulk(std::string s) {
    RespValue v;
    v.type = RespValue::Type::bulk;
    v.str = std::move(s);
    return v;
}
RespValue nil() {
    return RespValue{};
}
RespValue array(std::vector<RespValue> e) {
    RespValue v;
    v.type = RespValue::Type::array;
    v.elements = std::move(e);
    return v;
}

TEST(AlertShareReply, ARead) {
    AlertShareReply r = read_alert_share_reply(array({bulk("12"), bulk("{set}")}), false);
    EXPECT_TRUE(r.answered);
    EXPECT_EQ(r.version, 12u);
    EXPECT_TRUE(r.held);
    EXPECT_EQ(r.text, "{set}");
    r = read_alert_share_reply(array({nil(), nil()}), false);
    EXPECT_TRUE(r.answered);
    EXPECT_FALSE(r.held);
    EXPECT_EQ(r.version, 0u);
}

TEST(AlertShareReply, TheScripts) {
    AlertShareReply r = read_alert_share_reply(array({integer(1), integer(13)}), true);
    EXPECT_TRUE(r.answered && r.won);
    EXPECT_EQ(r.version, 13u);
    r = read_alert_share_reply(array({integer(0), integer(14), bulk("{other}")}), true);
    EXPECT_TRUE(r.answered);
    EXPECT_FALSE(r.won);
    EXPECT_TRUE(r.held);
    EXPECT_EQ(r.version, 14u);
    EXPECT_EQ(r.text, "{other}");
    r = read_alert_share_reply(array({integer(0), integer(0), nil()}), true);
    EXPECT_TRUE(r.answered);
    EXPECT_FALSE(r.held);
    r = read_alert_share_reply(array({integer(0), integer(0)}), true);  // Lua ends at a nil
    EXPECT_FALSE(r.answered);
}

TEST(AlertShareReply, AnythingElseIsUnanswered) {
    RespValue err;
    err.type = RespValue::Type::error;
    err.str = "ERR something";
    AlertShareReply r = read_alert_share_reply(err, true);
    EXPECT_FALSE(r.answered);
    EXPECT_EQ(r.error, "ERR something");
    EXPECT_FALSE(read_alert_share_reply(RespValue::failure("no link"), false).answered);
    EXPECT_FALSE(read_alert_share_reply(array({bulk("x"), nil()}), false).answered);
    EXPECT_FALSE(read_alert_share_reply(array({bulk("1")}), false).answered);
    EXPECT_FALSE(read_alert_share_reply(array({integer(1), integer(-1)}), true).answered);
    EXPECT_FALSE(read_alert_share_reply(array({integer(1), integer(2), bulk("x")}), true).answered);
    EXPECT_FALSE(read_alert_share_reply(integer(1), true).answered);
}

}  // namespace
}  // namespace ringcast

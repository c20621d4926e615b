// Reply parsing of the C++ client: the daemon's answers for every op (taken from
// docs/protocol.md), errors with and without "req", and lines that are not the
// protocol's.
#include "client/reply_reader.h"

#include <string>

#include <gtest/gtest.h>

namespace ringcast::client {
namespace {

struct Parsed {
    ReplyKind kind;
    Result result;
    uint64_t req = 0;
    LineError line_error;
};

Parsed parse(std::string_view line, Op op) {
    static ReplyReader reader;
    Parsed p;
    // Half the cases in place with padding, half copied by simdjson.
    std::string padded(line);
    bool in_place = line.size() % 2 == 0;
    padded.append(simdjson::SIMDJSON_PADDING, ' ');
    p.kind = reader.parse(std::string_view(padded.data(), line.size()), in_place, op, p.result,
                          &p.req, &p.line_error);
    return p;
}

TEST(ReplyReader, PublishAnswer) {
    Parsed p = parse(R"({"req":2,"ok":true,"id":"17","sent":3,"failed":1})", Op::publish);
    ASSERT_EQ(p.kind, ReplyKind::answer) << p.result.message;
    EXPECT_EQ(p.req, 2u);
    EXPECT_TRUE(p.result.answered);
    EXPECT_TRUE(p.result.ok);
    EXPECT_TRUE(bool(p.result));
    EXPECT_EQ(p.result.op, Op::publish);
    EXPECT_EQ(p.result.id, "17");
    EXPECT_EQ(p.result.sent, 3u);
    EXPECT_EQ(p.result.failed, 1u);
}

TEST(ReplyReader, ErrorAnswerKeepsTheDaemonsCodeAndMessage) {
    Parsed p = parse(
        R"({"req":5,"ok":false,"error":{"code":"invalid_field","message":"\"channel\" is required"}})",
        Op::publish);
    ASSERT_EQ(p.kind, ReplyKind::answer);
    EXPECT_EQ(p.req, 5u);
    EXPECT_TRUE(p.result.answered);
    EXPECT_FALSE(p.result.ok);
    EXPECT_EQ(p.result.code, "invalid_field");
    EXPECT_EQ(p.result.message, "\"channel\" is required");
}

TEST(ReplyReader, BatchAnswerHasTotalsAndOneItemPerMessage) {
    Parsed p = parse(
        R"({"req":3,"ok":true,"sent":2,"failed":0,"results":[{"ok":true,"id":"5","sent":2,"failed":0},)"
        R"({"ok":false,"error":{"code":"invalid_field","message":"\"data\" is required"}}]})",
        Op::publish_batch);
    ASSERT_EQ(p.kind, ReplyKind::answer) << p.result.message;
    EXPECT_TRUE(p.result.ok);
    EXPECT_EQ(p.result.sent, 2u);
    ASSERT_EQ(p.result.items.size(), 2u);
    EXPECT_TRUE(p.result.items[0].ok);
    EXPECT_EQ(p.result.items[0].id, "5");
    EXPECT_EQ(p.result.items[0].sent, 2u);
    EXPECT_FALSE(p.result.items[1].ok);
    EXPECT_EQ(p.result.items[1].code, "invalid_field");
}

TEST(ReplyReader, PingStatsConnectionUserDisconnect) {
    Parsed ping = parse(R"({"req":1,"ok":true,"version":"0.1.0","time":1795410947321})", Op::ping);
    ASSERT_EQ(ping.kind, ReplyKind::answer);
    EXPECT_EQ(ping.result.version, "0.1.0");
    EXPECT_EQ(ping.result.time_ms, 1795410947321);

    Parsed stats =
        parse(R"({"req":4,"ok":true,"stats":{"totalConnections":3, "uptime":12.5}})", Op::stats);
    ASSERT_EQ(stats.kind, ReplyKind::answer);
    EXPECT_EQ(stats.result.json, R"({"totalConnections":3,"uptime":12.5})");

    Parsed conn = parse(
        R"({"req":5,"ok":true,"connection":{"connectionId":"c1-42","userId":null,"channels":["orders"]}})",
        Op::connection);
    ASSERT_EQ(conn.kind, ReplyKind::answer);
    EXPECT_EQ(conn.result.json, R"({"connectionId":"c1-42","userId":null,"channels":["orders"]})");

    Parsed user = parse(
        R"({"req":6,"ok":true,"userId":"123","connected":true,"connections":[{"connectionId":"c0-1"}]})",
        Op::user);
    ASSERT_EQ(user.kind, ReplyKind::answer);
    EXPECT_TRUE(user.result.connected);
    EXPECT_EQ(user.result.json, R"([{"connectionId":"c0-1"}])");

    Parsed none =
        parse(R"({"req":7,"ok":true,"userId":"9","connected":false,"connections":[]})", Op::user);
    EXPECT_FALSE(none.result.connected);
    EXPECT_EQ(none.result.json, "[]");

    Parsed disc = parse(R"({"req":8,"ok":true,"disconnected":2})", Op::disconnect);
    ASSERT_EQ(disc.kind, ReplyKind::answer);
    EXPECT_EQ(disc.result.disconnected, 2u);
}

TEST(ReplyReader, TokenAnswerCarriesTheTokenAndItsExpiry) {
    Parsed p = parse(R"({"req":4,"ok":true,"token":"a.b.c","expiresAt":1796616936000})", Op::token);
    ASSERT_EQ(p.kind, ReplyKind::answer) << p.result.message;
    EXPECT_TRUE(p.result.ok);
    EXPECT_EQ(p.result.token, "a.b.c");
    EXPECT_EQ(p.result.expires_at_ms, 1796616936000);
    Parsed off = parse(
        R"({"req":5,"ok":false,"error":{"code":"not_configured","message":"stream tokens are off"}})",
        Op::token);
    ASSERT_EQ(off.kind, ReplyKind::answer);
    EXPECT_FALSE(off.result.ok);
    EXPECT_EQ(off.result.code, "not_configured");
    EXPECT_TRUE(off.result.token.empty());
    for (std::string_view line : {R"({"req":6,"ok":true})", R"({"req":6,"ok":true,"token":"x"})",
                                  R"({"req":6,"ok":true,"token":1,"expiresAt":2})"}) {
        Parsed bad = parse(line, Op::token);
        EXPECT_EQ(bad.kind, ReplyKind::malformed) << line;
    }
}

TEST(ReplyReader, InvalidateAnswerCountsTheRemovedEvents) {
    Parsed p = parse(R"({"req":9,"ok":true,"removed":3})", Op::invalidate);
    ASSERT_EQ(p.kind, ReplyKind::answer) << p.result.message;
    EXPECT_EQ(p.req, 9u);
    EXPECT_TRUE(p.result.ok);
    EXPECT_EQ(p.result.op, Op::invalidate);
    EXPECT_EQ(p.result.removed, 3u);
    Parsed none = parse(R"({"req":10,"ok":true,"removed":0})", Op::invalidate);
    ASSERT_EQ(none.kind, ReplyKind::answer);
    EXPECT_EQ(none.result.removed, 0u);

    Parsed refused = parse(
        R"({"req":11,"ok":false,"error":{"code":"invalid_field","message":"give \"channels\", \"users\" or both"}})",
        Op::invalidate);
    ASSERT_EQ(refused.kind, ReplyKind::answer);
    EXPECT_FALSE(refused.result.ok);
    EXPECT_EQ(refused.result.code, "invalid_field");
    EXPECT_EQ(refused.result.removed, 0u);

    // An answer without the count is not an answer to invalidate.
    for (std::string_view line :
         {R"({"req":12,"ok":true})", R"({"req":12,"ok":true,"removed":"3"})",
          R"({"req":12,"ok":true,"removed":-1})"}) {
        Parsed bad = parse(line, Op::invalidate);
        EXPECT_EQ(bad.kind, ReplyKind::malformed) << line;
        EXPECT_NE(bad.result.message.find("invalidate"), std::string::npos) << bad.result.message;
    }
}

TEST(ReplyReader, FireAndForgetFailureNamesTheLine) {
    Parsed p = parse(
        R"({"ok":false,"line":6,"error":{"code":"invalid_field","message":"\"event\" is required"}})",
        Op::publish);
    ASSERT_EQ(p.kind, ReplyKind::line_error);
    EXPECT_EQ(p.line_error.line, 6u);
    EXPECT_EQ(p.line_error.code, "invalid_field");
    EXPECT_EQ(p.line_error.message, "\"event\" is required");
}

TEST(ReplyReader, ConnectionLevelRefusal) {
    Parsed p = parse(
        R"({"ok":false,"error":{"code":"forbidden","message":"uid 1000 gid 1000 is not allowed"}})",
        Op::ping);
    ASSERT_EQ(p.kind, ReplyKind::connection_error);
    EXPECT_EQ(p.result.code, "forbidden");
    EXPECT_NE(p.result.message.find("uid 1000"), std::string::npos);
}

TEST(ReplyReader, LinesThatAreNotTheProtocolsAreMalformed) {
    for (std::string_view line : {
             R"(not json)", R"([1,2])",
             R"({"req":1})",                             // no ok
             R"({"req":"abc","ok":true})",               // not our req
             R"({"req":1,"ok":false})",                  // failure without error
             R"({"ok":true})",                           // neither req nor line
             R"({"req":1,"ok":true,"results":"nope"})",  // a batch without results
             R"({"ok":false,"line":3})",                 // line error without error
         }) {
        Op op = std::string_view(line).find("results") != std::string_view::npos ? Op::publish_batch
                                                                                 : Op::publish;
        Parsed p = parse(line, op);
        EXPECT_EQ(p.kind, ReplyKind::malformed) << line;
        EXPECT_FALSE(p.result.answered) << line;
        EXPECT_FALSE(p.result.message.empty()) << line;
    }
    Parsed stats = parse(R"({"req":1,"ok":true})", Op::stats);
    EXPECT_EQ(stats.kind, ReplyKind::malformed) << "a stats answer without stats";
}

TEST(ReplyReader, ResultIsResetBetweenReplies) {
    ReplyReader reader;
    Result r;
    uint64_t req;
    LineError le;
    std::string a = R"({"req":1,"ok":false,"error":{"code":"x","message":"y"}})";
    std::string b = R"({"req":2,"ok":true,"id":"3","sent":1,"failed":0})";
    std::string c = R"({"req":3,"ok":true,"removed":5})";
    ASSERT_EQ(reader.parse(c, false, Op::invalidate, r, &req, &le), ReplyKind::answer);
    ASSERT_EQ(reader.parse(a, false, Op::publish, r, &req, &le), ReplyKind::answer);
    EXPECT_EQ(r.removed, 0u);
    ASSERT_EQ(reader.parse(b, false, Op::publish, r, &req, &le), ReplyKind::answer);
    EXPECT_TRUE(r.ok);
    EXPECT_TRUE(r.code.empty());
    EXPECT_TRUE(r.message.empty());
    EXPECT_EQ(r.id, "3");
}

}  // namespace
}  // namespace ringcast::client

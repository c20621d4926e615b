// The directory's requests and answers as JSON (ops/directory_json.h), shared by
// the socket's connection / user / connections / disconnect ops and the HTTP API's routes:
// each op and each of its errors, where a query is sent, and the answer's
// members.
#include "ops/directory_json.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <simdjson.h>

namespace ringcast {
namespace {

using Kind = DirectoryRequest::Kind;

constexpr unsigned kHere = 1;
constexpr unsigned kShards = 4;

struct Asked {
    DirectoryAsk ask = DirectoryAsk::ok;
    DirectoryRequest q;
    unsigned shard = 999;
    std::string error;
};

Asked ask(std::string_view op, std::string_view json) {
    simdjson::dom::parser p;
    simdjson::dom::object obj;
    Asked a;
    EXPECT_EQ(p.parse(json.data(), json.size()).get_object().get(obj), simdjson::SUCCESS) << json;
    a.ask = read_directory_request(op, obj, kHere, kShards, &a.q, &a.shard, &a.error);
    return a;
}

::testing::AssertionResult invalid(std::string_view op, std::string_view json,
                                   std::string_view mentions) {
    Asked a = ask(op, json);
    if (a.ask != DirectoryAsk::invalid_field)
        return ::testing::AssertionFailure() << op << " " << json << " is not invalid_field";
    if (a.error.find(mentions) == std::string::npos)
        return ::testing::AssertionFailure()
               << "the error does not mention " << mentions << ": " << a.error;
    return ::testing::AssertionSuccess();
}

// --- connection ----------------------------------------------------------------------

TEST(DirectoryJsonRequest, ConnectionByIdGoesToItsShard) {
    for (const char* json : {R"({"id":"c3-42"})", R"({"connectionId":"c3-42"})",
                             R"({"op":"connection","req":1,"id":"c3-42"})"}) {
        Asked a = ask("connection", json);
        ASSERT_EQ(a.ask, DirectoryAsk::ok) << json << ": " << a.error;
        EXPECT_EQ(a.q.kind, Kind::connection);
        EXPECT_EQ(a.shard, 3u);
        EXPECT_EQ(a.q.serial, 42u);
        EXPECT_EQ(a.q.label, "c3-42") << "kept for a not_found answer";
    }
    Asked zero = ask("connection", R"({"id":"c0-1"})");
    ASSERT_EQ(zero.ask, DirectoryAsk::ok);
    EXPECT_EQ(zero.shard, 0u);
    EXPECT_EQ(zero.q.serial, 1u);
}

TEST(DirectoryJsonRequest, ConnectionNeedsAStringId) {
    for (const char* json :
         {R"({})", R"({"id":5})", R"({"id":null})", R"({"id":["c0-1"]})", R"({"userId":"u"})"})
        EXPECT_TRUE(invalid("connection", json, "\"id\"")) << json;
}

TEST(DirectoryJsonRequest, AnIdThatNamesNoConnectionIsNotFound) {
    for (const char* id : {"c4-1", "c99-1", "nonsense", "c1-", "c-1", "", "c1-x", "c1-1-1", "C1-1",
                           " c1-1", "c1-18446744073709551616"}) {
        Asked a = ask("connection", std::string(R"({"id":")") + id + "\"}");
        EXPECT_EQ(a.ask, DirectoryAsk::not_found) << id;
        EXPECT_EQ(a.error, std::string("no connection \"") + id + "\"") << id;
    }
}

TEST(DirectoryJsonRequest, ConnectionRequestAloneParsesAnIdForTheShards) {
    DirectoryRequest q;
    unsigned shard = 0;
    ASSERT_TRUE(connection_request("c2-7", 3, &q, &shard));
    EXPECT_EQ(q.kind, Kind::connection);
    EXPECT_EQ(shard, 2u);
    EXPECT_EQ(q.serial, 7u);
    EXPECT_EQ(q.label, "c2-7");
    DirectoryRequest r;
    EXPECT_FALSE(connection_request("c3-7", 3, &r, &shard)) << "shard 3 of 3 does not exist";
    EXPECT_EQ(r.label, "c3-7");
    EXPECT_FALSE(connection_request("x", 3, &r, &shard));
}

// --- user ----------------------------------------------------------------------------

TEST(DirectoryJsonRequest, UserTakesAStringOrAnIntegerAndAsksEveryShard) {
    Asked s = ask("user", R"({"userId":"alice smith/1"})");
    ASSERT_EQ(s.ask, DirectoryAsk::ok) << s.error;
    EXPECT_EQ(s.q.kind, Kind::user);
    EXPECT_EQ(s.q.user, "alice smith/1");
    EXPECT_EQ(s.shard, kHere) << "sent from here to every shard";
    EXPECT_EQ(ask("user", R"({"userId":123})").q.user, "123");
    EXPECT_EQ(ask("user", R"({"userId":-3})").q.user, "-3");
    EXPECT_EQ(ask("user", R"({"userId":18446744073709551615})").q.user, "18446744073709551615");
    for (const char* json : {R"({})", R"({"userId":""})", R"({"userId":1.5})", R"({"userId":true})",
                             R"({"userId":["u"]})", R"({"userId":null})", R"({"id":"u"})"})
        EXPECT_TRUE(invalid("user", json, "\"userId\"")) << json;
}

// --- disconnect ----------------------------------------------------------------------

TEST(DirectoryJsonRequest, DisconnectByConnectionOrByUser) {
    Asked c = ask("disconnect", R"({"connectionId":"c2-9"})");
    ASSERT_EQ(c.ask, DirectoryAsk::ok) << c.error;
    EXPECT_EQ(c.q.kind, Kind::disconnect_connection);
    EXPECT_EQ(c.shard, 2u);
    EXPECT_EQ(c.q.serial, 9u);
    EXPECT_EQ(c.q.label, "c2-9");

    Asked u = ask("disconnect", R"({"userId":"bob"})");
    ASSERT_EQ(u.ask, DirectoryAsk::ok) << u.error;
    EXPECT_EQ(u.q.kind, Kind::disconnect_user);
    EXPECT_EQ(u.q.user, "bob");
    EXPECT_EQ(u.shard, kHere);
    EXPECT_EQ(ask("disconnect", R"({"userId":77})").q.user, "77");
}

TEST(DirectoryJsonRequest, DisconnectOfNoSuchConnectionAsksNobodyAndAnswersZero) {
    for (const char* id : {"c4-1", "garbage", "", "c1-"}) {
        Asked a = ask("disconnect", std::string(R"({"connectionId":")") + id + "\"}");
        ASSERT_EQ(a.ask, DirectoryAsk::ok) << id << ": " << a.error;
        EXPECT_EQ(a.q.kind, Kind::disconnect_connection);
        EXPECT_EQ(a.q.serial, 0u) << id << ": serial 0 names no connection";
        EXPECT_EQ(a.shard, kHere) << id;
    }
}

TEST(DirectoryJsonRequest, DisconnectNeedsExactlyOneOfConnectionAndUser) {
    EXPECT_TRUE(invalid("disconnect", R"({})", "exactly one"));
    EXPECT_TRUE(invalid("disconnect", R"({"connectionId":"c0-1","userId":"u"})", "exactly one"));
    EXPECT_TRUE(invalid("disconnect", R"({"id":"c0-1"})", "exactly one"))
        << "\"id\" is the connection op's name only";
    EXPECT_TRUE(invalid("disconnect", R"({"connectionId":5})", "must be a connection id string"));
    EXPECT_TRUE(invalid("disconnect", R"({"connectionId":5,"userId":"u"})",
                        "must be a connection id string"))
        << "a bad id is refused, not skipped for the user beside it";
    EXPECT_TRUE(invalid("connection", R"({"id":5})", "\"id\" must be a connection id string"));
    EXPECT_TRUE(invalid("disconnect", R"({"userId":""})", "\"userId\""));
    EXPECT_TRUE(invalid("disconnect", R"({"userId":true})", "\"userId\""));
    EXPECT_TRUE(invalid("disconnect", R"({"userId":[1]})", "\"userId\""));
}

TEST(DirectoryJsonRequest, ConnectionsTakesALimitAndACursorAndAsksEveryShard) {
    Asked a = ask("connections", R"({})");
    ASSERT_EQ(a.ask, DirectoryAsk::ok) << a.error;
    EXPECT_EQ(a.q.kind, Kind::list);
    EXPECT_EQ(a.q.limit, kListDefaultLimit);
    EXPECT_FALSE(a.q.after.set);
    a = ask("connections", R"({"limit":1000,"after":"c3-17"})");
    ASSERT_EQ(a.ask, DirectoryAsk::ok) << a.error;
    EXPECT_EQ(a.q.limit, 1000u);
    EXPECT_TRUE(a.q.after.set);
    EXPECT_EQ(a.q.after.shard, 3u);
    EXPECT_EQ(a.q.after.serial, 17u);
    a = ask("connections", R"({"limit":null,"after":null})");
    ASSERT_EQ(a.ask, DirectoryAsk::ok) << "null is absent";
    EXPECT_EQ(a.q.limit, kListDefaultLimit);
    for (const char* bad : {R"({"limit":0})", R"({"limit":1001})", R"({"limit":-1})",
                            R"({"limit":1.5})", R"({"limit":"5"})"})
        EXPECT_TRUE(invalid("connections", bad, "\"limit\""));
    for (const char* bad :
         {R"({"after":"c4-1"})", R"({"after":"x"})", R"({"after":1})", R"({"after":""})"})
        EXPECT_TRUE(invalid("connections", bad, "\"after\""));
}

TEST(DirectoryJsonRequest, ListLimitTextIsADecimalInRange) {
    DirectoryRequest q;
    std::string error;
    EXPECT_TRUE(read_list_limit("1", &q, &error));
    EXPECT_EQ(q.limit, 1u);
    for (const char* bad : {"", "0", "1001", "-1", "+5", "5 ", "1e2", "99999999999999999999"}) {
        error.clear();
        EXPECT_FALSE(read_list_limit(bad, &q, &error)) << bad;
        EXPECT_NE(error.find("\"limit\""), std::string::npos) << bad;
    }
}

// --- answers -------------------------------------------------------------------------

TEST(DirectoryJsonAnswer, ConnectionsPageWithItsTotalAndNext) {
    DirectoryRequest q;
    q.kind = Kind::list;
    std::string members;
    ASSERT_TRUE(write_directory_answer(q, &members));
    EXPECT_EQ(members, R"(,"total":0,"connections":[],"next":null)");
    q.result.total = 7;
    q.result.connections = {R"({"connectionId":"c0-1"})", R"({"connectionId":"c1-5"})"};
    q.next = "c1-5";
    ASSERT_TRUE(write_directory_answer(q, &members));
    EXPECT_EQ(members,
              R"(,"total":7,"connections":[{"connectionId":"c0-1"},{"connectionId":"c1-5"}],)"
              R"("next":"c1-5")");
}

TEST(DirectoryJsonAnswer, ConnectionFoundOrNot) {
    DirectoryRequest q;
    q.kind = Kind::connection;
    std::string members = "stale";
    EXPECT_FALSE(write_directory_answer(q, &members)) << "nothing found: not_found";
    q.result.connections.push_back(R"({"connectionId":"c0-1","userId":null})");
    ASSERT_TRUE(write_directory_answer(q, &members));
    EXPECT_EQ(members, R"(,"connection":{"connectionId":"c0-1","userId":null})");
}

TEST(DirectoryJsonAnswer, UserWithAndWithoutConnections) {
    DirectoryRequest q;
    q.kind = Kind::user;
    q.user = "say \"hi\"\\";
    std::string members;
    ASSERT_TRUE(write_directory_answer(q, &members));
    EXPECT_EQ(members, R"(,"userId":"say \"hi\"\\","connected":false,"connections":[])");
    q.user = "42";
    q.result.connections = {R"({"connectionId":"c0-1"})", R"({"connectionId":"c1-5"})"};
    ASSERT_TRUE(write_directory_answer(q, &members));
    EXPECT_EQ(members, R"(,"userId":"42","connected":true,)"
                       R"("connections":[{"connectionId":"c0-1"},{"connectionId":"c1-5"}])")
        << "an integer-like user id is still a string";
}

TEST(DirectoryJsonAnswer, DisconnectCountsWhatWasClosed) {
    for (Kind k : {Kind::disconnect_connection, Kind::disconnect_user}) {
        DirectoryRequest q;
        q.kind = k;
        std::string members;
        ASSERT_TRUE(write_directory_answer(q, &members));
        EXPECT_EQ(members, R"(,"disconnected":0)");
        q.result.closed = 3;
        ASSERT_TRUE(write_directory_answer(q, &members));
        EXPECT_EQ(members, R"(,"disconnected":3)");
    }
}

// The members make a JSON object of their own (what the HTTP API sends).
TEST(DirectoryJsonAnswer, MembersBecomeAnObject) {
    DirectoryRequest q;
    q.kind = Kind::user;
    q.user = "u";
    q.result.connections = {R"({"connectionId":"c0-1","channels":["a"]})"};
    std::string members;
    ASSERT_TRUE(write_directory_answer(q, &members));
    members[0] = '{';
    members += '}';
    simdjson::dom::parser p;
    simdjson::dom::object obj;
    ASSERT_EQ(p.parse(members).get_object().get(obj), simdjson::SUCCESS) << members;
    EXPECT_EQ(obj.size(), 3u);
}

}  // namespace
}  // namespace ringcast

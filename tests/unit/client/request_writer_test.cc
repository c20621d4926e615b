// Request serialization of the C++ client: every message field under its
// protocol name, only the fields that were set, one line per request whatever
// the strings and payload hold, and the batch and query requests. Output is read
// back with simdjson, as the daemon reads it.
#include "client/request_writer.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "ringcast/client_message.h"
#include "ringcast/client_result.h"

namespace ringcast::client {
namespace {

using namespace std::string_literals;

// The request as the daemon sees it: one line, a JSON object.
simdjson::dom::object parse_line(simdjson::dom::parser& p, const std::string& line) {
    EXPECT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "more than one line: " << line;
    simdjson::dom::object obj;
    auto err = p.parse(line).get_object().get(obj);
    EXPECT_EQ(err, simdjson::SUCCESS) << line;
    return obj;
}

Message minimal() {
    Message m;
    m.channel = "orders";
    m.event = "order-update";
    m.data = R"({"orderId":"A-1"})";
    return m;
}

TEST(RequestWriter, MinimalPublishCarriesOnlyTheRequiredFields) {
    std::string out;
    append_publish(out, minimal(), 7);
    EXPECT_EQ(out, R"({"op":"publish","req":7,"channel":"orders","event":"order-update",)"
                   R"("data":{"orderId":"A-1"}})"
                   "\n");
}

TEST(RequestWriter, FireAndForgetHasNoReq) {
    std::string out;
    append_publish(out, minimal(), 0);
    simdjson::dom::parser p;
    auto obj = parse_line(p, out);
    simdjson::dom::element req;
    EXPECT_NE(obj["req"].get(req), simdjson::SUCCESS);
}

TEST(RequestWriter, EveryFieldUnderItsProtocolName) {
    Message m = minimal();
    m.id = "evt-1";
    m.timestamp_ms = 1795410947321;
    m.target = Target::users;
    m.target_users = {"u1", "u2"};
    m.exclude_users = {"u3"};
    m.require_auth = true;
    m.priority = 9;
    m.ttl_seconds = 1.5;
    m.persistent = true;
    m.retryable = true;
    std::string out;
    append_publish(out, m, 1);
    simdjson::dom::parser p;
    auto obj = parse_line(p, out);
    EXPECT_EQ(std::string_view(obj["op"]), "publish");
    EXPECT_EQ(int64_t(obj["req"]), 1);
    EXPECT_EQ(std::string_view(obj["channel"]), "orders");
    EXPECT_EQ(std::string_view(obj["event"]), "order-update");
    EXPECT_EQ(std::string_view(obj["data"]["orderId"]), "A-1");
    EXPECT_EQ(std::string_view(obj["id"]), "evt-1");
    EXPECT_EQ(int64_t(obj["timestamp"]), 1795410947321);
    EXPECT_EQ(std::string_view(obj["target"]), "user-specific");
    EXPECT_EQ(simdjson::minify(obj["targetUsers"]), R"(["u1","u2"])");
    EXPECT_EQ(simdjson::minify(obj["excludeUsers"]), R"(["u3"])");
    EXPECT_TRUE(bool(obj["requireAuth"]));
    EXPECT_EQ(int64_t(obj["priority"]), 9);
    EXPECT_DOUBLE_EQ(double(obj["ttl"]), 1.5);
    EXPECT_TRUE(bool(obj["persistent"]));
    EXPECT_TRUE(bool(obj["retryable"]));
    EXPECT_EQ(obj.size(), 15u);
}

TEST(RequestWriter, RoleAndPermissionLists) {
    Message m = minimal();
    m.target_roles = {"admin"};
    std::string out;
    append_publish(out, m, 1);
    m.target_roles.clear();
    m.target_permissions = {"billing:read", "billing:write"};
    m.target = Target::permissions;
    append_publish(out, m, 2);
    simdjson::dom::parser p;
    std::string first = out.substr(0, out.find('\n') + 1);
    std::string second = out.substr(first.size());
    auto a = parse_line(p, first);
    EXPECT_EQ(simdjson::minify(a["targetRoles"]), R"(["admin"])");
    simdjson::dom::element absent;
    EXPECT_NE(a["target"].get(absent), simdjson::SUCCESS) << "unset target is left to the daemon";
    auto b = parse_line(p, second);
    EXPECT_EQ(std::string_view(b["target"]), "permission-based");
    EXPECT_EQ(simdjson::minify(b["targetPermissions"]), R"(["billing:read","billing:write"])");
}

TEST(RequestWriter, StringsAreEscapedAndStayOnOneLine) {
    Message m = minimal();
    m.channel = "a\"b";
    m.event = "line\nbreak\\";
    m.id = "tab\there\r\x01";
    m.exclude_users = {"quote\"d"};
    std::string out;
    append_publish(out, m, 3);
    simdjson::dom::parser p;
    auto obj = parse_line(p, out);
    EXPECT_EQ(std::string_view(obj["channel"]), "a\"b");
    EXPECT_EQ(std::string_view(obj["event"]), "line\nbreak\\");
    EXPECT_EQ(std::string_view(obj["id"]), "tab\there\r\x01");
    EXPECT_EQ(std::string_view(obj["excludeUsers"].at(0)), "quote\"d");
}

TEST(RequestWriter, PrettyPrintedDataBecomesOneLine) {
    Message m = minimal();
    m.data = "{\n  \"a\": [1,\r\n 2],\n  \"s\": \"x\\ny\"\n}\n";
    std::string out;
    append_publish(out, m, 4);
    simdjson::dom::parser p;
    auto obj = parse_line(p, out);
    EXPECT_EQ(simdjson::minify(obj["data"]), R"({"a":[1,2],"s":"x\ny"})");
}

TEST(RequestWriter, EmptyDataIsLeftOutForTheDaemonToName) {
    Message m = minimal();
    m.data.clear();
    std::string out;
    append_publish(out, m, 5);
    EXPECT_EQ(out.find("\"data\""), std::string::npos) << out;
}

TEST(RequestWriter, TtlIsWrittenExactlyAndNonFiniteIsNotANumber) {
    Message m = minimal();
    m.ttl_seconds = 0.001;
    std::string out;
    append_publish(out, m, 1);
    simdjson::dom::parser p;
    EXPECT_DOUBLE_EQ(double(parse_line(p, out)["ttl"]), 0.001);
    out.clear();
    m.ttl_seconds = std::nan("");
    append_publish(out, m, 1);
    simdjson::dom::element ttl = parse_line(p, out)["ttl"];
    EXPECT_TRUE(ttl.is_string()) << "the daemon must refuse it, naming ttl";
}

TEST(RequestWriter, BatchHoldsOneObjectPerMessage) {
    std::vector<Message> ms = {minimal(), minimal()};
    ms[1].channel = "other";
    ms[1].priority = 0;
    std::string out;
    append_publish_batch(out, ms, 9);
    simdjson::dom::parser p;
    auto obj = parse_line(p, out);
    EXPECT_EQ(obj.size(), 3u) << "op, req, messages";
    simdjson::dom::array arr = obj["messages"];
    ASSERT_EQ(arr.size(), 2u);
    EXPECT_EQ(std::string_view(arr.at(0)["channel"]), "orders");
    EXPECT_EQ(std::string_view(arr.at(1)["channel"]), "other");
    EXPECT_EQ(int64_t(arr.at(1)["priority"]), 0);
    simdjson::dom::element op;
    EXPECT_NE(arr.at(0)["op"].get(op), simdjson::SUCCESS) << "messages carry only message fields";

    out.clear();
    append_publish_batch(out, {}, 10);
    EXPECT_EQ(out, R"({"op":"publish","req":10,"messages":[]})"
                   "\n");
}

TEST(RequestWriter, QueryOps) {
    std::string out;
    append_op(out, "ping", 1);
    append_op(out, "stats", 2);
    append_op(out, "connection", 3, "id", "c1-42");
    append_op(out, "user", 4, "userId", "u\"1");
    append_op(out, "disconnect", 5, "connectionId", "c0-7");
    EXPECT_EQ(out,
              "{\"op\":\"ping\",\"req\":1}\n"
              "{\"op\":\"stats\",\"req\":2}\n"
              "{\"op\":\"connection\",\"req\":3,\"id\":\"c1-42\"}\n"
              "{\"op\":\"user\",\"req\":4,\"userId\":\"u\\\"1\"}\n"
              "{\"op\":\"disconnect\",\"req\":5,\"connectionId\":\"c0-7\"}\n");
}

TEST(RequestWriter, InvalidateCarriesTheListsGivenAndOnlyThose) {
    std::string out;
    const std::vector<std::string> channels = {"alerts", "a\"b"}, users = {"42"}, none;
    append_invalidate(out, channels, none, 1);
    append_invalidate(out, none, users, 2);
    append_invalidate(out, channels, users, 3);
    append_invalidate(out, none, none, 4);  // the daemon names what is missing
    EXPECT_EQ(out,
              "{\"op\":\"invalidate\",\"req\":1,\"channels\":[\"alerts\",\"a\\\"b\"]}\n"
              "{\"op\":\"invalidate\",\"req\":2,\"users\":[\"42\"]}\n"
              "{\"op\":\"invalidate\",\"req\":3,\"channels\":[\"alerts\",\"a\\\"b\"],"
              "\"users\":[\"42\"]}\n"
              "{\"op\":\"invalidate\",\"req\":4}\n");
    simdjson::dom::parser p;
    auto obj = parse_line(p, out.substr(0, out.find('\n') + 1));
    EXPECT_EQ(std::string_view(obj["channels"].at(1)), "a\"b");
    EXPECT_EQ(std::string(op_name(Op::invalidate)), "invalidate");
}

TEST(RequestWriter, TokenCarriesWhatTheRequestSets) {
    std::string out;
    TokenRequest t;
    t.user_id = "u\"1";
    append_token(out, t, 1);
    t.roles = {"admin", "ops"};
    t.permissions = {"dashboard.view"};
    t.subscriber = true;
    t.ttl_s = 900;
    append_token(out, t, 2);
    EXPECT_EQ(out,
              "{\"op\":\"token\",\"req\":1,\"userId\":\"u\\\"1\"}\n"
              "{\"op\":\"token\",\"req\":2,\"userId\":\"u\\\"1\",\"roles\":[\"admin\",\"ops\"],"
              "\"permissions\":[\"dashboard.view\"],\"subscriber\":true,\"ttl\":900}\n");
    EXPECT_EQ(std::string(op_name(Op::token)), "token");
}

TEST(ClientMessage, TargetNamesRoundTrip) {
    for (Target t : {Target::all, Target::users, Target::roles, Target::permissions,
                     Target::authenticated, Target::subscribers}) {
        auto back = parse_target(target_name(t));
        ASSERT_TRUE(back) << target_name(t);
        EXPECT_EQ(*back, t);
    }
    EXPECT_EQ(std::string(target_name(Target::users)), "user-specific");
    EXPECT_FALSE(parse_target("users"));
    EXPECT_FALSE(parse_target(""));
}

TEST(ClientMessage, JsonQuote) {
    EXPECT_EQ(json_quote("hi"), R"("hi")");
    EXPECT_EQ(json_quote("a\"b\n"), R"("a\"b\n")");
    EXPECT_EQ(std::string(op_name(Op::publish_batch)), "publish");
}

}  // namespace
}  // namespace ringcast::client

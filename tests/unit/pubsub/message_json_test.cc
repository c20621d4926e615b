// A message in JSON (every publish path): valid messages and every way of getting
// one wrong, each with the message a client sees. `data` is kept as compact JSON
// of any type; the other fields (targeting, priority, ttl, flags) are validated.
#include "pubsub/message_json.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

struct Outcome {
    bool ok;
    Message req;
    std::string error;
};

Outcome parse(std::string_view body) {
    static simdjson::dom::parser parser;  // reused across calls, as a shard does
    Outcome o;
    o.ok = parse_message_text(parser, body, &o.req, &o.error);
    return o;
}

std::string fails_with(std::string_view body) {
    Outcome o = parse(body);
    EXPECT_FALSE(o.ok) << body;
    EXPECT_FALSE(o.error.empty()) << body;
    return o.error;
}

TEST(MessageJson, MinimalValidMessage) {
    Outcome o = parse(R"({"channel": "alerts", "event": "alert", "data": {"level": 3}})");
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.req.channel, "alerts");
    EXPECT_EQ(o.req.event, "alert");
    EXPECT_EQ(o.req.data, R"({"level":3})");
    EXPECT_EQ(o.req.id, "") << "no id: the owner shard numbers the event";
}

TEST(MessageJson, FieldOrderDoesNotMatter) {
    Outcome o = parse(R"({"data": 1, "id": "x", "event": "e", "channel": "c"})");
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.req.channel, "c");
    EXPECT_EQ(o.req.id, "x");
}

TEST(MessageJson, IdAsStringIntegerOrNull) {
    Outcome s = parse(R"({"channel": "c", "event": "e", "data": 0, "id": "evt 7: a"})");
    ASSERT_TRUE(s.ok) << s.error;
    EXPECT_EQ(s.req.id, "evt 7: a");
    Outcome n = parse(R"({"channel": "c", "event": "e", "data": 0, "id": 42})");
    ASSERT_TRUE(n.ok) << n.error;
    EXPECT_EQ(n.req.id, "42");
    Outcome neg = parse(R"({"channel": "c", "event": "e", "data": 0, "id": -5})");
    ASSERT_TRUE(neg.ok) << neg.error;
    EXPECT_EQ(neg.req.id, "-5");
    Outcome null = parse(R"({"channel": "c", "event": "e", "data": 0, "id": null})");
    ASSERT_TRUE(null.ok) << null.error;
    EXPECT_EQ(null.req.id, "");
    // Every JSON integer a client may use as a numeric id, up to 2^64-1.
    Outcome big = parse(R"({"channel": "c", "event": "e", "data": 0, "id": 18446744073709551615})");
    ASSERT_TRUE(big.ok) << big.error;
    EXPECT_EQ(big.req.id, "18446744073709551615");
    std::string longest(128, 'i');
    EXPECT_TRUE(parse(R"({"channel": "c", "event": "e", "data": 0, "id": ")" + longest + "\"}").ok);
}

TEST(MessageJson, DataOfEveryJsonTypeIsKeptAsCompactJson) {
    const std::pair<const char*, const char*> cases[] = {
        {"null", "null"},
        {"true", "true"},
        {"false", "false"},
        {"0", "0"},
        {"-12", "-12"},
        {"1.5", "1.5"},
        {"\"text\"", "\"text\""},
        {"\"\"", "\"\""},
        // The value is re-serialized, not copied: escapes come out in their
        // shortest form (\u00e9 as the UTF-8 bytes of U+00E9).
        {"\"line\\nbreak \\\"quoted\\\" \\u00e9\"", "\"line\\nbreak \\\"quoted\\\" \xC3\xA9\""},
        {"\"caf\xC3\xA9\"", "\"caf\xC3\xA9\""},
        {"[ 1, 2 , [ ] ]", "[1,2,[]]"},
        {"{ }", "{}"},
        {"{ \"a\" : { \"b\" : [ 1, { \"c\" : null } ] }, \"d\" : \"x y\" }",
         "{\"a\":{\"b\":[1,{\"c\":null}]},\"d\":\"x y\"}"},
    };
    for (auto [in, want] : cases) {
        std::string body = std::string(R"({"channel":"c","event":"e","data": )") + in + "}";
        Outcome o = parse(body);
        ASSERT_TRUE(o.ok) << body << ": " << o.error;
        EXPECT_EQ(o.req.data, want) << body;
    }
}

TEST(MessageJson, MissingFields) {
    EXPECT_EQ(fails_with(R"({"event": "e", "data": 1})"), "\"channel\" is required");
    EXPECT_EQ(fails_with(R"({"channel": "c", "data": 1})"), "\"event\" is required");
    EXPECT_EQ(fails_with(R"({"channel": "c", "event": "e"})"),
              "\"data\" is required (any JSON value, null included)");
    EXPECT_EQ(fails_with("{}"), "\"channel\" is required");
}

TEST(MessageJson, InvalidChannel) {
    const std::string want = "\"channel\" must be a string matching [A-Za-z0-9._:-]{1,128}";
    for (std::string ch :
         std::vector<std::string>{"\"\"", "\"has space\"", "\"slash/\"", "\"caf\xC3\xA9\"", "1",
                                  "null", "[\"a\"]", "\"" + std::string(129, 'c') + "\""}) {
        EXPECT_EQ(fails_with(R"({"event": "e", "data": 1, "channel": )" + ch + "}"), want) << ch;
    }
    EXPECT_TRUE(
        parse(R"({"event": "e", "data": 1, "channel": ")" + std::string(128, 'c') + "\"}").ok);
    EXPECT_TRUE(parse(R"({"event": "e", "data": 1, "channel": "A-z_0.9:x"})").ok);
}

TEST(MessageJson, InvalidEvent) {
    const std::string want =
        "\"event\" must be a string of 1 to 128 printable characters without line breaks";
    for (std::string ev : std::vector<std::string>{"\"\"", "\"a\\nb\"", "\"a\\rb\"",
                                                   "\"tab\\there\"", "\"nul\\u0000\"", "7", "true",
                                                   "{}", "\"" + std::string(129, 'e') + "\""}) {
        EXPECT_EQ(fails_with(R"({"channel": "c", "data": 1, "event": )" + ev + "}"), want) << ev;
    }
}

TEST(MessageJson, InvalidId) {
    const std::string bad_string = "\"id\" must be 1 to 128 bytes without line breaks or NUL";
    for (std::string id :
         std::vector<std::string>{"\"\"", "\"a\\nb\"", "\"a\\rb\"", "\"a\\u0000b\"",
                                  "\"" + std::string(129, 'i') + "\""})
        EXPECT_EQ(fails_with(R"({"channel": "c", "event": "e", "data": 1, "id": )" + id + "}"),
                  bad_string)
            << id;
    const std::string bad_type = "\"id\" must be a string or an integer";
    for (std::string id : {"1.5", "true", "[]", "{}"})
        EXPECT_EQ(fails_with(R"({"channel": "c", "event": "e", "data": 1, "id": )" + id + "}"),
                  bad_type)
            << id;
}

TEST(MessageJson, UnknownField) {
    EXPECT_EQ(fails_with(R"({"channel": "c", "event": "e", "data": 1, "retry": 5})"),
              std::string("unknown field \"retry\" (supported: ") + kMessageFields + ")");
}

// A key given twice counts once: the first value, the later ones unchecked (as
// the socket's obj["op"] and obj["req"] lookups read them). A null first value
// counts too: it is the default.
TEST(MessageJson, ARepeatedKeyCountsOnceWithItsFirstValue) {
    Outcome o =
        parse(R"({"channel":"a","channel":"b","event":"e","event":"f","data":1,"data":[2],)"
              R"("priority":3,"priority":"x","ttl":null,"ttl":5,"targetUsers":["u"],)"
              R"("targetUsers":["v","w"],"requireAuth":true,"requireAuth":false,"nope":0})");
    EXPECT_FALSE(o.ok) << "an unknown key is still refused";
    o = parse(R"({"channel":"a","channel":"b","event":"e","event":"f","data":1,"data":[2],)"
              R"("priority":3,"priority":"x","ttl":null,"ttl":5,"targetUsers":["u"],)"
              R"("targetUsers":["v","w"],"requireAuth":true,"requireAuth":false})");
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.req.channel, "a");
    EXPECT_EQ(o.req.event, "e");
    EXPECT_EQ(o.req.data, "1");
    EXPECT_EQ(o.req.priority, 3);
    EXPECT_EQ(o.req.ttl_ms, 0u);
    EXPECT_EQ(o.req.target.users, std::vector<std::string>{"u"});
    EXPECT_TRUE(o.req.target.require_auth);

    static simdjson::dom::parser parser;
    CacheInvalidation inv;
    std::string error;
    ASSERT_TRUE(parse_invalidation_text(parser, R"({"users":["u"],"users":7,"channels":["c"]})",
                                        &inv, &error))
        << error;
    EXPECT_EQ(inv.users, std::vector<std::string>{"u"});
    EXPECT_EQ(inv.channels, std::vector<std::string>{"c"});
}

TEST(MessageJson, NestingDeeperThan1024LevelsAndLoneSurrogatesAreRefusedPlainly) {
    std::string ok = R"({"channel":"c","event":"e","data":)" + std::string(1023, '[') +
                     std::string(1023, ']') + "}";
    EXPECT_TRUE(parse(ok).ok);
    std::string deep = R"({"channel":"c","event":"e","data":)" + std::string(1024, '[') +
                       std::string(1024, ']') + "}";
    EXPECT_EQ(fails_with(deep),
              "request body is not JSON ringcast can take: objects and arrays nest 1024 levels "
              "deep at most, the outermost object included");
    for (std::string_view lone : {R"("\ud800")", R"("\udc00")", R"("\ud800\u0041")"}) {
        std::string err =
            fails_with(R"({"channel":"c","event":"e","data":)" + std::string(lone) + "}");
        EXPECT_NE(err.find("lone surrogate"), std::string::npos) << lone << " -> " << err;
    }
    Outcome pair = parse(R"({"channel":"c","event":"e","data":"\ud83d\ude00"})");
    ASSERT_TRUE(pair.ok) << pair.error;
    EXPECT_EQ(pair.req.data, "\"\xF0\x9F\x98\x80\"");
}

TEST(MessageJson, BodyMustBeAJsonObject) {
    for (std::string_view body : {"[]", "[{\"channel\":\"c\"}]", "\"str\"", "1", "null", "true"})
        EXPECT_EQ(fails_with(body), "request body must be a JSON object") << body;
}

TEST(MessageJson, InvalidJson) {
    for (std::string_view body : {"{", "{\"channel\": }", "{'channel': 'c'}", "{\"a\":1,}",
                                  "not json", "{\"channel\":\"c\"} trailing", "\"unterminated"}) {
        std::string err = fails_with(body);
        EXPECT_EQ(err.rfind("request body is not valid JSON: ", 0), 0u) << body << " -> " << err;
    }
}

TEST(MessageJson, EmptyBody) {
    EXPECT_EQ(fails_with(""),
              std::string("request body is empty; expected a JSON object with ") + kMessageFields);
}

TEST(MessageJson, ParserIsReusableAfterErrors) {
    EXPECT_FALSE(parse("{").ok);
    EXPECT_FALSE(parse("[]").ok);
    Outcome o = parse(R"({"channel":"c","event":"e","data":[true]})");
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.req.data, "[true]");
}

std::string msg(std::string_view extra) {
    return std::string(R"({"channel":"c","event":"e","data":1)") + (extra.empty() ? "" : ",") +
           std::string(extra) + "}";
}

TEST(MessageJson, DefaultsOfTheOptionalFields) {
    Outcome o = parse(msg(""));
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.req.target.kind, Target::Kind::all);
    EXPECT_TRUE(o.req.target.everyone());
    EXPECT_EQ(o.req.priority, kDefaultPriority);
    EXPECT_EQ(o.req.ttl_ms, 0u);
    EXPECT_EQ(o.req.timestamp_ms, 0);
    EXPECT_FALSE(o.req.persistent);
    EXPECT_FALSE(o.req.retryable);
}

TEST(MessageJson, EveryTargetKindWithItsList) {
    Outcome u =
        parse(msg(R"("target":"user-specific","targetUsers":[123,"abc",18446744073709551615])"));
    ASSERT_TRUE(u.ok) << u.error;
    EXPECT_EQ(u.req.target.kind, Target::Kind::users);
    EXPECT_EQ(u.req.target.users, (std::vector<std::string>{"123", "abc", "18446744073709551615"}));
    Outcome dup = parse(msg(R"("targetUsers":["7",7,"x","7","x"],"excludeUsers":[1,"1"])"));
    ASSERT_TRUE(dup.ok) << dup.error;
    EXPECT_EQ(dup.req.target.users, (std::vector<std::string>{"7", "x"}))
        << "a user named twice (or as 7 and \"7\") is one recipient";
    EXPECT_EQ(dup.req.target.exclude, std::vector<std::string>{"1"});
    Outcome r = parse(msg(R"("target":"role-based","targetRoles":["admin","moderator"])"));
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.req.target.kind, Target::Kind::roles);
    EXPECT_EQ(r.req.target.roles, (std::vector<std::string>{"admin", "moderator"}));
    Outcome p = parse(msg(R"("target":"permission-based","targetPermissions":["content.review"])"));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.req.target.kind, Target::Kind::permissions);
    for (auto [name, kind] : {std::pair{"authenticated", Target::Kind::authenticated},
                              std::pair{"subscribers", Target::Kind::subscribers},
                              std::pair{"all", Target::Kind::all}}) {
        Outcome o = parse(msg(std::string(R"("target":")") + name + "\""));
        ASSERT_TRUE(o.ok) << name << ": " << o.error;
        EXPECT_EQ(o.req.target.kind, kind) << name;
    }
}

TEST(MessageJson, TargetInferredFromASingleList) {
    Outcome o = parse(msg(R"("targetUsers":[7])"));
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.req.target.kind, Target::Kind::users)
        << "sendMessage({targetUsers}) means those users";
    EXPECT_EQ(fails_with(msg(R"("targetUsers":[7],"targetRoles":["a"])")),
              "give \"target\" when more than one of \"targetUsers\", \"targetRoles\" and "
              "\"targetPermissions\" is set");
}

TEST(MessageJson, TargetAndListsMustAgree) {
    EXPECT_EQ(fails_with(msg(R"("target":"user-specific")")),
              "target \"user-specific\" needs a non-empty \"targetUsers\"");
    EXPECT_EQ(fails_with(msg(R"("target":"user-specific","targetUsers":[])")),
              "target \"user-specific\" needs a non-empty \"targetUsers\"");
    EXPECT_EQ(fails_with(msg(R"("target":"all","targetRoles":["admin"])")),
              "\"targetRoles\" is only used with target \"role-based\" (target is \"all\")");
    EXPECT_EQ(fails_with(msg(R"("target":"everyone")")).rfind("\"target\" must be one of", 0), 0u);
}

TEST(MessageJson, ExclusionsAndRequireAuth) {
    Outcome o = parse(msg(R"("target":"authenticated","excludeUsers":[1,"2"],"requireAuth":true)"));
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.req.target.exclude, (std::vector<std::string>{"1", "2"}));
    EXPECT_TRUE(o.req.target.require_auth);
    EXPECT_FALSE(o.req.target.everyone());
    EXPECT_EQ(fails_with(msg(R"("requireAuth":"yes")")), "\"requireAuth\" must be true or false");
    EXPECT_EQ(
        fails_with(msg(R"("excludeUsers":[""])")).rfind("\"excludeUsers\" holds something", 0), 0u);
    EXPECT_EQ(
        fails_with(msg(R"("excludeUsers":[1.5])")).rfind("\"excludeUsers\" holds something", 0),
        0u);
    EXPECT_EQ(fails_with(msg(R"("targetRoles":[1])")).rfind("\"targetRoles\" must be an array", 0),
              0u);
}

TEST(MessageJson, PriorityTtlTimestampFlags) {
    Outcome o = parse(msg(
        R"("priority":9,"ttl":1.5,"timestamp":1700000000123,"persistent":true,"retryable":true)"));
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.req.priority, 9);
    EXPECT_EQ(o.req.ttl_ms, 1500u);
    EXPECT_EQ(o.req.timestamp_ms, 1700000000123);
    EXPECT_TRUE(o.req.persistent);
    EXPECT_TRUE(o.req.retryable);
    for (std::string_view bad :
         {R"("priority":11)", R"("priority":-1)", R"("priority":2.5)", R"("priority":"9")"})
        EXPECT_EQ(fails_with(msg(bad)), "\"priority\" must be an integer from 0 to 10") << bad;
    for (std::string_view bad : {R"("ttl":0)", R"("ttl":-3)", R"("ttl":"60")", R"("ttl":1e12)"})
        EXPECT_EQ(fails_with(msg(bad)).rfind("\"ttl\" must be a number of seconds", 0), 0u) << bad;
    EXPECT_EQ(fails_with(msg(R"("timestamp":"now")")),
              "\"timestamp\" must be a number of milliseconds since the epoch");
    EXPECT_EQ(fails_with(msg(R"("persistent":1)")), "\"persistent\" must be true or false");
}

TEST(MessageJson, IgnoredKeysForTheSocketProtocol) {
    static simdjson::dom::parser parser;
    simdjson::dom::element root;
    ASSERT_EQ(
        parser
            .parse(std::string(R"({"op":"publish","req":[1],"channel":"c","event":"e","data":2})"))
            .get(root),
        simdjson::SUCCESS);
    Message m;
    std::string error;
    EXPECT_TRUE(parse_message(root.get_object().value(), &m, &error, {"op", "req"})) << error;
    EXPECT_FALSE(parse_message(root.get_object().value(), &m, &error, {"op"}));
    EXPECT_EQ(error.rfind("unknown field \"req\"", 0), 0u) << error;
}

}  // namespace
}  // namespace ringcast

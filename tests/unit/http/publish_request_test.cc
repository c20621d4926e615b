// The publish body: valid messages and every way of getting one wrong, each
// with the message a client sees. `data` is kept as compact JSON of any type.
#include "http/publish_request.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

struct Outcome {
    bool ok;
    PublishRequest req;
    std::string error;
};

Outcome parse(std::string_view body) {
    static simdjson::dom::parser parser;  // reused across calls, as a shard does
    Outcome o;
    o.ok = parse_publish_request(parser, body, &o.req, &o.error);
    return o;
}

std::string fails_with(std::string_view body) {
    Outcome o = parse(body);
    EXPECT_FALSE(o.ok) << body;
    EXPECT_FALSE(o.error.empty()) << body;
    return o.error;
}

TEST(PublishRequest, MinimalValidMessage) {
    Outcome o = parse(R"({"channel": "alerts", "event": "alert", "data": {"level": 3}})");
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.req.channel, "alerts");
    EXPECT_EQ(o.req.event, "alert");
    EXPECT_EQ(o.req.data, R"({"level":3})");
    EXPECT_EQ(o.req.id, "") << "no id: the owner shard numbers the event";
}

TEST(PublishRequest, FieldOrderDoesNotMatter) {
    Outcome o = parse(R"({"data": 1, "id": "x", "event": "e", "channel": "c"})");
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.req.channel, "c");
    EXPECT_EQ(o.req.id, "x");
}

TEST(PublishRequest, IdAsStringIntegerOrNull) {
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

TEST(PublishRequest, DataOfEveryJsonTypeIsKeptAsCompactJson) {
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

TEST(PublishRequest, MissingFields) {
    EXPECT_EQ(fails_with(R"({"event": "e", "data": 1})"), "\"channel\" is required");
    EXPECT_EQ(fails_with(R"({"channel": "c", "data": 1})"), "\"event\" is required");
    EXPECT_EQ(fails_with(R"({"channel": "c", "event": "e"})"),
              "\"data\" is required (any JSON value, null included)");
    EXPECT_EQ(fails_with("{}"), "\"channel\" is required");
}

TEST(PublishRequest, InvalidChannel) {
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

TEST(PublishRequest, InvalidEvent) {
    const std::string want =
        "\"event\" must be a string of 1 to 128 printable characters without line breaks";
    for (std::string ev : std::vector<std::string>{"\"\"", "\"a\\nb\"", "\"a\\rb\"",
                                                   "\"tab\\there\"", "\"nul\\u0000\"", "7", "true",
                                                   "{}", "\"" + std::string(129, 'e') + "\""}) {
        EXPECT_EQ(fails_with(R"({"channel": "c", "data": 1, "event": )" + ev + "}"), want) << ev;
    }
}

TEST(PublishRequest, InvalidId) {
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

TEST(PublishRequest, UnknownField) {
    EXPECT_EQ(fails_with(R"({"channel": "c", "event": "e", "data": 1, "retry": 5})"),
              "unknown field \"retry\" (supported: channel, event, data, id)");
}

TEST(PublishRequest, BodyMustBeAJsonObject) {
    for (std::string_view body : {"[]", "[{\"channel\":\"c\"}]", "\"str\"", "1", "null", "true"})
        EXPECT_EQ(fails_with(body), "request body must be a JSON object") << body;
}

TEST(PublishRequest, InvalidJson) {
    for (std::string_view body : {"{", "{\"channel\": }", "{'channel': 'c'}", "{\"a\":1,}",
                                  "not json", "{\"channel\":\"c\"} trailing", "\"unterminated"}) {
        std::string err = fails_with(body);
        EXPECT_EQ(err.rfind("request body is not valid JSON: ", 0), 0u) << body << " -> " << err;
    }
}

TEST(PublishRequest, EmptyBody) {
    EXPECT_EQ(fails_with(""),
              "request body is empty; expected a JSON object with channel, event, data, id");
}

TEST(PublishRequest, ParserIsReusableAfterErrors) {
    EXPECT_FALSE(parse("{").ok);
    EXPECT_FALSE(parse("[]").ok);
    Outcome o = parse(R"({"channel":"c","event":"e","data":[true]})");
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.req.data, "[true]");
}

}  // namespace
}  // namespace ringcast

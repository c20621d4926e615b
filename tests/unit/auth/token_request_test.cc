// Reading a stream-token request (auth/token_request.h), as the socket's token op
// and POST /api/tokens take it: every field, null as absent, the first of a
// repeated key, unknown fields, wrong types and the bounds, each error naming
// the field.
#include "auth/token_request.h"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "auth/jwt_claims.h"

namespace ringcast {
namespace {

using Names = std::vector<std::string>;

struct Read {
    bool ok = false;
    StreamTokenRequest r;
    std::string error;
};

Read read(std::string_view json, std::initializer_list<std::string_view> ignore = {}) {
    simdjson::dom::parser p;
    simdjson::dom::object obj;
    Read out;
    EXPECT_EQ(p.parse(json.data(), json.size()).get_object().get(obj), simdjson::SUCCESS) << json;
    out.r.user = "untouched";
    out.ok = read_token_request(obj, &out.r, &out.error, ignore);
    return out;
}

// Refused, with an error that names `field`.
::testing::AssertionResult refused(std::string_view json, std::string_view field) {
    Read r = read(json);
    if (r.ok) return ::testing::AssertionFailure() << "accepted: " << json;
    if (r.error.find(field) == std::string::npos)
        return ::testing::AssertionFailure()
               << "the error does not name " << field << ": " << r.error << " (" << json << ")";
    if (r.r.user != "untouched")
        return ::testing::AssertionFailure() << "a refused request changed *out: " << json;
    return ::testing::AssertionSuccess();
}

std::string names_json(size_t n, size_t len = 8, char c = 'n') {
    std::string s = "[";
    for (size_t i = 0; i < n; ++i) {
        std::string name = std::to_string(i);
        name = std::string(len > name.size() ? len - name.size() : 0, c) + name;
        s += (i ? ",\"" : "\"") + name + "\"";
    }
    return s + "]";
}

TEST(TokenRequest, ReadsEveryField) {
    Read r = read(R"({"userId":"u-1","roles":["editor","admin"],"permissions":["dashboard.view"],)"
                  R"("subscriber":true,"ttl":600})");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.r.user, "u-1");
    EXPECT_EQ(r.r.roles, (Names{"editor", "admin"}));
    EXPECT_EQ(r.r.permissions, Names{"dashboard.view"});
    EXPECT_TRUE(r.r.subscriber);
    EXPECT_EQ(r.r.ttl_s, 600u);
}

TEST(TokenRequest, OnlyTheUserIsRequired) {
    Read r = read(R"({"userId":"alone"})");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.r.user, "alone");
    EXPECT_TRUE(r.r.roles.empty());
    EXPECT_TRUE(r.r.permissions.empty());
    EXPECT_FALSE(r.r.subscriber);
    EXPECT_EQ(r.r.ttl_s, 0u) << "0: the signer's default";
    Read f = read(R"({"userId":"u","subscriber":false,"roles":[],"permissions":[]})");
    ASSERT_TRUE(f.ok) << f.error;
    EXPECT_FALSE(f.r.subscriber);
    EXPECT_TRUE(f.r.roles.empty());

    EXPECT_TRUE(refused("{}", "\"userId\""));
    EXPECT_TRUE(refused(R"({"roles":["admin"],"ttl":60})", "\"userId\""));
}

TEST(TokenRequest, AnIntegerUserIsItsDecimalText) {
    EXPECT_EQ(read(R"({"userId":42})").r.user, "42");
    EXPECT_EQ(read(R"({"userId":0})").r.user, "0");
    EXPECT_EQ(read(R"({"userId":-7})").r.user, "-7");
    EXPECT_EQ(read(R"({"userId":9223372036854775807})").r.user, "9223372036854775807");
    EXPECT_EQ(read(R"({"userId":18446744073709551615})").r.user, "18446744073709551615");
    EXPECT_EQ(read(R"({"userId":"007"})").r.user, "007") << "a string stays as written";
}

TEST(TokenRequest, NullIsAbsent) {
    Read r = read(R"({"userId":"u","roles":null,"permissions":null,"subscriber":null,"ttl":null})");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(r.r.roles.empty());
    EXPECT_TRUE(r.r.permissions.empty());
    EXPECT_FALSE(r.r.subscriber);
    EXPECT_EQ(r.r.ttl_s, 0u);
    EXPECT_TRUE(refused(R"({"userId":null})", "\"userId\""));
    EXPECT_TRUE(refused(R"({"userId":null,"roles":["a"]})", "required"));
}

TEST(TokenRequest, OfARepeatedKeyTheFirstCounts) {
    Read r = read(R"({"userId":"first","userId":"second","ttl":5,"ttl":"not read",)"
                  R"("roles":["a"],"roles":7,"subscriber":true,"subscriber":"x",)"
                  R"("permissions":["p"],"permissions":["q"]})");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.r.user, "first");
    EXPECT_EQ(r.r.ttl_s, 5u);
    EXPECT_EQ(r.r.roles, Names{"a"});
    EXPECT_EQ(r.r.permissions, Names{"p"});
    EXPECT_TRUE(r.r.subscriber);
    // A bad first value is an error even when a good one follows.
    EXPECT_TRUE(refused(R"({"userId":"u","ttl":0,"ttl":60})", "\"ttl\""));
}

TEST(TokenRequest, UnknownFieldsAreRefusedByName) {
    EXPECT_TRUE(refused(R"({"userId":"u","role":["admin"]})", "\"role\""));
    EXPECT_TRUE(refused(R"({"userId":"u","user":"x"})", "\"user\""));
    EXPECT_TRUE(refused(R"({"userId":"u","expiresIn":60})", "\"expiresIn\""));
    EXPECT_TRUE(refused(R"({"userId":"u","UserId":"v"})", "\"UserId\"")) << "names are exact";
    // The message lists what a request may hold.
    Read r = read(R"({"userId":"u","extra":1})");
    EXPECT_NE(r.error.find("userId, roles, permissions, subscriber, ttl"), std::string::npos)
        << r.error;
    // "op" and "req" are the socket's, skipped only when the caller says so.
    EXPECT_TRUE(refused(R"({"op":"token","userId":"u"})", "\"op\""));
    Read s = read(R"({"op":"token","req":{"any":[1]},"userId":"u"})", {"op", "req"});
    ASSERT_TRUE(s.ok) << s.error;
    EXPECT_EQ(s.r.user, "u");
}

TEST(TokenRequest, WrongTypesAreRefusedByName) {
    for (const char* bad : {R"({"userId":""})", R"({"userId":true})", R"({"userId":1.5})",
                            R"({"userId":["u"]})", R"({"userId":{"id":"u"}})", R"({"userId":1e3})"})
        EXPECT_TRUE(refused(bad, "\"userId\""));
    for (const char* bad :
         {R"({"userId":"u","roles":"admin"})", R"({"userId":"u","roles":[1]})",
          R"({"userId":"u","roles":[""]})", R"({"userId":"u","roles":["a",null]})",
          R"({"userId":"u","roles":[["a"]]})", R"({"userId":"u","roles":{}})"})
        EXPECT_TRUE(refused(bad, "\"roles\""));
    for (const char* bad :
         {R"({"userId":"u","permissions":"p"})", R"({"userId":"u","permissions":[true]})"})
        EXPECT_TRUE(refused(bad, "\"permissions\""));
    for (const char* bad :
         {R"({"userId":"u","subscriber":"true"})", R"({"userId":"u","subscriber":1})",
          R"({"userId":"u","subscriber":[]})"})
        EXPECT_TRUE(refused(bad, "\"subscriber\""));
    for (const char* bad :
         {R"({"userId":"u","ttl":"60"})", R"({"userId":"u","ttl":1.5})",
          R"({"userId":"u","ttl":0})", R"({"userId":"u","ttl":-1})", R"({"userId":"u","ttl":60.0})",
          R"({"userId":"u","ttl":true})", R"({"userId":"u","ttl":18446744073709551615})"})
        EXPECT_TRUE(refused(bad, "\"ttl\""));
    EXPECT_EQ(read(R"({"userId":"u","ttl":1})").r.ttl_s, 1u);
    EXPECT_EQ(read(R"({"userId":"u","ttl":9223372036854775807})").r.ttl_s, 9223372036854775807u)
        << "the signer, not the reader, bounds the ttl";
}

TEST(TokenRequest, UserIdLengthIsBounded) {
    const std::string longest(kMaxUserIdBytes, 'u');
    Read r = read(R"({"userId":")" + longest + "\"}");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.r.user, longest);
    EXPECT_TRUE(refused(R"({"userId":")" + longest + "x\"}", "\"userId\""));
    Read e = read(R"({"userId":""})");
    EXPECT_NE(e.error.find(std::to_string(kMaxUserIdBytes)), std::string::npos) << e.error;
}

TEST(TokenRequest, NamesAreBoundedInLengthAndNumber) {
    const std::string longest(kMaxTokenNameBytes, 'r');
    Read r =
        read(R"({"userId":"u","roles":[")" + longest + R"("],"permissions":[")" + longest + "\"]}");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.r.roles, Names{longest});
    EXPECT_EQ(r.r.permissions, Names{longest});
    EXPECT_TRUE(refused(R"({"userId":"u","roles":[")" + longest + "x\"]}", "\"roles\""));
    EXPECT_TRUE(
        refused(R"({"userId":"u","permissions":[")" + longest + "x\"]}", "\"permissions\""));
    Read m = read(R"({"userId":"u","roles":[")" + longest + "x\"]}");
    EXPECT_NE(m.error.find(std::to_string(kMaxTokenNameBytes)), std::string::npos) << m.error;

    // 256 names each, but not 257.
    Read full = read(R"({"userId":"u","roles":)" + names_json(kMaxTokenNames) +
                     R"(,"permissions":)" + names_json(kMaxTokenNames, 8, 'p') + "}");
    ASSERT_TRUE(full.ok) << full.error;
    EXPECT_EQ(full.r.roles.size(), kMaxTokenNames);
    EXPECT_EQ(full.r.permissions.size(), kMaxTokenNames);
    EXPECT_TRUE(
        refused(R"({"userId":"u","roles":)" + names_json(kMaxTokenNames + 1) + "}", "\"roles\""));
    Read over = read(R"({"userId":"u","permissions":)" + names_json(kMaxTokenNames + 1) + "}");
    EXPECT_FALSE(over.ok);
    EXPECT_NE(over.error.find("\"permissions\""), std::string::npos) << over.error;
    EXPECT_NE(over.error.find("257"), std::string::npos) << over.error;
    EXPECT_NE(over.error.find("256"), std::string::npos) << over.error;
}

TEST(TokenRequest, RepeatedNamesCountOnceInTheirFirstPlace) {
    Read r = read(R"({"userId":"u","roles":["b","a","b","c","a"]})");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.r.roles, (Names{"b", "a", "c"}));
    // 256 distinct names plus repeats are within the bound.
    std::string list = names_json(kMaxTokenNames);
    list.pop_back();
    list += R"(,"nnnnnnn0","nnnnnnn1"])";
    Read dup = read(R"({"userId":"u","roles":)" + list + "}");
    ASSERT_TRUE(dup.ok) << dup.error;
    EXPECT_EQ(dup.r.roles.size(), kMaxTokenNames);
}

}  // namespace
}  // namespace ringcast

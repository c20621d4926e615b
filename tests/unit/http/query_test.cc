// Query strings: percent-decoding, the first matching parameter, comma lists.
#include "http/query.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

using namespace std::string_literals;

TEST(PercentDecode, DecodesEscapesAndPlus) {
    EXPECT_EQ(percent_decode(""), "");
    EXPECT_EQ(percent_decode("plain"), "plain");
    EXPECT_EQ(percent_decode("a%20b"), "a b");
    EXPECT_EQ(percent_decode("a+b"), "a b");
    EXPECT_EQ(percent_decode("%2B"), "+") << "an escaped plus stays a plus";
    EXPECT_EQ(percent_decode("%2b%2C%2c"), "+,,") << "hex digits in either case";
    EXPECT_EQ(percent_decode("caf%C3%A9"), "caf\xC3\xA9");
    EXPECT_EQ(percent_decode("%00"), "\0"s);
    EXPECT_EQ(percent_decode("%25"), "%");
    EXPECT_EQ(percent_decode("%2525"), "%25") << "decoded once";
    EXPECT_EQ(percent_decode("%41%42"), "AB");
}

TEST(PercentDecode, MalformedEscapes) {
    for (std::string_view bad : {"%", "%4", "a%", "a%4", "%G0", "%0G", "%%", "%-1", "ab%zz"})
        EXPECT_EQ(percent_decode(bad), std::nullopt) << bad;
}

TEST(PercentDecode, TruncatedEscapeDoesNotReadPastTheView) {
    // The query is a view into the request; what follows it is not part of it.
    std::string_view whole = "x=%41";
    EXPECT_EQ(percent_decode(whole.substr(0, 4)), std::nullopt);
    EXPECT_EQ(percent_decode(whole.substr(0, 3)), std::nullopt);
    EXPECT_EQ(percent_decode(whole), "x=A");
}

TEST(QueryParam, FindsTheFirstMatchingName) {
    bool malformed = false;
    EXPECT_EQ(query_param("a=1&b=2&c=3", "b", &malformed), "2");
    EXPECT_EQ(query_param("a=1&b=2&c=3", "a", &malformed), "1");
    EXPECT_EQ(query_param("a=1&b=2&c=3", "c", &malformed), "3");
    EXPECT_EQ(query_param("x=first&x=second", "x", &malformed), "first");
    EXPECT_EQ(query_param("channels=a%2Cb+c", "channels", &malformed), "a,b c");
    EXPECT_FALSE(malformed);
}

TEST(QueryParam, AbsentEmptyAndValueless) {
    bool malformed = false;
    EXPECT_EQ(query_param("", "a", &malformed), std::nullopt);
    EXPECT_EQ(query_param("ab=1&ba=2", "a", &malformed), std::nullopt) << "whole names only";
    EXPECT_EQ(query_param("a=", "a", &malformed), "");
    EXPECT_EQ(query_param("a", "a", &malformed), "");
    EXPECT_EQ(query_param("&&a=1&", "a", &malformed), "1");
    EXPECT_EQ(query_param("a=x=y", "a", &malformed), "x=y") << "only the first '=' separates";
    EXPECT_FALSE(malformed);
}

TEST(QueryParam, MalformedEscapeIsReported) {
    bool malformed = false;
    EXPECT_EQ(query_param("a=%zz&b=1", "a", &malformed), std::nullopt);
    EXPECT_TRUE(malformed);
    malformed = false;
    EXPECT_EQ(query_param("a=%zz&b=1", "b", &malformed), "1") << "other parameters are unaffected";
    EXPECT_FALSE(malformed);
}

TEST(SplitList, DropsEmptyItems) {
    using V = std::vector<std::string>;
    EXPECT_EQ(split_list(""), V{});
    EXPECT_EQ(split_list(","), V{});
    EXPECT_EQ(split_list("a"), V{"a"});
    EXPECT_EQ(split_list("a,b,c"), (V{"a", "b", "c"}));
    EXPECT_EQ(split_list(",a,,b,"), (V{"a", "b"}));
    EXPECT_EQ(split_list("a b,c"), (V{"a b", "c"})) << "no trimming";
}

}  // namespace
}  // namespace ringcast

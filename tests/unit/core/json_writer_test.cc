// JsonWriter: escaping per RFC 8259 and the comma/colon bookkeeping of nested
// values. Random strings are written and read back with simdjson.
#include "core/json_writer.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "support/random.h"

namespace ringcast {
namespace {

using namespace std::string_literals;

std::string str(std::string_view s) {
    std::string out;
    JsonWriter(out).value(s);
    return out;
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControls) {
    EXPECT_EQ(str(""), R"("")");
    EXPECT_EQ(str("plain"), R"("plain")");
    EXPECT_EQ(str("say \"hi\""), R"("say \"hi\"")");
    EXPECT_EQ(str("C:\\path\\"), R"("C:\\path\\")");
    EXPECT_EQ(str("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
    EXPECT_EQ(str("\x01\x1f"), R"("\u0001\u001f")");
    EXPECT_EQ(str("nul\0!"s), R"("nul\u0000!")");
    EXPECT_EQ(str("\x7f/<>'"), "\"\x7f/<>'\"") << "DEL, slash and HTML characters need no escape";
}

TEST(JsonWriter, EveryControlCharacterIsEscaped) {
    for (int c = 0; c < 0x20; ++c) {
        std::string s = str(std::string(1, char(c)));
        for (char ch : s)
            EXPECT_GE((unsigned char)ch, 0x20) << "raw control " << c << " in " << s;
    }
}

TEST(JsonWriter, UnicodePassesThrough) {
    std::string s = "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 \xE2\x80\xA8";
    EXPECT_EQ(str(s), "\"" + s + "\"");
}

TEST(JsonWriter, ObjectsArraysAndCommas) {
    std::string out;
    JsonWriter w(out);
    w.begin_object()
        .key("a")
        .value(1)
        .key("b")
        .begin_array()
        .value("x")
        .value(true)
        .null()
        .begin_object()
        .end_object()
        .begin_array()
        .end_array()
        .end_array()
        .key("c")
        .begin_object()
        .key("d")
        .value(false)
        .key("e")
        .raw("[1,{\"f\":2}]")
        .end_object()
        .key("g")
        .value(-3)
        .end_object();
    EXPECT_EQ(out, R"({"a":1,"b":["x",true,null,{},[]],"c":{"d":false,"e":[1,{"f":2}]},"g":-3})");
}

TEST(JsonWriter, EmptyContainers) {
    std::string a, b, c;
    JsonWriter(a).begin_object().end_object();
    JsonWriter(b).begin_array().end_array();
    JsonWriter(c).begin_array().begin_array().end_array().begin_object().end_object().end_array();
    EXPECT_EQ(a, "{}");
    EXPECT_EQ(b, "[]");
    EXPECT_EQ(c, "[[],{}]");
}

TEST(JsonWriter, Integers) {
    std::string out;
    JsonWriter w(out);
    w.begin_array()
        .value(0)
        .value(-1)
        .value(std::numeric_limits<int64_t>::min())
        .value(std::numeric_limits<uint64_t>::max())
        .value(uint8_t(255))
        .value(int16_t(-7))
        .end_array();
    EXPECT_EQ(out, "[0,-1,-9223372036854775808,18446744073709551615,255,-7]");
}

TEST(JsonWriter, KeysAreEscapedToo) {
    std::string out;
    JsonWriter(out).begin_object().key("we\"ird\n").value("v").end_object();
    EXPECT_EQ(out, R"({"we\"ird\n":"v"})");
}

TEST(JsonWriter, DoublesUseThreeDecimals) {
    std::string out;
    JsonWriter(out).begin_array().value(1.5).value(0.0).value(-2.25).value(1.0 / 3).end_array();
    EXPECT_EQ(out, "[1.500,0.000,-2.250,0.333]");
}

// Whatever double is written, the output must stay parseable JSON.
TEST(JsonWriter, DoublesAlwaysProduceValidJson) {
    for (double d :
         {1e30, -1e300, std::numeric_limits<double>::max(), std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
          123456789.125}) {
        std::string out;
        JsonWriter(out).begin_object().key("v").value(d).key("after").value(1).end_object();
        simdjson::dom::parser parser;
        simdjson::dom::element root;
        ASSERT_EQ(parser.parse(out).get(root), simdjson::SUCCESS) << d << " -> " << out;
        int64_t after = 0;
        EXPECT_EQ(root["after"].get_int64().get(after), simdjson::SUCCESS) << out;
        EXPECT_EQ(after, 1);
        if (std::isfinite(d)) {
            double back = 0;
            ASSERT_EQ(root["v"].get_double().get(back), simdjson::SUCCESS) << out;
            EXPECT_NEAR(back, d, std::abs(d) * 1e-12 + 1e-3) << out;
        }
    }
}

TEST(JsonWriter, RandomStringsRoundTripThroughAParser) {
    RINGCAST_SEEDED_RNG(rng);
    const std::vector<std::string> atoms = {
        "a",       " ",  "\"",   "\\",   "/",    "\n",  "\r",       "\t",
        "\b",      "\f", "\x01", "\x1f", "\x7f", "\0"s, "\xC3\xA9", "\xF0\x9F\x98\x80",
        "\\u0041", "}",  "]",    ",",    ":"};
    simdjson::dom::parser parser;
    for (int round = 0; round < 2000; ++round) {
        std::string k, v;
        for (size_t i = rng.below(10); i > 0; --i)
            k += rng.pick(atoms);
        for (size_t i = rng.below(30); i > 0; --i)
            v += rng.pick(atoms);
        std::string out;
        JsonWriter(out)
            .begin_object()
            .key(k)
            .value(v)
            .key("n")
            .begin_array()
            .value(v)
            .end_array()
            .end_object();
        simdjson::dom::element root;
        ASSERT_EQ(parser.parse(out).get(root), simdjson::SUCCESS) << out;
        simdjson::dom::object obj;
        ASSERT_EQ(root.get_object().get(obj), simdjson::SUCCESS);
        auto it = obj.begin();
        ASSERT_EQ(std::string((*it).key), k) << out;
        std::string_view got;
        ASSERT_EQ((*it).value.get_string().get(got), simdjson::SUCCESS);
        ASSERT_EQ(std::string(got), v) << out;
    }
}

}  // namespace
}  // namespace ringcast

// The RESP reader (cluster/resp_reader.h): every reply type, replies cut at
// every byte, several replies in one feed, nesting, and what the network may
// send that it refuses (a malformed line, an absurd array length).
#include "cluster/resp_reader.h"

#include <gtest/gtest.h>

#include "cluster/resp_writer.h"

namespace ringcast {
namespace {

using namespace std::string_literals;

std::vector<std::string> read_all(RespReader& r, std::string_view bytes) {
    std::vector<std::string> out;
    EXPECT_TRUE(r.feed(bytes.data(), bytes.size())) << r.error();
    while (auto v = r.next())
        out.push_back(v->describe());
    return out;
}

const std::string kStream =
    "+OK\r\n-ERR wrong\r\n:-42\r\n$5\r\nhe\r\no\r\n$0\r\n\r\n$-1\r\n*-1\r\n"
    "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n*2\r\n:1\r\n*0\r\n";
const std::vector<std::string> kReplies = {
    "+OK", "-ERR wrong", ":-42", "$he\r\no", "$", "(nil)", "(nil)", "[$message, $news, [:1, []]]"};

TEST(RespReader, EveryTypeInOneFeed) {
    RespReader r;
    EXPECT_EQ(read_all(r, kStream), kReplies);
    EXPECT_EQ(r.error(), "");
}

TEST(RespReader, RepliesCutAtEveryByteComeOutTheSame) {
    for (size_t cut = 1; cut < kStream.size(); ++cut) {
        RespReader r;
        std::vector<std::string> got = read_all(r, std::string_view(kStream).substr(0, cut));
        std::vector<std::string> rest = read_all(r, std::string_view(kStream).substr(cut));
        got.insert(got.end(), rest.begin(), rest.end());
        ASSERT_EQ(got, kReplies) << "cut at " << cut;
    }
}

TEST(RespReader, OneByteAtATime) {
    RespReader r;
    std::vector<std::string> got;
    for (char c : kStream) {
        ASSERT_TRUE(r.feed(&c, 1));
        while (auto v = r.next())
            got.push_back(v->describe());
    }
    EXPECT_EQ(got, kReplies);
}

TEST(RespReader, TypedValues) {
    RespReader r;
    const std::string in = "*2\r\n$3\r\na\0b\r\n:7\r\n"s;
    ASSERT_TRUE(r.feed(in.data(), in.size()));
    auto v = r.next();
    ASSERT_TRUE(v);
    ASSERT_TRUE(v->is_array());
    ASSERT_EQ(v->elements.size(), 2u);
    EXPECT_EQ(v->elements[0].type, RespValue::Type::bulk);
    EXPECT_EQ(v->elements[0].str, std::string("a\0b", 3));
    EXPECT_EQ(v->elements[1].integer, 7);
    EXPECT_FALSE(r.next());
}

TEST(RespReader, AMalformedStreamIsAnErrorForGood) {
    RespReader r;
    const std::string in = "+OK\r\n?what\r\n";
    EXPECT_FALSE(r.feed(in.data(), in.size()) && r.next() && r.next());
    EXPECT_NE(r.error().find("RESP protocol error"), std::string::npos) << r.error();
    const std::string more = "+OK\r\n";
    EXPECT_FALSE(r.feed(more.data(), more.size()));
    EXPECT_FALSE(r.next());
}

TEST(RespReader, AnAbsurdArrayLengthIsRefusedNotAllocated) {
    RespReader r;
    const std::string in = "*2000000000\r\n";
    ASSERT_TRUE(r.feed(in.data(), in.size()));
    EXPECT_FALSE(r.next());
    EXPECT_NE(r.error(), "");
}

TEST(RespReader, NestingDeeperThanHiredisTakesIsAnError) {
    RespReader r;
    std::string in;
    for (int i = 0; i < 12; ++i)
        in += "*1\r\n";
    in += ":1\r\n";
    ASSERT_TRUE(r.feed(in.data(), in.size()));
    EXPECT_FALSE(r.next());
    EXPECT_NE(r.error(), "");
}

TEST(RespReader, ReadsWhatTheWriterWrote) {
    std::string out;
    RespWriter w(out);
    w.command({"SET", "key", std::string_view("v\r\n\0", 4)});
    RespReader r;
    ASSERT_TRUE(r.feed(out.data(), out.size()));
    auto v = r.next();
    ASSERT_TRUE(v);
    ASSERT_EQ(v->elements.size(), 3u);
    EXPECT_EQ(v->elements[2].str, std::string("v\r\n\0", 4));
}

}  // namespace
}  // namespace ringcast

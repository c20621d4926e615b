// The server's SSE framing, checked against the client's reading of it: every
// payload written with sse_event()/sse_write() must come out of SseParser as the
// same text with its line ends normalized to \n, however the bytes are chunked.
#include "pubsub/sse_format.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/random.h"
#include "support/sse.h"

namespace ringcast {
namespace {

using test::normalize_line_ends;
using test::parse_pieces;
using test::sse_ev;
using Events = std::vector<SseEvent>;
using namespace std::string_literals;

// Writes through sse_write into a buffer of exactly sse_size() bytes (plus a
// guard) and checks the two agree; returns the bytes.
std::string write_checked(std::string_view id, std::string_view event, std::string_view data) {
    size_t size = sse_size(id, event, data);
    std::string buf(size + 16, '#');
    size_t written = sse_write(buf.data(), id, event, data);
    EXPECT_EQ(written, size);
    EXPECT_EQ(buf.substr(size), std::string(16, '#')) << "sse_write ran past sse_size()";
    buf.resize(written);
    EXPECT_EQ(buf, sse_event(id, event, data));
    return buf;
}

// Serializes, parses under a random chunking, and expects exactly one event
// carrying the payload.
void expect_round_trip(test::Rng& rng, std::string_view id, std::string_view event,
                       std::string_view data) {
    std::string wire = write_checked(id, event, data);
    SseParser p;
    Events got = parse_pieces(p, test::random_chunks(wire, rng, 32));
    ASSERT_EQ(got.size(), 1u) << "wire: " << ::testing::PrintToString(wire);
    EXPECT_EQ(got[0].data, normalize_line_ends(data)) << "wire: " << ::testing::PrintToString(wire);
    EXPECT_EQ(got[0].type, event.empty() ? "message" : std::string(event));
    EXPECT_EQ(got[0].last_event_id, std::string(id));
}

TEST(SseFormat, ExactBytesOfAFullEvent) {
    EXPECT_EQ(sse_event("7", "update", "a\nb"), "id: 7\nevent: update\ndata: a\ndata: b\n\n");
    EXPECT_EQ(sse_event("", "", "x"), "data: x\n\n");
    EXPECT_EQ(sse_event("", "", ""), "data: \n\n");
    EXPECT_EQ(sse_event("", "", "a\r\nb\rc\n"), "data: a\ndata: b\ndata: c\ndata: \n\n");
}

TEST(SseFormat, PayloadsSurviveTheParser) {
    RINGCAST_SEEDED_RNG(rng);
    const std::string long_line(100'000, 'x');
    std::string long_multiline;
    for (int i = 0; i < 5000; ++i)
        long_multiline += "line " + std::to_string(i) + (i % 3 ? "\n" : "\r\n");
    const std::vector<std::string> payloads = {
        "",
        "hello",
        "a\nb\nc",
        "a\rb\rc",
        "a\r\nb\r\nc",
        "a\r\nb\nc\rd\n\re",  // mixed, including \n\r (two line ends)
        "trailing\n",
        "trailing\r\n",
        "trailing\r",
        "\n",
        "\r\n",
        "\n\n\n",
        "\nleading",
        " leading space",
        "  two leading spaces\n   three on the next",
        "key: value\n:starts with colon\n: comment-like\ndata: nested",
        "{\"json\": [1, 2, {\"k\": \"v\"}]}",
        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\n\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82",
        "tab\there",
        "nul\0inside"s,
        long_line,
        long_multiline,
    };
    for (const std::string& data : payloads) {
        SCOPED_TRACE(::testing::PrintToString(data.substr(0, 80)));
        expect_round_trip(rng, "", "", data);
        expect_round_trip(rng, "42", "update", data);
        expect_round_trip(rng, "id with spaces: and colons", " spaced-name", data);
    }
}

TEST(SseFormat, RandomPayloadsSurviveTheParser) {
    RINGCAST_SEEDED_RNG(rng);
    const std::vector<std::string> atoms = {"a",
                                            "Z",
                                            " ",
                                            "  ",
                                            ":",
                                            "\n",
                                            "\r",
                                            "\r\n",
                                            "\n\r",
                                            "data: ",
                                            "id: ",
                                            "\xC3\xA9",
                                            "\xF0\x9F\x98\x80",
                                            "\xEF\xBB\xBF",
                                            "\t",
                                            "\0"s};
    for (int round = 0; round < 3000; ++round) {
        std::string data;
        size_t n = rng.between(0, 30);
        for (size_t i = 0; i < n; ++i)
            data += rng.pick(atoms);
        SCOPED_TRACE(::testing::Message()
                     << "round " << round << " data " << ::testing::PrintToString(data));
        expect_round_trip(rng, rng.chance(0.5) ? "" : std::to_string(round),
                          rng.chance(0.5) ? "" : "e", data);
        if (::testing::Test::HasFatalFailure()) return;
    }
}

TEST(SseFormat, ManyEventsInOneStreamUnderRandomChunking) {
    RINGCAST_SEEDED_RNG(rng);
    std::string stream;
    Events want;
    for (int i = 0; i < 500; ++i) {
        std::string id = i % 4 ? std::to_string(i) : "";
        std::string name = i % 3 ? "" : "tick";
        std::string data =
            "n=" + std::to_string(i) + (i % 2 ? "\r\nodd" : "") + (i % 5 ? "" : "\n");
        stream += sse_event(id, name, data);
        if (i % 7 == 0) stream += sse_comment("keep-alive");
        if (i % 11 == 0) stream += sse_retry(unsigned(i));
        std::string last_id = id.empty() && !want.empty() ? want.back().last_event_id : id;
        want.push_back(sse_ev(normalize_line_ends(data), name.empty() ? "message" : name, last_id));
    }
    for (int round = 0; round < 20; ++round) {
        SseParser p;
        ASSERT_EQ(parse_pieces(p, test::random_chunks(stream, rng, 200)), want)
            << "round " << round;
        EXPECT_EQ(p.comments(), 72u);  // i % 7 == 0 for 0..499
        EXPECT_EQ(p.retry_ms(), 495u);
    }
}

TEST(SseFormat, SizeMatchesWrittenBytes) {
    for (std::string_view id : {"", "1", "abcdefghij"})
        for (std::string_view ev : {"", "e", "update"})
            for (std::string_view data : {"", "x", "\n", "\r\n", "a\rb", "a\n\nb\r\n"}) {
                SCOPED_TRACE(::testing::PrintToString(std::string(data)));
                EXPECT_EQ(write_checked(id, ev, data).size(), sse_size(id, ev, data));
            }
}

TEST(SseFormat, IdLineAlone) {
    EXPECT_EQ(sse_id_line_size("42"), 7u);
    char buf[16];
    ASSERT_EQ(sse_write_id_line(buf, "42"), 7u);
    EXPECT_EQ(std::string_view(buf, 7), "id: 42\n");
    // An id line in front of an id-less body is the same as writing the id.
    EXPECT_EQ("id: 42\n" + sse_event("", "e", "d"), sse_event("42", "e", "d"));
}

TEST(SseFormat, RetryLine) {
    EXPECT_EQ(sse_retry(1500), "retry: 1500\n\n");
    EXPECT_EQ(sse_retry(0), "retry: 0\n\n");
    SseParser p;
    EXPECT_TRUE(parse_pieces(p, {sse_retry(2500)}).empty());
    EXPECT_EQ(p.retry_ms(), 2500u);
}

TEST(SseFormat, CommentLine) {
    EXPECT_EQ(sse_comment("heartbeat"), ": heartbeat\n\n");
    EXPECT_EQ(sse_comment(""), ": \n\n");
    SseParser p;
    EXPECT_TRUE(parse_pieces(p, {sse_comment("heartbeat") + sse_comment("x: y")}).empty());
    EXPECT_EQ(p.comments(), 2u);
}

TEST(SseFormat, ValidEventName) {
    EXPECT_TRUE(valid_event_name("update"));
    EXPECT_TRUE(valid_event_name("with space: and colon"));
    EXPECT_TRUE(valid_event_name("caf\xC3\xA9 \xF0\x9F\x98\x80"));
    EXPECT_TRUE(valid_event_name(std::string(kMaxEventName, 'n')));
    EXPECT_FALSE(valid_event_name(""));
    EXPECT_FALSE(valid_event_name(std::string(kMaxEventName + 1, 'n')));
    EXPECT_FALSE(valid_event_name("a\nb"));
    EXPECT_FALSE(valid_event_name("a\rb"));
    EXPECT_FALSE(valid_event_name("a\0b"s));
    EXPECT_FALSE(valid_event_name("a\tb"));
    EXPECT_FALSE(valid_event_name("a\x7f"));
}

TEST(SseFormat, ValidEventId) {
    EXPECT_TRUE(valid_event_id("1"));
    EXPECT_TRUE(valid_event_id("a b:c\td"));
    EXPECT_TRUE(valid_event_id("\xF0\x9F\x98\x80"));
    EXPECT_TRUE(valid_event_id(std::string(kMaxEventId, '9')));
    EXPECT_FALSE(valid_event_id(""));
    EXPECT_FALSE(valid_event_id(std::string(kMaxEventId + 1, '9')));
    EXPECT_FALSE(valid_event_id("a\nb"));
    EXPECT_FALSE(valid_event_id("a\rb"));
    EXPECT_FALSE(valid_event_id("a\0b"s));
}

TEST(SseFormat, EveryValidNameAndIdRoundTrips) {
    RINGCAST_SEEDED_RNG(rng);
    for (int round = 0; round < 2000; ++round) {
        std::string id, name;
        size_t id_len = rng.between(1, kMaxEventId), name_len = rng.between(1, kMaxEventName);
        // Ids may hold any byte but \r, \n, NUL; names any byte >= 0x20 but DEL.
        while (id.size() < id_len) {
            char c = char(rng.between(1, 255));
            if (c != '\r' && c != '\n') id += c;
        }
        while (name.size() < name_len) {
            unsigned char c = (unsigned char)rng.between(0x20, 255);
            if (c != 0x7f) name += char(c);
        }
        ASSERT_TRUE(valid_event_id(id));
        ASSERT_TRUE(valid_event_name(name));
        expect_round_trip(rng, id, name, "payload");
        if (::testing::Test::HasFatalFailure()) return;
    }
}

}  // namespace
}  // namespace ringcast

// SseParser against the WHATWG "Interpreting an event stream" algorithm: the
// standard's own examples first, then each rule on its own, then chunking
// invariance (a stream must parse the same however the network splits it).
#include <ringcast/sse_parser.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/random.h"
#include "support/sse.h"

namespace ringcast {
namespace {

using test::parse_pieces;
using test::parse_whole;
using test::sse_ev;
using Events = std::vector<SseEvent>;
using namespace std::string_literals;

// --- the standard's examples ---------------------------------------------------

TEST(SseParserSpecExamples, StockTickerJoinsDataLinesWithLf) {
    EXPECT_EQ(parse_whole("data: YHOO\ndata: +2\ndata: 10\n\n"), Events{sse_ev("YHOO\n+2\n10")});
}

TEST(SseParserSpecExamples, CommentsIdsAndAnUnterminatedEvent) {
    SseParser p;
    Events got = parse_pieces(p, {": test stream\n\n"
                                  "data: first event\nid: 1\n\n"
                                  "data:second event\nid\n\n"
                                  "data:  third event\n"});
    // "id" without a colon sets the last event ID to the empty string; the third
    // block never sees its blank line, so it is not dispatched.
    EXPECT_EQ(got, (Events{sse_ev("first event", "message", "1"),
                           sse_ev("second event", "message", "")}));
    EXPECT_EQ(p.comments(), 1u);
    EXPECT_EQ(p.last_event_id(), "");
}

TEST(SseParserSpecExamples, BareDataFieldsDispatchEmptyAndNewline) {
    EXPECT_EQ(parse_whole("data\n\ndata\ndata\n\ndata:"), (Events{sse_ev(""), sse_ev("\n")}));
}

TEST(SseParserSpecExamples, OneSpaceAfterTheColonIsStripped) {
    EXPECT_EQ(parse_whole("data:test\n\ndata: test\n\n"), (Events{sse_ev("test"), sse_ev("test")}));
    EXPECT_EQ(parse_whole("data:  test\n\n"), Events{sse_ev(" test")});
}

// --- fields -------------------------------------------------------------------

TEST(SseParserFields, FieldNameWithoutColonHasEmptyValue) {
    // "event" alone resets the type to the default.
    EXPECT_EQ(parse_whole("event\ndata: x\n\n"), Events{sse_ev("x")});
    EXPECT_EQ(parse_whole("data\n\n"), Events{sse_ev("")});
}

TEST(SseParserFields, CommentsAreCountedAndNeverDispatched) {
    SseParser p;
    Events got = parse_pieces(p, {":\n: heartbeat\n:x:y\n\n"});
    EXPECT_TRUE(got.empty());
    EXPECT_EQ(p.comments(), 3u);
    // A comment inside an event does not disturb it.
    EXPECT_EQ(parse_whole("data: a\n: note\ndata: b\n\n"), Events{sse_ev("a\nb")});
}

TEST(SseParserFields, EventTypeIsUsedAndThenReset) {
    EXPECT_EQ(parse_whole("event: update\ndata: 1\n\ndata: 2\n\n"),
              (Events{sse_ev("1", "update"), sse_ev("2", "message")}));
}

TEST(SseParserFields, EventWithoutDataIsNotDispatchedAndItsTypeIsDropped) {
    EXPECT_TRUE(parse_whole("event: update\n\n").empty());
    EXPECT_EQ(parse_whole("event: update\n\ndata: x\n\n"), Events{sse_ev("x", "message")});
}

TEST(SseParserFields, EmptyDataFieldDispatchesEmptyString) {
    EXPECT_EQ(parse_whole("data:\n\n"), Events{sse_ev("")});
    EXPECT_EQ(parse_whole("data: \n\n"), Events{sse_ev("")});
}

TEST(SseParserFields, ValueKeepsColonsAndFurtherSpaces) {
    EXPECT_EQ(parse_whole("data: a: b :c\n\n"), Events{sse_ev("a: b :c")});
    EXPECT_EQ(parse_whole("data:   \n\n"), Events{sse_ev("  ")});
}

TEST(SseParserFields, UnknownAndMisspelledFieldsAreIgnored) {
    EXPECT_EQ(parse_whole("foo: bar\ndata: x\nDATA: y\n data: z\n\n"), Events{sse_ev("x")});
    EXPECT_TRUE(parse_whole("Data: x\n\n").empty());
}

TEST(SseParserFields, IdContainingNulIsIgnored) {
    SseParser p;
    const std::string stream = "id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"s;
    Events got = parse_pieces(p, {stream});
    EXPECT_EQ(got, (Events{sse_ev("a", "message", "1"), sse_ev("b", "message", "1")}));
    EXPECT_EQ(p.last_event_id(), "1");
}

TEST(SseParserFields, LastEventIdPersistsAcrossEvents) {
    SseParser p;
    Events got = parse_pieces(p, {"id: 7\ndata: a\n\ndata: b\n\nid: 8\ndata: c\n\n"});
    EXPECT_EQ(got, (Events{sse_ev("a", "message", "7"), sse_ev("b", "message", "7"),
                           sse_ev("c", "message", "8")}));
    EXPECT_EQ(p.last_event_id(), "8");
}

TEST(SseParserFields, IdWithoutDataStillUpdatesLastEventIdAtTheBlankLine) {
    SseParser p;
    EXPECT_TRUE(parse_pieces(p, {"id: 9\n"}).empty());
    EXPECT_EQ(p.last_event_id(), "") << "the id buffer is committed only when the block ends";
    EXPECT_TRUE(parse_pieces(p, {"\n"}).empty());
    EXPECT_EQ(p.last_event_id(), "9");
    EXPECT_EQ(parse_pieces(p, {"data: x\n\n"}), Events{sse_ev("x", "message", "9")});
}

TEST(SseParserFields, RetryAcceptsOnlyAsciiDigits) {
    SseParser p;
    EXPECT_FALSE(p.retry_ms().has_value());
    EXPECT_TRUE(parse_pieces(p, {"retry: 1500\n\n"}).empty()) << "retry alone dispatches nothing";
    EXPECT_EQ(p.retry_ms(), 1500u);
    for (const char* bad : {"retry: 15a\n", "retry: -1\n", "retry: 1.5\n", "retry:  20\n",
                            "retry: 20 \n", "retry:\n", "retry\n", "retry: +3\n"}) {
        parse_pieces(p, {bad});
        EXPECT_EQ(p.retry_ms(), 1500u) << "after " << bad;
    }
    parse_pieces(p, {"retry:0\n"});
    EXPECT_EQ(p.retry_ms(), 0u);
}

TEST(SseParserFields, EndOfInputWithoutBlankLineDispatchesNothing) {
    EXPECT_TRUE(parse_whole("data: pending").empty());
    EXPECT_TRUE(parse_whole("data: pending\n").empty());
}

// --- line ends ------------------------------------------------------------------

TEST(SseParserLineEnds, LfCrAndCrlfAreEquivalent) {
    const Events want{sse_ev("a\nb", "t", "1"), sse_ev("c", "message", "1")};
    EXPECT_EQ(parse_whole("id: 1\nevent: t\ndata: a\ndata: b\n\ndata: c\n\n"), want);
    EXPECT_EQ(parse_whole("id: 1\revent: t\rdata: a\rdata: b\r\rdata: c\r\r"), want);
    EXPECT_EQ(parse_whole("id: 1\r\nevent: t\r\ndata: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n"), want);
    EXPECT_EQ(parse_whole("id: 1\r\nevent: t\rdata: a\ndata: b\r\n\rdata: c\n\r\n"), want);
}

TEST(SseParserLineEnds, CrlfSplitAcrossChunksIsOneLineEnd) {
    // Were the LF read as a second line end, "a" would be dispatched on its own.
    SseParser p;
    EXPECT_EQ(parse_pieces(p, {"data: a\r", "\ndata: b\r", "\n\r", "\n"}), Events{sse_ev("a\nb")});
}

TEST(SseParserLineEnds, CrCrIsTwoLineEnds) {
    SseParser p;
    EXPECT_EQ(parse_pieces(p, {"data: a\r", "\r", "data: b\r\r"}),
              (Events{sse_ev("a"), sse_ev("b")}));
}

TEST(SseParserLineEnds, LaterLfIsNotSwallowedByAnEarlierCr) {
    // "\r" then "\n" arriving later pairs only if nothing came between them.
    SseParser p;
    EXPECT_EQ(parse_pieces(p, {"data: a\rdata: b", "\n", "\n"}), Events{sse_ev("a\nb")});
}

// --- byte order mark ------------------------------------------------------------

TEST(SseParserBom, LeadingBomIsStripped) {
    EXPECT_EQ(parse_whole("\xEF\xBB\xBF"
                          "data: x\n\n"),
              Events{sse_ev("x")});
}

TEST(SseParserBom, BomSplitAcrossChunksIsStripped) {
    SseParser p;
    EXPECT_EQ(parse_pieces(p, {"\xEF", "", "\xBB",
                               "\xBF"
                               "da",
                               "ta: x\n\n"}),
              Events{sse_ev("x")});
}

TEST(SseParserBom, OnlyOneBomIsStripped) {
    // The second BOM becomes part of the field name, which is then unknown.
    EXPECT_TRUE(parse_whole("\xEF\xBB\xBF\xEF\xBB\xBF"
                            "data: x\n\n")
                    .empty());
}

TEST(SseParserBom, BomLaterInTheStreamIsData) {
    EXPECT_EQ(parse_whole("data: \xEF\xBB\xBFx\n\n"), Events{sse_ev("\xEF\xBB\xBFx")});
    SseParser p;
    EXPECT_EQ(parse_pieces(p, {"data: a\n\n",
                               "\xEF\xBB\xBF"
                               "data: b\n\n"}),
              Events{sse_ev("a")});
}

TEST(SseParserBom, PartialBomBytesAreKeptAsData) {
    // A stream that merely starts like a BOM keeps those bytes: here they make the
    // first field name unknown. Dropping them would wrongly dispatch "x".
    EXPECT_TRUE(parse_whole("\xEF\xBB"
                            "data: x\n\n")
                    .empty());
    SseParser p;
    EXPECT_TRUE(parse_pieces(p, {"\xEF", "\xBB", "data: x\n\n"}).empty());
    // And a first byte that cannot start a BOM is an ordinary byte.
    SseParser q;
    EXPECT_EQ(parse_pieces(q, {"d", "ata: y\n\n"}), Events{sse_ev("y")});
    SseParser r;
    EXPECT_EQ(parse_pieces(r, {"\xEF", "\n", "data: z\n\n"}), Events{sse_ev("z")});
}

// --- chunking invariance --------------------------------------------------------

// A stream assembled from lines that exercise every rule above, with random line ends.
std::string random_stream(test::Rng& rng) {
    static const std::vector<std::string> lines = {
        "data: plain",
        "data:nospace",
        "data:  two spaces",
        "data",
        "data:",
        "data: a:b",
        "event: update",
        "event",
        "id: 42",
        "id",
        "id: x y",
        "retry: 100",
        "retry: 1x",
        ": comment",
        ":",
        "unknown: v",
        "data: \xC3\xA9\xF0\x9F\x98\x80",
        "",
        "",
        "",
        "data: \xEF\xBB\xBF",
        "id: a\0b"s,
    };
    static const std::vector<std::string> ends = {"\n", "\r", "\r\n"};
    std::string s;
    if (rng.chance(0.3)) s += "\xEF\xBB\xBF";
    size_t n = rng.between(0, 40);
    for (size_t i = 0; i < n; ++i)
        s += rng.pick(lines) + rng.pick(ends);
    return s;
}

TEST(SseParserChunking, AnyChunkingGivesTheSameEvents) {
    RINGCAST_SEEDED_RNG(rng);
    size_t dispatched = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string stream = random_stream(rng);
        SseParser whole;
        Events want = parse_pieces(whole, {stream});
        dispatched += want.size();
        SseParser chunked;
        Events got = parse_pieces(chunked, test::random_chunks(stream, rng, 16));
        ASSERT_EQ(got, want) << "round " << round;
        ASSERT_EQ(chunked.last_event_id(), whole.last_event_id()) << "round " << round;
        ASSERT_EQ(chunked.retry_ms(), whole.retry_ms()) << "round " << round;
        ASSERT_EQ(chunked.comments(), whole.comments()) << "round " << round;
    }
    EXPECT_GT(dispatched, 1000u) << "the generator should produce plenty of events";
}

TEST(SseParserChunking, ByteAtATimeEqualsWhole) {
    const std::string stream =
        "\xEF\xBB\xBF: hi\r\nid: 1\r\nevent: e\r\ndata: a\r\ndata:b\r\n\r\n"
        "data: c\rdata: d\r\rid\ndata\n\n";
    SseParser p;
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < stream.size(); ++i)
        bytes.push_back(std::string_view(stream).substr(i, 1));
    Events want{sse_ev("a\nb", "e", "1"), sse_ev("c\nd", "message", "1"),
                sse_ev("", "message", "")};
    EXPECT_EQ(parse_pieces(p, bytes), want);
    EXPECT_EQ(parse_whole(stream), want);
    EXPECT_EQ(p.comments(), 1u);
}

}  // namespace
}  // namespace ringcast

// LineReader: lines split at "\n" whatever the read boundaries, "\r\n" accepted,
// the limit applied to the line without its end, a stop resumed exactly where
// it stopped (the publish server's backpressure path), and an unterminated last
// line handed over at the end of the input.
#include "publish/line_reader.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/random.h"

namespace ringcast {
namespace {

struct Collected {
    std::vector<std::string> lines;
    std::vector<uint64_t> numbers;
};

bool feed_all(LineReader& r, std::string_view bytes, Collected* out) {
    return r.feed(bytes.data(), bytes.size(), [&](std::string_view line, uint64_t n) {
        out->lines.emplace_back(line);
        out->numbers.push_back(n);
        return true;
    });
}

TEST(LineReader, SplitsAtNewlinesAndDropsACarriageReturnBeforeOne) {
    LineReader r(100);
    Collected got;
    ASSERT_TRUE(feed_all(r, "a\nbc\r\n\n\r\nd\re\n", &got));
    EXPECT_EQ(got.lines, (std::vector<std::string>{"a", "bc", "", "", "d\re"}));
    EXPECT_EQ(got.numbers, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(r.buffered(), 0u);
}

TEST(LineReader, AnyChunkingGivesTheSameLines) {
    RINGCAST_SEEDED_RNG(rng);
    std::string stream;
    std::vector<std::string> want;
    for (int i = 0; i < 300; ++i) {
        std::string line(size_t(rng.below(40)), char('a' + i % 26));
        want.push_back(line);
        stream += line + (rng.chance(0.3) ? "\r\n" : "\n");
    }
    for (int round = 0; round < 50; ++round) {
        LineReader r(64);
        Collected got;
        for (std::string_view piece : test::random_chunks(stream, rng))
            ASSERT_TRUE(feed_all(r, piece, &got));
        ASSERT_EQ(got.lines, want);
        EXPECT_EQ(got.numbers.back(), want.size());
    }
}

TEST(LineReader, ALineOfExactlyTheLimitPassesWithEitherEnd) {
    for (const char* end : {"\n", "\r\n"}) {
        LineReader r(8);
        Collected got;
        ASSERT_TRUE(feed_all(r, std::string("12345678") + end, &got)) << end[0];
        ASSERT_EQ(got.lines.size(), 1u);
        EXPECT_EQ(got.lines[0], "12345678");
    }
    // The same across reads, where the line is assembled in the carry buffer.
    LineReader r(8);
    Collected got;
    ASSERT_TRUE(feed_all(r, "1234", &got));
    ASSERT_TRUE(feed_all(r, "5678\r", &got));
    ASSERT_TRUE(feed_all(r, "\n", &got));
    ASSERT_EQ(got.lines, std::vector<std::string>{"12345678"});
}

TEST(LineReader, ALineOverTheLimitIsRefusedWithOrWithoutItsEnd) {
    {
        LineReader r(8);
        Collected got;
        EXPECT_FALSE(feed_all(r, "123456789\n", &got));
        EXPECT_TRUE(r.overflowed());
        EXPECT_TRUE(got.lines.empty());
        EXPECT_FALSE(feed_all(r, "ok\n", &got)) << "nothing is read after an overflow";
    }
    {
        LineReader r(8);
        Collected got;
        EXPECT_FALSE(feed_all(r, "123456789\r\n", &got));
    }
    {
        // Refused before the end arrives: the reader never buffers more than
        // the limit (plus a possible "\r").
        LineReader r(8);
        Collected got;
        ASSERT_TRUE(feed_all(r, "12345", &got));
        EXPECT_FALSE(feed_all(r, "67890", &got));
        EXPECT_EQ(r.buffered(), 0u);
    }
    {
        // Lines before the long one are still served.
        LineReader r(8);
        Collected got;
        EXPECT_FALSE(feed_all(r, "a\nb\n0123456789", &got));
        EXPECT_EQ(got.lines, (std::vector<std::string>{"a", "b"}));
        EXPECT_EQ(r.lines(), 2u);
    }
}

TEST(LineReader, AStopKeepsTheRestAndFeedingItAgainResumes) {
    LineReader r(100);
    std::vector<std::string> got;
    int budget = 2;
    auto take = [&](std::string_view line, uint64_t) {
        got.emplace_back(line);
        return --budget > 0;
    };
    std::string first = "one\ntwo\nthree\nfo";
    ASSERT_TRUE(r.feed(first.data(), first.size(), take));
    EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
    // Resume: what was kept, then the next read.
    std::string pending = r.take_carry() + "ur\nfive\n";
    budget = 100;
    ASSERT_TRUE(r.feed(pending.data(), pending.size(), take));
    EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three", "four", "five"}));
    EXPECT_EQ(r.lines(), 5u);
}

bool finish_all(LineReader& r, Collected* out) {
    return r.finish([&](std::string_view line, uint64_t n) {
        out->lines.emplace_back(line);
        out->numbers.push_back(n);
        return true;
    });
}

// At the end of the input, a last line without its "\n" is a line like the
// others: numbered, "\r" dropped, whatever the read boundaries.
TEST(LineReader, FinishHandsOverAnUnterminatedLastLine) {
    for (std::string_view end : {"", "\r"}) {
        LineReader r(100);
        Collected got;
        ASSERT_TRUE(feed_all(r, "a\nb", &got));
        ASSERT_TRUE(feed_all(r, "c", &got));
        ASSERT_TRUE(feed_all(r, end, &got));
        EXPECT_EQ(got.lines, std::vector<std::string>{"a"});
        ASSERT_TRUE(finish_all(r, &got));
        EXPECT_EQ(got.lines, (std::vector<std::string>{"a", "bc"}));
        EXPECT_EQ(got.numbers, (std::vector<uint64_t>{1, 2}));
        EXPECT_EQ(r.buffered(), 0u);
    }
}

TEST(LineReader, FinishWithNothingLeftHandsOverNothing) {
    LineReader r(100);
    Collected got;
    ASSERT_TRUE(finish_all(r, &got)) << "empty input";
    ASSERT_TRUE(feed_all(r, "a\n\n", &got));
    ASSERT_TRUE(finish_all(r, &got));
    ASSERT_TRUE(finish_all(r, &got)) << "twice";
    EXPECT_EQ(got.lines, (std::vector<std::string>{"a", ""}));
    EXPECT_EQ(r.lines(), 2u);
}

// The limit applies as to a terminated line: exactly max_line passes (with a
// "\r" after it too), one byte more is refused.
TEST(LineReader, FinishAppliesTheLimit) {
    for (std::string_view end : {"", "\r"}) {
        LineReader r(8);
        Collected got;
        ASSERT_TRUE(feed_all(r, "x\n12345678" + std::string(end), &got));
        ASSERT_TRUE(finish_all(r, &got));
        EXPECT_EQ(got.lines, (std::vector<std::string>{"x", "12345678"}));
    }
    LineReader r(8);
    Collected got;
    ASSERT_TRUE(feed_all(r, "x\n123456789", &got))
        << "one over: refused only once it must be a line";
    EXPECT_FALSE(finish_all(r, &got));
    EXPECT_TRUE(r.overflowed());
    EXPECT_EQ(r.lines(), 1u) << "the refused line is the second";
    EXPECT_FALSE(finish_all(r, &got)) << "nothing is read after an overflow";
}

// A stop inside finish() keeps the rest, the last line now terminated: feeding
// it resumes, and a later finish() adds nothing (the publish server's
// backpressure path at the peer's EOF).
TEST(LineReader, AStopDuringFinishResumesWithoutAnExtraLine) {
    LineReader r(100);
    std::vector<std::string> got;
    int budget = 2;
    auto take = [&](std::string_view line, uint64_t) {
        got.emplace_back(line);
        return --budget > 0;
    };
    // A stop in feed() kept whole lines and the unterminated tail.
    std::string first = "one\ntwo\nthree\nfour";
    ASSERT_TRUE(r.feed(first.data(), first.size(), take));
    EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
    budget = 1;
    ASSERT_TRUE(r.finish(take));
    EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three"}));
    std::string pending = r.take_carry();
    EXPECT_EQ(pending, "four\n");
    budget = 100;
    ASSERT_TRUE(r.feed(pending.data(), pending.size(), take));
    ASSERT_TRUE(r.finish(take));
    EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three", "four"}));
    EXPECT_EQ(r.lines(), 4u);
}

}  // namespace
}  // namespace ringcast

// RequestParser: what a connection sees of one HTTP/1.x request at a time, and
// the limits that map hostile input to 400/413/414/431 before it is buffered.
#include "http/request_parser.h"

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "support/random.h"

namespace ringcast {
namespace {

using Result = RequestParser::Result;

struct Fed {
    Result result;
    size_t consumed;
};

Fed feed(RequestParser& p, std::string_view s) {
    size_t consumed = 12345;
    Result r = p.feed(s.data(), s.size(), &consumed);
    return {r, consumed};
}

// Feeds one byte per call, as a slow client would send it; returns the result
// of the call that ended the request (or the last one).
Fed feed_bytewise(RequestParser& p, std::string_view s, size_t* calls = nullptr) {
    Fed last{Result::need_more, 0};
    size_t i = 0;
    for (; i < s.size(); ++i) {
        last = feed(p, s.substr(i, 1));
        if (last.result != Result::need_more) break;
        EXPECT_EQ(last.consumed, 1u) << "need_more consumes everything it was given";
    }
    if (calls) *calls = i + 1;
    return last;
}

const std::string kGet =
    "GET /api/sse/stream?channels=a,b&x=%20 HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "X-Mixed-CASE: Some Value\r\n"
    "Accept: text/event-stream\r\n"
    "\r\n";

void expect_the_get(const HttpRequest& r) {
    EXPECT_EQ(r.method, HTTP_GET);
    EXPECT_STREQ(r.method_name(), "GET");
    EXPECT_EQ(r.target, "/api/sse/stream?channels=a,b&x=%20");
    EXPECT_EQ(r.path(), "/api/sse/stream");
    EXPECT_EQ(r.query(), "channels=a,b&x=%20");
    EXPECT_EQ(r.version_major, 1);
    EXPECT_EQ(r.version_minor, 1);
    EXPECT_TRUE(r.keep_alive);
    ASSERT_EQ(r.headers.size(), 3u);
    EXPECT_EQ(r.headers[1].first, "x-mixed-case") << "names are lower-cased";
    EXPECT_EQ(r.headers[1].second, "Some Value") << "values are kept as sent";
    EXPECT_EQ(r.header("host"), "example.com");
    EXPECT_EQ(r.header("accept"), "text/event-stream");
    EXPECT_TRUE(r.has_header("x-mixed-case"));
    EXPECT_FALSE(r.has_header("content-length"));
    EXPECT_EQ(r.header("missing"), "");
    EXPECT_EQ(r.body, "");
}

TEST(RequestParser, SimpleGet) {
    RequestParser p(HttpLimits{});
    EXPECT_FALSE(p.started());
    Fed f = feed(p, kGet);
    ASSERT_EQ(f.result, Result::complete) << p.error_message();
    EXPECT_EQ(f.consumed, kGet.size());
    EXPECT_TRUE(p.started());
    EXPECT_TRUE(p.headers_complete());
    expect_the_get(p.request());
}

TEST(RequestParser, PathAndQueryWithoutQuestionMark) {
    RequestParser p(HttpLimits{});
    ASSERT_EQ(feed(p, "GET /plain HTTP/1.1\r\n\r\n").result, Result::complete);
    EXPECT_EQ(p.request().path(), "/plain");
    EXPECT_EQ(p.request().query(), "");
}

TEST(RequestParser, AbsoluteFormTargetIsReducedToOriginForm) {
    // RFC 9112 3.2.2: proxies send "GET http://host/path HTTP/1.1"; the server
    // must route it like "/path".
    const std::tuple<const char*, const char*, const char*> cases[] = {
        {"http://example.com:8080/api/sse?channels=a", "/api/sse", "channels=a"},
        {"https://example.com/api/publish", "/api/publish", ""},
        {"http://example.com", "/", ""},
        {"http://example.com?x=1", "/", "x=1"},
        {"/api/sse?next=http://elsewhere/x", "/api/sse", "next=http://elsewhere/x"},
    };
    for (auto [target, path, query] : cases) {
        RequestParser p(HttpLimits{});
        ASSERT_EQ(feed(p, std::string("GET ") + target + " HTTP/1.1\r\n\r\n").result,
                  Result::complete)
            << target;
        EXPECT_EQ(p.request().target, target) << "the target itself is kept as sent";
        EXPECT_EQ(p.request().path(), path) << target;
        EXPECT_EQ(p.request().query(), query) << target;
    }
}

TEST(RequestParser, PostWithBody) {
    RequestParser p(HttpLimits{});
    std::string req = "POST /api/publish HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world";
    Fed f = feed(p, req);
    ASSERT_EQ(f.result, Result::complete);
    EXPECT_EQ(f.consumed, req.size());
    EXPECT_EQ(p.request().method, HTTP_POST);
    EXPECT_EQ(p.request().body, "hello world");
}

TEST(RequestParser, ByteAtATimeGivesTheSameRequest) {
    RequestParser p(HttpLimits{});
    size_t calls = 0;
    Fed f = feed_bytewise(p, kGet, &calls);
    ASSERT_EQ(f.result, Result::complete);
    EXPECT_EQ(calls, kGet.size()) << "complete exactly at the last byte";
    EXPECT_EQ(f.consumed, 1u);
    expect_the_get(p.request());

    RequestParser q(HttpLimits{});
    std::string post =
        "POST /api/publish HTTP/1.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 13\r\n\r\n{\"a\": [1, 2]}";
    ASSERT_EQ(feed_bytewise(q, post).result, Result::complete);
    EXPECT_EQ(q.request().body, "{\"a\": [1, 2]}");
    EXPECT_EQ(q.request().header("content-type"), "application/json");
}

TEST(RequestParser, RandomChunkingGivesTheSameRequest) {
    RINGCAST_SEEDED_RNG(rng);
    const std::string req =
        "POST /api/publish?x=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-B: two words\r\n"
        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    for (int round = 0; round < 300; ++round) {
        RequestParser p(HttpLimits{});
        auto pieces = test::random_chunks(req, rng, 12);
        Fed f{Result::need_more, 0};
        size_t total = 0;
        for (size_t i = 0; i < pieces.size(); ++i) {
            f = feed(p, pieces[i]);
            total += f.consumed;
            if (f.result != Result::need_more) {
                ASSERT_EQ(i, pieces.size() - 1) << "completed before the last piece";
                break;
            }
        }
        ASSERT_EQ(f.result, Result::complete) << "round " << round;
        EXPECT_EQ(total, req.size());
        EXPECT_EQ(p.request().body, "hello world");
        EXPECT_EQ(p.request().header("x-b"), "two words");
        EXPECT_EQ(p.request().target, "/api/publish?x=1");
        EXPECT_EQ(p.request().headers.size(), 4u);
    }
}

TEST(RequestParser, PipelinedRequestsOneAtATime) {
    const std::string r1 = "GET /one HTTP/1.1\r\nX-N: 1\r\n\r\n";
    const std::string r2 = "POST /two HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    const std::string r3 = "GET /three HTTP/1.1\r\nConnection: close\r\n\r\n";
    const std::string all = r1 + r2 + r3;
    RequestParser p(HttpLimits{});
    size_t off = 0;

    Fed f = feed(p, std::string_view(all).substr(off));
    ASSERT_EQ(f.result, Result::complete);
    EXPECT_EQ(f.consumed, r1.size());
    EXPECT_EQ(p.request().target, "/one");
    EXPECT_EQ(p.request().header("x-n"), "1");
    // Until next(), the parser stays on this request.
    Fed again = feed(p, std::string_view(all).substr(off + f.consumed));
    EXPECT_EQ(again.result, Result::complete);
    EXPECT_EQ(again.consumed, 0u);
    off += f.consumed;
    p.next();
    EXPECT_FALSE(p.started());
    EXPECT_FALSE(p.headers_complete());

    f = feed(p, std::string_view(all).substr(off));
    ASSERT_EQ(f.result, Result::complete) << p.error_message();
    EXPECT_EQ(f.consumed, r2.size());
    EXPECT_EQ(p.request().target, "/two");
    EXPECT_EQ(p.request().body, "abc");
    EXPECT_FALSE(p.request().has_header("x-n")) << "headers do not leak between requests";
    off += f.consumed;
    p.next();

    f = feed(p, std::string_view(all).substr(off));
    ASSERT_EQ(f.result, Result::complete);
    EXPECT_EQ(f.consumed, r3.size());
    EXPECT_EQ(p.request().target, "/three");
    EXPECT_FALSE(p.request().keep_alive);
    EXPECT_EQ(p.request().body, "");
}

TEST(RequestParser, PipelinedRequestsByteAtATime) {
    const std::string r1 = "GET /a HTTP/1.1\r\n\r\n";
    const std::string r2 = "GET /b HTTP/1.1\r\n\r\n";
    RequestParser p(HttpLimits{});
    ASSERT_EQ(feed_bytewise(p, r1).result, Result::complete);
    EXPECT_EQ(p.request().target, "/a");
    p.next();
    ASSERT_EQ(feed_bytewise(p, r2).result, Result::complete);
    EXPECT_EQ(p.request().target, "/b");
}

TEST(RequestParser, KeepAlive) {
    auto keep_alive = [](const std::string& req) {
        RequestParser p(HttpLimits{});
        Fed f = feed(p, req);
        EXPECT_EQ(f.result, Result::complete) << req;
        return p.request().keep_alive;
    };
    EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\n\r\n")) << "HTTP/1.1 defaults to keep-alive";
    EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
    EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n"));
    EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n")) << "HTTP/1.0 defaults to close";
    EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST(RequestParser, Http10Version) {
    RequestParser p(HttpLimits{});
    ASSERT_EQ(feed(p, "GET / HTTP/1.0\r\n\r\n").result, Result::complete);
    EXPECT_EQ(p.request().version_major, 1);
    EXPECT_EQ(p.request().version_minor, 0);
}

TEST(RequestParser, HeaderWithEmptyValue) {
    RequestParser p(HttpLimits{});
    ASSERT_EQ(feed(p, "GET / HTTP/1.1\r\nX-Empty:\r\nX-Blank:   \r\nX-After: v\r\n\r\n").result,
              Result::complete);
    const HttpRequest& r = p.request();
    ASSERT_EQ(r.headers.size(), 3u);
    EXPECT_TRUE(r.has_header("x-empty"));
    EXPECT_EQ(r.header("x-empty"), "");
    EXPECT_TRUE(r.has_header("x-blank"));
    EXPECT_EQ(r.header("x-blank"), "");
    EXPECT_EQ(r.header("x-after"), "v") << "an empty value must not swallow the next header";
    EXPECT_EQ(r.headers[2].first, "x-after");
}

TEST(RequestParser, RepeatedHeaderKeepsBothFirstWins) {
    RequestParser p(HttpLimits{});
    ASSERT_EQ(feed(p, "GET / HTTP/1.1\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n").result, Result::complete);
    EXPECT_EQ(p.request().headers.size(), 2u);
    EXPECT_EQ(p.request().header("x-dup"), "1");
}

TEST(RequestParser, HeadersCompleteBeforeTheBody) {
    // The moment to answer "Expect: 100-continue": headers parsed, body pending.
    RequestParser p(HttpLimits{});
    std::string head =
        "POST /api/publish HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
    EXPECT_FALSE(p.headers_complete());
    Fed f = feed(p, head.substr(0, head.size() - 2));
    EXPECT_EQ(f.result, Result::need_more);
    EXPECT_FALSE(p.headers_complete());
    EXPECT_TRUE(p.started());
    f = feed(p, "\r\n");
    EXPECT_EQ(f.result, Result::need_more);
    EXPECT_TRUE(p.headers_complete());
    EXPECT_EQ(p.request().header("expect"), "100-continue");
    f = feed(p, "da");
    EXPECT_EQ(f.result, Result::need_more);
    f = feed(p, "ta");
    ASSERT_EQ(f.result, Result::complete);
    EXPECT_EQ(p.request().body, "data");
    p.next();
    EXPECT_FALSE(p.headers_complete());
}

TEST(RequestParser, StartedAfterTheFirstByte) {
    RequestParser p(HttpLimits{});
    EXPECT_FALSE(p.started());
    EXPECT_EQ(feed(p, "G").result, Result::need_more);
    EXPECT_TRUE(p.started());
}

// --- limits -------------------------------------------------------------------

HttpLimits small_limits() {
    HttpLimits l;
    l.max_target = 64;
    l.max_header_bytes = 256;
    l.max_headers = 4;
    l.max_body = 10;
    return l;
}

TEST(RequestParserLimits, TargetTooLongIs414) {
    std::string at_limit = "/" + std::string(63, 'a');
    RequestParser ok(small_limits());
    ASSERT_EQ(feed(ok, "GET " + at_limit + " HTTP/1.1\r\n\r\n").result, Result::complete);
    EXPECT_EQ(ok.request().target, at_limit);

    std::string over = at_limit + "b";
    RequestParser p(small_limits());
    EXPECT_EQ(feed(p, "GET " + over + " HTTP/1.1\r\n\r\n").result, Result::error);
    EXPECT_EQ(p.error_status(), 414);
    EXPECT_NE(p.error_message().find("64"), std::string::npos) << p.error_message();

    // Also when it trickles in, and before the request line is even finished.
    RequestParser slow(small_limits());
    EXPECT_EQ(feed_bytewise(slow, "GET " + over + std::string(1000, 'c')).result, Result::error);
    EXPECT_EQ(slow.error_status(), 414);
    EXPECT_LE(slow.request().target.size(), 64u) << "nothing beyond the limit is buffered";
}

TEST(RequestParserLimits, HeaderBytesOverTheLimitIs431) {
    // Names and values count; 256 in total is allowed, 257 is not.
    auto request_with_value = [](size_t value_len) {
        return "GET / HTTP/1.1\r\nX-Big: " + std::string(value_len, 'v') + "\r\n\r\n";
    };
    RequestParser ok(small_limits());
    EXPECT_EQ(feed(ok, request_with_value(256 - 5)).result, Result::complete) << ok.error_message();
    RequestParser p(small_limits());
    EXPECT_EQ(feed(p, request_with_value(256 - 4)).result, Result::error);
    EXPECT_EQ(p.error_status(), 431);

    // Many small headers add up, also byte by byte.
    std::string many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 3; ++i)
        many += "X-H" + std::to_string(i) + ": " + std::string(100, 'x') + "\r\n";
    many += "\r\n";
    RequestParser slow(small_limits());
    EXPECT_EQ(feed_bytewise(slow, many).result, Result::error);
    EXPECT_EQ(slow.error_status(), 431);
}

TEST(RequestParserLimits, TooManyHeadersIs431) {
    auto request_with_headers = [](int n) {
        std::string r = "GET / HTTP/1.1\r\n";
        for (int i = 0; i < n; ++i)
            r += "H" + std::to_string(i) + ": v\r\n";
        return r + "\r\n";
    };
    RequestParser ok(small_limits());
    EXPECT_EQ(feed(ok, request_with_headers(4)).result, Result::complete);
    EXPECT_EQ(ok.request().headers.size(), 4u);
    RequestParser p(small_limits());
    EXPECT_EQ(feed(p, request_with_headers(5)).result, Result::error);
    EXPECT_EQ(p.error_status(), 431);
    EXPECT_NE(p.error_message().find("4"), std::string::npos) << p.error_message();
    RequestParser slow(small_limits());
    EXPECT_EQ(feed_bytewise(slow, request_with_headers(5)).result, Result::error);
    EXPECT_EQ(slow.error_status(), 431);
}

TEST(RequestParserLimits, OneFieldTooManyIsTheSameErrorHoweverItsNameArrives) {
    // Four fields (the limit) filling the bytes almost to 256, then a fifth
    // whose long name would cross it: "too many fields" whether the name comes
    // whole or a byte at a time (it was "too many bytes" whole, found by the
    // http_request fuzz target).
    std::string r = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 4; ++i)
        r += "H" + std::to_string(i) + ": " + std::string(55, 'v') + "\r\n";
    r += "X-" + std::string(40, 'n') + ": v\r\n\r\n";
    RequestParser whole(small_limits());
    EXPECT_EQ(feed(whole, r).result, Result::error);
    RequestParser slow(small_limits());
    EXPECT_EQ(feed_bytewise(slow, r).result, Result::error);
    EXPECT_EQ(whole.error_status(), 431);
    EXPECT_EQ(whole.error_message(), slow.error_message());
    EXPECT_EQ(whole.error_message().find("more than 4 header fields"), 0u) << whole.error_message();
}

TEST(RequestParserLimits, AnnouncedBodyOverTheLimitIs413BeforeTheBodyArrives) {
    RequestParser ok(small_limits());
    EXPECT_EQ(feed(ok, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789").result,
              Result::complete);

    RequestParser p(small_limits());
    Fed f = feed(p, "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n");  // no body bytes yet
    EXPECT_EQ(f.result, Result::error);
    EXPECT_EQ(p.error_status(), 413);
    EXPECT_TRUE(p.headers_complete());
    EXPECT_NE(p.error_message().find("11"), std::string::npos) << p.error_message();

    RequestParser huge(small_limits());
    EXPECT_EQ(feed(huge, "POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n").result,
              Result::error);
    EXPECT_EQ(huge.error_status(), 413);
}

TEST(RequestParserLimits, ChunkedBodyOverTheLimitIs413) {
    const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    RequestParser ok(small_limits());
    ASSERT_EQ(feed(ok, head + "4\r\nabcd\r\n6\r\nefghij\r\n0\r\n\r\n").result, Result::complete);
    EXPECT_EQ(ok.request().body, "abcdefghij");

    RequestParser p(small_limits());
    Fed f = feed(p, head + "6\r\nabcdef\r\n");
    EXPECT_EQ(f.result, Result::need_more);
    f = feed(p, "5\r\nghijk\r\n0\r\n\r\n");
    EXPECT_EQ(f.result, Result::error);
    EXPECT_EQ(p.error_status(), 413);
    EXPECT_LE(p.request().body.size(), 10u);

    RequestParser slow(small_limits());
    EXPECT_EQ(feed_bytewise(slow, head + "b\r\n0123456789a\r\n0\r\n\r\n").result, Result::error);
    EXPECT_EQ(slow.error_status(), 413);
}

TEST(RequestParserLimits, GarbageIs400AndStaysAnError) {
    for (std::string_view garbage :
         {"NOT HTTP AT ALL\r\n\r\n", "GET / HTTP/1.1\r\nBad Header Line\r\n\r\n",
          "\x01\x02\x03\r\n", "GET / HTTP/9.9\r\n\r\n",
          "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
          "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
        RequestParser p(HttpLimits{});
        EXPECT_EQ(feed(p, garbage).result, Result::error) << garbage;
        EXPECT_EQ(p.error_status(), 400) << garbage;
        EXPECT_EQ(p.error_message().rfind("malformed HTTP request", 0), 0u) << p.error_message();
        Fed again = feed(p, "GET / HTTP/1.1\r\n\r\n");
        EXPECT_EQ(again.result, Result::error) << "errors are final";
        EXPECT_EQ(again.consumed, 0u);
    }
}

TEST(RequestParserLimits, ErrorStatusIsNotOverwritten) {
    // A 431 stays 431 although llhttp reports a generic callback error.
    RequestParser p(small_limits());
    feed(p, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n");
    EXPECT_EQ(p.error_status(), 431);
    feed(p, "more");
    EXPECT_EQ(p.error_status(), 431);
}

TEST(RequestParser, UpgradeRequestCompletesWithoutKeepAlive) {
    RequestParser p(HttpLimits{});
    std::string req = "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    Fed f = feed(p, req + "binary-after-upgrade");
    ASSERT_EQ(f.result, Result::complete);
    EXPECT_EQ(f.consumed, req.size());
    EXPECT_FALSE(p.request().keep_alive) << "we do not switch protocols, so the connection ends";
}

}  // namespace
}  // namespace ringcast

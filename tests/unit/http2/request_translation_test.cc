// H2Request: an HTTP/2 request's fields and DATA as the HTTP/1.1 bytes the
// HTTP layer parses, and what RFC 9113 §8.2 forbids refused.
#include "http2/request_translation.h"

#include <gtest/gtest.h>

namespace ringcast {
namespace {

H2Request get(std::string_view path) {
    H2Request r(16384);
    r.add(":method", "GET");
    r.add(":scheme", "http");
    r.add(":authority", "example.org:8080");
    r.add(":path", path);
    return r;
}

TEST(H2Request, GetBecomesARequestLineAndHost) {
    H2Request r = get("/events?channels=a");
    r.add("accept", "text/event-stream");
    r.add("last-event-id", "42");
    std::string out;
    ASSERT_TRUE(r.head(true, &out));
    EXPECT_EQ(out,
              "GET /events?channels=a HTTP/1.1\r\nHost: example.org:8080\r\n"
              "accept: text/event-stream\r\nlast-event-id: 42\r\n\r\n");
}

TEST(H2Request, BodyWithContentLengthPassesAsItCame) {
    H2Request r(16384);
    r.add(":method", "POST");
    r.add(":scheme", "http");
    r.add(":path", "/api/publish");
    r.add("content-length", "5");
    std::string out;
    ASSERT_TRUE(r.head(false, &out));
    EXPECT_EQ(out, "POST /api/publish HTTP/1.1\r\ncontent-length: 5\r\n\r\n");
    out.clear();
    r.body("hel", &out);
    r.body("lo", &out);
    r.end(&out);
    EXPECT_EQ(out, "hello");
}

TEST(H2Request, BodyWithoutContentLengthIsChunked) {
    H2Request r(16384);
    r.add(":method", "POST");
    r.add(":scheme", "http");
    r.add(":path", "/api/publish");
    std::string out;
    ASSERT_TRUE(r.head(false, &out));
    EXPECT_EQ(out, "POST /api/publish HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    out.clear();
    r.body(std::string(17, 'x'), &out);
    r.body("", &out);
    r.end(&out);
    EXPECT_EQ(out, "11\r\n" + std::string(17, 'x') + "\r\n0\r\n\r\n");
}

TEST(H2Request, PostEndingWithItsHeadersHasAnEmptyBody) {
    H2Request r(16384);
    r.add(":method", "POST");
    r.add(":scheme", "http");
    r.add(":path", "/api/publish");
    std::string out;
    ASSERT_TRUE(r.head(true, &out));
    EXPECT_EQ(out, "POST /api/publish HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
}

TEST(H2Request, CookieCrumbsAreJoinedAndAuthorityWinsOverHost) {
    H2Request r = get("/");
    r.add("host", "other.example");
    r.add("cookie", "a=1");
    r.add("cookie", "b=2");
    std::string out;
    ASSERT_TRUE(r.head(true, &out));
    EXPECT_EQ(out, "GET / HTTP/1.1\r\nHost: example.org:8080\r\nCookie: a=1; b=2\r\n\r\n");
}

TEST(H2Request, HostFieldStandsInForAMissingAuthority) {
    H2Request r(16384);
    r.add(":method", "GET");
    r.add(":scheme", "http");
    r.add(":path", "/");
    r.add("host", "h.example");
    std::string out;
    ASSERT_TRUE(r.head(true, &out));
    EXPECT_EQ(out, "GET / HTTP/1.1\r\nHost: h.example\r\n\r\n");
}

TEST(H2Request, ConnectionSpecificFieldsAreRefused) {
    for (const char* name :
         {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}) {
        H2Request r = get("/");
        r.add(name, "x");
        std::string out;
        EXPECT_FALSE(r.head(true, &out)) << name;
        EXPECT_EQ(r.error(), H2Request::Error::malformed) << name;
        EXPECT_NE(r.error_text().find("8.2.2"), std::string::npos) << r.error_text();
    }
    H2Request te = get("/");
    te.add("te", "trailers");
    std::string out;
    EXPECT_TRUE(te.head(true, &out)) << "te: trailers is allowed";
    H2Request gzip = get("/");
    gzip.add("te", "gzip");
    EXPECT_FALSE(gzip.head(true, &out));
}

TEST(H2Request, MalformedPseudoHeadersAreRefused) {
    auto refused = [](auto&& build) {
        H2Request r(16384);
        build(r);
        std::string out;
        return !r.head(true, &out) && r.error() == H2Request::Error::malformed;
    };
    EXPECT_TRUE(refused([](H2Request& r) {  // no :path
        r.add(":method", "GET");
        r.add(":scheme", "http");
    }));
    EXPECT_TRUE(refused([](H2Request& r) {  // repeated
        r.add(":method", "GET");
        r.add(":method", "GET");
        r.add(":scheme", "http");
        r.add(":path", "/");
    }));
    EXPECT_TRUE(refused([](H2Request& r) {  // unknown
        r.add(":method", "GET");
        r.add(":scheme", "http");
        r.add(":path", "/");
        r.add(":protocol", "websocket");
    }));
    EXPECT_TRUE(refused([](H2Request& r) {  // after a regular field
        r.add(":method", "GET");
        r.add("accept", "*/*");
        r.add(":scheme", "http");
        r.add(":path", "/");
    }));
    EXPECT_TRUE(refused([](H2Request& r) {  // upper case
        r.add(":method", "GET");
        r.add(":scheme", "http");
        r.add(":path", "/");
        r.add("Accept", "*/*");
    }));
    EXPECT_TRUE(refused([](H2Request& r) {  // a line break smuggled into a value
        r.add(":method", "GET");
        r.add(":scheme", "http");
        r.add(":path", "/");
        r.add("x-a", "1\r\nx-b: 2");
    }));
    EXPECT_TRUE(refused([](H2Request& r) {  // CONNECT
        r.add(":method", "CONNECT");
        r.add(":authority", "example.org:443");
    }));
}

TEST(H2Request, HeaderListOverTheLimitIsTooLarge) {
    H2Request r(200);
    r.add(":method", "GET");
    r.add(":scheme", "http");
    r.add(":path", "/");
    r.add("x-big", std::string(150, 'v'));
    std::string out;
    EXPECT_FALSE(r.head(true, &out));
    EXPECT_EQ(r.error(), H2Request::Error::too_large);
}

}  // namespace
}  // namespace ringcast

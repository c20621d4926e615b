// ResponseHead: the HTTP/1.1 head the HTTP layer writes, read back for an
// HTTP/2 HEADERS frame, in pieces and bounded.
#include "http2/response_head.h"

#include <gtest/gtest.h>

namespace ringcast {
namespace {

TEST(ResponseHead, ReadsStatusFieldsAndContentLength) {
    ResponseHead h;
    const std::string bytes =
        "HTTP/1.1 201 Created\r\nServer: ringcast\r\nContent-Type: application/json\r\n"
        "Content-Length: 7\r\nConnection: keep-alive\r\nCache-Control: no-store\r\n\r\n"
        "{\"a\":1}";
    size_t used = 0;
    ASSERT_EQ(h.feed(bytes, &used), ResponseHead::State::done);
    EXPECT_EQ(bytes.substr(used), "{\"a\":1}");
    EXPECT_EQ(h.status(), 201);
    EXPECT_EQ(h.content_length(), 7);
    using Fields = std::vector<std::pair<std::string, std::string>>;
    EXPECT_EQ(h.fields(), (Fields{{"server", "ringcast"},
                                  {"content-type", "application/json"},
                                  {"content-length", "7"},
                                  {"cache-control", "no-store"}}))
        << "lower-case names, Connection dropped";
}

TEST(ResponseHead, HopByHopFieldsAreDropped) {
    ResponseHead h;
    size_t used = 0;
    ASSERT_EQ(h.feed("HTTP/1.1 200 OK\r\nConnection: close\r\nKeep-Alive: timeout=5\r\n"
                     "Transfer-Encoding: chunked\r\nUpgrade: h2c\r\nProxy-Connection: x\r\n"
                     "Content-Type: text/event-stream\r\n\r\n",
                     &used),
              ResponseHead::State::done);
    ASSERT_EQ(h.fields().size(), 1u);
    EXPECT_EQ(h.fields()[0].first, "content-type");
    EXPECT_EQ(h.content_length(), -1) << "an SSE stream: no length";
}

TEST(ResponseHead, AHeadInPiecesEvenAcrossTheBlankLine) {
    const std::string bytes = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    for (size_t cut = 1; cut < bytes.size() - 2; ++cut) {
        ResponseHead h;
        size_t used = 0;
        ASSERT_EQ(h.feed(std::string_view(bytes).substr(0, cut), &used),
                  ResponseHead::State::need_more)
            << cut;
        EXPECT_EQ(used, cut);
        ASSERT_EQ(h.feed(std::string_view(bytes).substr(cut), &used), ResponseHead::State::done)
            << cut;
        EXPECT_EQ(bytes.substr(cut + used), "ok") << cut;
        EXPECT_EQ(h.content_length(), 2);
    }
}

TEST(ResponseHead, InterimAnswerThenTheFinalOne) {
    ResponseHead h;
    const std::string bytes = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
    size_t used = 0;
    ASSERT_EQ(h.feed(bytes, &used), ResponseHead::State::done);
    EXPECT_EQ(h.status(), 100);
    h.reset();
    size_t more = 0;
    ASSERT_EQ(h.feed(std::string_view(bytes).substr(used), &more), ResponseHead::State::done);
    EXPECT_EQ(h.status(), 204);
    EXPECT_EQ(used + more, bytes.size());
}

TEST(ResponseHead, GarbageAndOversizedHeadsAreErrors) {
    size_t used = 0;
    ResponseHead bad;
    EXPECT_EQ(bad.feed("SSH-2.0-x\r\n\r\n", &used), ResponseHead::State::error);
    ResponseHead bad_length;
    EXPECT_EQ(bad_length.feed("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &used),
              ResponseHead::State::error);
    ResponseHead big;
    EXPECT_EQ(big.feed(std::string(ResponseHead::kMaxBytes + 10, 'x'), &used),
              ResponseHead::State::error);
}

}  // namespace
}  // namespace ringcast

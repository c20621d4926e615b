// The bodies of handover messages: what one daemon encodes the next decodes
// exactly, and a body cut short or padded is refused, never half-read.
#include "server/handover_codec.h"

#include <gtest/gtest.h>

namespace ringcast {
namespace {

HandedStream sample(int i) {
    HandedStream s;
    s.endpoint = "/api/sse/stream";
    s.channels = {"a", "b" + std::to_string(i)};
    s.user = i % 2 ? "" : "user" + std::to_string(i);
    s.authenticated = i % 2 == 0;
    s.subscriber = i == 2;
    s.roles = {"admin", "ops"};
    s.permissions = {"read"};
    s.connected_at_ms = 1'796'655'831'712 + i;
    s.ends_at_ms = i ? 1'796'655'900'000 : 0;
    s.ends_with_token = i == 4;
    s.client = i == 3 ? "203.0.113.7" : "";
    if (i == 1) s.limit_holds = {"ip:127.0.0.1@/api/sse", "user:u1"};
    return s;
}

TEST(HandoverCodec, StreamsRoundTrip) {
    std::vector<HandedStream> in;
    for (int i = 0; i < 5; ++i)
        in.push_back(sample(i));
    std::vector<HandedStream> out;
    ASSERT_TRUE(decode_streams(encode_streams(in), &out));
    ASSERT_EQ(out.size(), in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        EXPECT_EQ(out[i].endpoint, in[i].endpoint);
        EXPECT_EQ(out[i].channels, in[i].channels);
        EXPECT_EQ(out[i].user, in[i].user);
        EXPECT_EQ(out[i].authenticated, in[i].authenticated);
        EXPECT_EQ(out[i].subscriber, in[i].subscriber);
        EXPECT_EQ(out[i].roles, in[i].roles);
        EXPECT_EQ(out[i].permissions, in[i].permissions);
        EXPECT_EQ(out[i].connected_at_ms, in[i].connected_at_ms);
        EXPECT_EQ(out[i].ends_at_ms, in[i].ends_at_ms);
        EXPECT_EQ(out[i].ends_with_token, in[i].ends_with_token);
        EXPECT_EQ(out[i].client, in[i].client);
        EXPECT_EQ(out[i].limit_holds, in[i].limit_holds);
        EXPECT_EQ(out[i].fd, -1);  // fds travel beside the body
    }
}

TEST(HandoverCodec, TruncatedOrPaddedBodiesAreRefused) {
    std::string body = encode_streams(std::vector<HandedStream>{sample(0), sample(1)});
    for (size_t cut = 0; cut < body.size(); ++cut) {
        std::vector<HandedStream> out;
        EXPECT_FALSE(decode_streams(std::string_view(body).substr(0, cut), &out)) << cut;
    }
    std::vector<HandedStream> out;
    EXPECT_FALSE(decode_streams(body + "x", &out));
}

TEST(HandoverCodec, ListenersAndPosition) {
    HandedListeners l;
    EXPECT_TRUE(decode_listeners(encode_listeners({2, true}), &l));
    EXPECT_EQ(l.http, 2u);
    EXPECT_TRUE(l.has_unix);
    HandedPosition p;
    EXPECT_TRUE(decode_position(encode_position({"mxdehr0b", 42}), &p));
    EXPECT_EQ(p.epoch, "mxdehr0b");
    EXPECT_EQ(p.last_sequence, 42u);
    EXPECT_FALSE(decode_position("", &p));
    // The metrics listener too, and a flag is exactly 0 or 1 (the format is
    // exact: what decodes encodes back to the same bytes).
    EXPECT_TRUE(decode_listeners(encode_listeners({1, false, true}), &l));
    EXPECT_TRUE(l.has_metrics);
    EXPECT_FALSE(l.has_unix);
    EXPECT_EQ(l.https, 0u);
    // The HTTPS listeners, last.
    EXPECT_TRUE(decode_listeners(encode_listeners({1, true, true, 2}), &l));
    EXPECT_EQ(l.https, 2u);
    EXPECT_EQ(l.http, 1u);
    // Without HTTPS listeners the body is the one of daemons before [tls].
    EXPECT_EQ(encode_listeners({1, true, true, 0}).size(), 24u);
    std::string zero = encode_listeners({1, true, true, 0}) + std::string(8, '\0');
    EXPECT_FALSE(decode_listeners(zero, &l)) << "an explicit 0 would not encode back";
    std::string body = encode_listeners({1, true, false});
    body[8] = 2;  // has_unix
    EXPECT_FALSE(decode_listeners(body, &l));
}

}  // namespace
}  // namespace ringcast

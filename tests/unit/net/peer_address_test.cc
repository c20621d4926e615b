#include "net/peer_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <unordered_set>

#include <gtest/gtest.h>

#include "core/user_data.h"
#include "net/connection.h"

namespace ringcast {
namespace {

PeerAddress v4(const char* text) {
    sockaddr_storage ss{};
    auto& sin = reinterpret_cast<sockaddr_in&>(ss);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(40000);
    EXPECT_EQ(inet_pton(AF_INET, text, &sin.sin_addr), 1) << text;
    return PeerAddress::from(ss, sizeof(sockaddr_in));
}

PeerAddress v6(const char* text) {
    sockaddr_storage ss{};
    auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(40000);
    EXPECT_EQ(inet_pton(AF_INET6, text, &sin6.sin6_addr), 1) << text;
    return PeerAddress::from(ss, sizeof(sockaddr_in6));
}

TEST(PeerAddress, IPv4) {
    PeerAddress a = v4("127.0.0.5");
    EXPECT_TRUE(a.is_v4());
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a.text(), "127.0.0.5");
    EXPECT_EQ(a.v4(), inet_addr("127.0.0.5"));
    EXPECT_EQ(v4("0.0.0.0").text(), "0.0.0.0");
    EXPECT_EQ(v4("255.254.253.252").text(), "255.254.253.252");
}

TEST(PeerAddress, IPv6) {
    EXPECT_EQ(v6("::1").text(), "::1");
    EXPECT_TRUE(v6("::1").is_v6());
    EXPECT_EQ(v6("2001:db8::7").text(), "2001:db8::7");
    EXPECT_EQ(v6("fe80::1:2:3:4").text(), "fe80::1:2:3:4");
    EXPECT_EQ(v6("::1").v4(), 0u);
}

// A dual-stack [::] listener sees IPv4 clients as ::ffff:a.b.c.d: they are the
// same clients as on an IPv4 listener.
TEST(PeerAddress, MappedIPv4IsIPv4) {
    PeerAddress m = v6("::ffff:10.1.2.3");
    EXPECT_TRUE(m.is_v4());
    EXPECT_EQ(m.text(), "10.1.2.3");
    EXPECT_EQ(m, v4("10.1.2.3"));
    EXPECT_EQ(m.hash(), v4("10.1.2.3").hash());
    // Only that prefix: an IPv4-compatible (::a.b.c.d) or NAT64 address stays IPv6.
    EXPECT_TRUE(v6("::10.1.2.3").is_v6());
    EXPECT_TRUE(v6("64:ff9b::10.1.2.3").is_v6());
}

TEST(PeerAddress, NonIpAndTruncatedAreNone) {
    sockaddr_storage ss{};
    ss.ss_family = AF_UNIX;
    PeerAddress u = PeerAddress::from(ss, sizeof(sa_family_t));  // an unnamed Unix peer
    EXPECT_TRUE(u.empty());
    EXPECT_EQ(u.text(), "");
    EXPECT_EQ(u, PeerAddress{});

    sockaddr_storage t{};
    t.ss_family = AF_INET6;
    EXPECT_TRUE(PeerAddress::from(t, sizeof(sockaddr_in6) - 1).empty());
    t.ss_family = AF_INET;
    EXPECT_TRUE(PeerAddress::from(t, 4).empty());
}

TEST(PeerAddress, FromV4RoundTrips) {
    PeerAddress a = v4("127.10.20.30");
    PeerAddress b = PeerAddress::from_v4(a.v4());
    EXPECT_EQ(a, b);
    EXPECT_EQ(b.text(), "127.10.20.30");
}

TEST(PeerAddress, EqualityAndHash) {
    EXPECT_EQ(v4("127.0.0.5"), v4("127.0.0.5"));
    EXPECT_NE(v4("127.0.0.5"), v4("127.0.0.6"));
    EXPECT_NE(v4("127.0.0.5"), PeerAddress{});
    // The same 16 bytes in another family are another address.
    PeerAddress a = v4("1.2.3.4");
    PeerAddress b = a;
    b.family = PeerAddress::Family::v6;
    EXPECT_NE(a, b);
    EXPECT_NE(a.hash(), b.hash());

    std::unordered_set<PeerAddress> set;
    for (int i = 0; i < 256; ++i)
        set.insert(v4(("10.0.0." + std::to_string(i)).c_str()));
    for (int i = 0; i < 256; ++i)
        set.insert(v4(("10.0.0." + std::to_string(i)).c_str()));  // duplicates
    set.insert(v6("::1"));
    EXPECT_EQ(set.size(), 257u);
    EXPECT_TRUE(set.count(v4("10.0.0.77")));
    EXPECT_FALSE(set.count(v4("10.0.1.77")));
    // Addresses that differ in their last byte spread over buckets.
    std::unordered_set<size_t> low_bits;
    for (int i = 0; i < 256; ++i)
        low_bits.insert(v4(("10.0.0." + std::to_string(i)).c_str()).hash() & 1023);
    EXPECT_GT(low_bits.size(), 200u);
}

// The address travels to another shard in the MSG_RING tag (core/user_data.h).
TEST(PeerAddress, TravelsInTheHandoffTag) {
    for (const char* text : {"127.0.0.5", "255.255.255.255", "1.2.3.4", "0.0.0.1"}) {
        PeerAddress a = v4(text);
        uint64_t ud = handoff_tag({3, a.is_v4(), a.v4()});
        EXPECT_EQ(op_of(ud), Op::handoff) << text;
        HandoffTag h = handoff_of(ud);
        EXPECT_EQ(h.protocol, 3) << text;
        ASSERT_TRUE(h.has_v4) << text;
        EXPECT_EQ(PeerAddress::from_v4(h.v4), a) << text;
    }
    HandoffTag none = handoff_of(handoff_tag({1, false, 0}));
    EXPECT_EQ(none.protocol, 1);
    EXPECT_FALSE(none.has_v4);
}

// Every connection holds one; it must stay packed, and Connection must not grow
// beyond the address's own cost (see the layout note in net/connection.h).
TEST(PeerAddress, CostsAConnectionOnlyItsBytes) {
    static_assert(sizeof(PeerAddress) == 17);
    if constexpr (sizeof(void*) == 8) {
        EXPECT_LE(sizeof(Connection), 168u);
    }
}

}  // namespace
}  // namespace ringcast

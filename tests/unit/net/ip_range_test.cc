// IpRange: addresses and CIDR ranges as operators write them in
// http.trusted_proxies, what they match, and the sentence a mistake gets.
#include "net/ip_range.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

PeerAddress addr(std::string_view text) {
    PeerAddress a;
    EXPECT_TRUE(PeerAddress::parse(text, &a)) << text;
    return a;
}

IpRange range(std::string_view text) {
    IpRange r;
    std::string why;
    EXPECT_TRUE(IpRange::parse(text, &r, &why)) << text << ": " << why;
    return r;
}

std::string refusal(std::string_view text) {
    IpRange r;
    std::string why;
    EXPECT_FALSE(IpRange::parse(text, &r, &why)) << text << " was accepted";
    return why;
}

TEST(PeerAddressParse, ReadsIPv4AndIPv6Text) {
    PeerAddress a;
    ASSERT_TRUE(PeerAddress::parse("203.0.113.7", &a));
    EXPECT_TRUE(a.is_v4());
    EXPECT_EQ(a.text(), "203.0.113.7");
    ASSERT_TRUE(PeerAddress::parse("2001:DB8::7", &a));
    EXPECT_TRUE(a.is_v6());
    EXPECT_EQ(a.text(), "2001:db8::7");
    // IPv4-mapped IPv6 is the IPv4 client, as accept() reports it.
    ASSERT_TRUE(PeerAddress::parse("::ffff:192.0.2.1", &a));
    EXPECT_TRUE(a.is_v4());
    EXPECT_EQ(a.text(), "192.0.2.1");
}

TEST(PeerAddressParse, RefusesAnythingButABareAddress) {
    for (std::string_view bad : std::vector<std::string_view>{
             "", "localhost", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.256", " 1.2.3.4", "1.2.3.4 ",
             "1.2.3.4:80", "[::1]", "fe80::1%eth0", "10.0.0.0/8", "::1::2", "unknown", "_hidden",
             std::string_view("1.2.3.4\0", 8),
             "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000"}) {
        PeerAddress a = PeerAddress::from_v4(0x01020304);
        EXPECT_FALSE(PeerAddress::parse(bad, &a)) << bad;
        EXPECT_EQ(a.text(), "4.3.2.1") << "left untouched";
    }
}

TEST(IpRange, SingleAddressesMatchOnlyThemselves) {
    IpRange r = range("127.0.0.1");
    EXPECT_EQ(r.prefix, 32);
    EXPECT_EQ(r.text(), "127.0.0.1");
    EXPECT_TRUE(r.contains(addr("127.0.0.1")));
    EXPECT_FALSE(r.contains(addr("127.0.0.2")));
    EXPECT_FALSE(r.contains(addr("::1")));
    EXPECT_FALSE(r.contains(PeerAddress{})) << "a Unix-socket peer is no proxy";

    IpRange six = range("::1");
    EXPECT_EQ(six.prefix, 128);
    EXPECT_TRUE(six.contains(addr("::1")));
    EXPECT_FALSE(six.contains(addr("127.0.0.1")));
}

TEST(IpRange, PrefixesMatchAcrossByteBoundaries) {
    IpRange r = range("10.0.0.0/8");
    EXPECT_TRUE(r.contains(addr("10.255.3.4")));
    EXPECT_FALSE(r.contains(addr("11.0.0.0")));
    IpRange odd = range("192.168.4.0/22");  // 192.168.4.0 - 192.168.7.255
    EXPECT_TRUE(odd.contains(addr("192.168.4.0")));
    EXPECT_TRUE(odd.contains(addr("192.168.7.255")));
    EXPECT_FALSE(odd.contains(addr("192.168.8.0")));
    EXPECT_FALSE(odd.contains(addr("192.168.3.255")));
    IpRange all = range("0.0.0.0/0");
    EXPECT_TRUE(all.contains(addr("8.8.8.8")));
    EXPECT_FALSE(all.contains(addr("2001:db8::1"))) << "IPv4 ranges hold IPv4 addresses only";
    IpRange ula = range("fd00::/8");
    EXPECT_TRUE(ula.contains(addr("fd12:3456::1")));
    EXPECT_FALSE(ula.contains(addr("fe80::1")));
    IpRange v6 = range("2001:db8:abcd:12::/63");
    EXPECT_TRUE(v6.contains(addr("2001:db8:abcd:13::ffff")));
    EXPECT_FALSE(v6.contains(addr("2001:db8:abcd:14::")));
    EXPECT_EQ(v6.text(), "2001:db8:abcd:12::/63");
}

TEST(IpRange, MappedRangesAreTheIPv4RangesTheyName) {
    IpRange r = range("::ffff:10.0.0.0/104");
    EXPECT_TRUE(r.base.is_v4());
    EXPECT_EQ(r.prefix, 8);
    EXPECT_EQ(r.text(), "10.0.0.0/8");
    EXPECT_TRUE(r.contains(addr("10.1.2.3")));
    EXPECT_TRUE(range("::ffff:127.0.0.1").contains(addr("127.0.0.1")));
    EXPECT_NE(refusal("::ffff:0.0.0.0/95").find("IPv4 ranges"), std::string::npos);
}

TEST(IpRange, MistakesAreExplained) {
    for (std::string_view text : {"", "localhost", "proxy.internal", "127.0.0.1:8080", "[::1]",
                                  "[::1]/128", " 10.0.0.1", "10.0.0.0 /8", "*"})
        EXPECT_NE(refusal(text).find("is not an IP address or a CIDR range"), std::string::npos)
            << text;
    for (std::string_view text :
         {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/ 8", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/0x8",
          "::/129", "::/1000", "10.0.0.0/+8"})
        EXPECT_NE(refusal(text).find("prefix length that is not a number"), std::string::npos)
            << text;
    EXPECT_EQ(refusal("10.0.0.1/8"),
              "has bits set past its /8 prefix: write \"10.0.0.0/8\" for the range, or the "
              "address alone");
    EXPECT_NE(refusal("192.168.5.0/22").find("\"192.168.4.0/22\""), std::string::npos);
    EXPECT_NE(refusal("fd00::1/8").find("\"fd00::/8\""), std::string::npos);
}

}  // namespace
}  // namespace ringcast

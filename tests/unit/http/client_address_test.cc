// The client of a request behind reverse proxies (http/client_address.h): the
// forwarding header is read only from trusted peers, walked from the right to
// the first hop that is not a trusted proxy, and every hostile or unusable input
// falls back to an address some trusted hop vouched for.
#include "http/client_address.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/random.h"

namespace ringcast {
namespace {

PeerAddress addr(std::string_view text) {
    PeerAddress a;
    EXPECT_TRUE(PeerAddress::parse(text, &a)) << text;
    return a;
}

TrustedProxies trusted(std::vector<std::string_view> ranges,
                       ForwardedHeader header = ForwardedHeader::x_forwarded_for) {
    TrustedProxies t;
    t.header = header;
    for (std::string_view text : ranges) {
        IpRange r;
        std::string why;
        EXPECT_TRUE(IpRange::parse(text, &r, &why)) << text << ": " << why;
        t.ranges.push_back(r);
    }
    return t;
}

HttpRequest request(std::vector<std::pair<std::string, std::string>> headers) {
    HttpRequest r;
    r.headers = std::move(headers);
    return r;
}

// The client's address as text, for a request from `peer` with `headers`.
std::string client(const TrustedProxies& t, std::string_view peer,
                   std::vector<std::pair<std::string, std::string>> headers) {
    return client_address(addr(peer), request(std::move(headers)), t).text();
}

std::string xff(const TrustedProxies& t, std::string_view peer, std::string value) {
    return client(t, peer, {{"x-forwarded-for", std::move(value)}});
}

std::string fwd(const TrustedProxies& t, std::string_view peer, std::string value) {
    return client(t, peer, {{"forwarded", std::move(value)}});
}

const std::string kProxy = "10.0.0.2";

TEST(ClientAddress, NoTrustedProxiesMeansTheHeaderIsNeverRead) {
    TrustedProxies none;
    EXPECT_EQ(xff(none, kProxy, "198.51.100.7"), kProxy);
    EXPECT_EQ(xff(none, "127.0.0.1", "198.51.100.7"), "127.0.0.1");
}

TEST(ClientAddress, AnUntrustedPeerCannotSpoofItsAddress) {
    TrustedProxies t = trusted({"10.0.0.0/8"});
    EXPECT_EQ(xff(t, "203.0.113.9", "198.51.100.7"), "203.0.113.9");
    EXPECT_EQ(xff(t, "203.0.113.9", "10.0.0.5"), "203.0.113.9");
    EXPECT_EQ(
        fwd(trusted({"10.0.0.0/8"}, ForwardedHeader::forwarded), "203.0.113.9", "for=198.51.100.7"),
        "203.0.113.9");
}

TEST(ClientAddress, ATrustedPeerNamesTheClient) {
    TrustedProxies t = trusted({"10.0.0.0/8"});
    EXPECT_EQ(xff(t, kProxy, "198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(xff(t, kProxy, "  198.51.100.7\t"), "198.51.100.7");
    EXPECT_EQ(xff(t, kProxy, "2001:db8::7"), "2001:db8::7");
    EXPECT_EQ(client(t, kProxy, {}), kProxy) << "no header: the proxy itself is the client";
    EXPECT_EQ(xff(t, kProxy, ""), kProxy);
    EXPECT_EQ(xff(t, kProxy, " , ,, "), kProxy) << "empty list elements are not hops";
}

TEST(ClientAddress, TheRightmostUntrustedHopWins) {
    TrustedProxies t = trusted({"10.0.0.0/8", "192.168.0.0/16"});
    // What the client wrote itself (1.1.1.1) is left of what our proxies saw.
    EXPECT_EQ(xff(t, kProxy, "1.1.1.1, 198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(xff(t, kProxy, "1.1.1.1, 198.51.100.7, 192.168.1.1, 10.9.9.9"), "198.51.100.7");
    EXPECT_EQ(xff(t, kProxy, "198.51.100.7,10.1.1.1"), "198.51.100.7");
    // A client pretending to be one of our proxies gains nothing.
    EXPECT_EQ(xff(t, kProxy, "10.5.5.5, 198.51.100.7"), "198.51.100.7");
}

TEST(ClientAddress, AChainOfTrustedHopsGivesTheLeftmost) {
    TrustedProxies t = trusted({"10.0.0.0/8"});
    EXPECT_EQ(xff(t, kProxy, "10.1.1.1, 10.2.2.2, 10.3.3.3"), "10.1.1.1");
    EXPECT_EQ(xff(t, kProxy, "10.1.1.1"), "10.1.1.1");
}

TEST(ClientAddress, AnUnusableHopStopsTheWalkAtTheTrustedHopThatReportedIt) {
    TrustedProxies t = trusted({"10.0.0.0/8"});
    // The peer reported it: the peer.
    EXPECT_EQ(xff(t, kProxy, "unknown"), kProxy);
    EXPECT_EQ(xff(t, kProxy, "198.51.100.7, garbage"), kProxy);
    // A trusted hop reported it: that hop, never what lies beyond.
    EXPECT_EQ(xff(t, kProxy, "198.51.100.7, unknown, 10.3.3.3"), "10.3.3.3");
    EXPECT_EQ(xff(t, kProxy, "198.51.100.7, _hidden, 10.3.3.3, 10.4.4.4"), "10.3.3.3");
    // An untrusted hop right of it is the answer already.
    EXPECT_EQ(xff(t, kProxy, "unknown, 198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(xff(t, kProxy, "unknown, 198.51.100.7, 10.3.3.3"), "198.51.100.7");
}

TEST(ClientAddress, PortsBracketsAndMappedAddresses) {
    TrustedProxies t = trusted({"10.0.0.0/8"});
    EXPECT_EQ(xff(t, kProxy, "198.51.100.7:4711"), "198.51.100.7");
    EXPECT_EQ(xff(t, kProxy, "[2001:db8::7]"), "2001:db8::7");
    EXPECT_EQ(xff(t, kProxy, "[2001:db8::7]:4711"), "2001:db8::7");
    EXPECT_EQ(xff(t, kProxy, "::ffff:198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(xff(t, kProxy, "[::ffff:198.51.100.7]:80"), "198.51.100.7");
    for (std::string bad : {"198.51.100.7:", "198.51.100.7:65536", "198.51.100.7:123456",
                            "198.51.100.7:http", "[2001:db8::7", "[2001:db8::7]4711",
                            "[198.51.100.7]", "[2001:db8::7]:", "fe80::1%eth0", "2001:db8::7:"})
        EXPECT_EQ(xff(t, kProxy, bad), kProxy) << bad;
}

TEST(ClientAddress, ATrustedIPv6ProxyAndIPv6Clients) {
    TrustedProxies t = trusted({"::1", "fd00::/8"});
    EXPECT_EQ(xff(t, "::1", "2001:db8::7, fd00::3"), "2001:db8::7");
    EXPECT_EQ(xff(t, "::1", "198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(xff(t, "fd00::9", "fd00::1"), "fd00::1");
    EXPECT_EQ(xff(t, "127.0.0.1", "198.51.100.7"), "127.0.0.1") << "::1 is not 127.0.0.1";
}

TEST(ClientAddress, RepeatedHeaderLinesAreOneListInOrder) {
    TrustedProxies t = trusted({"10.0.0.0/8"});
    EXPECT_EQ(client(t, kProxy,
                     {{"x-forwarded-for", "1.1.1.1"},
                      {"host", "example.com"},
                      {"x-forwarded-for", "198.51.100.7, 10.1.1.1"}}),
              "198.51.100.7");
    EXPECT_EQ(
        client(t, kProxy, {{"x-forwarded-for", "198.51.100.7"}, {"x-forwarded-for", "10.1.1.1"}}),
        "198.51.100.7");
    EXPECT_EQ(client(t, kProxy, {{"x-forwarded-for", "10.1.1.1"}, {"x-forwarded-for", "unknown"}}),
              kProxy);
}

TEST(ClientAddress, OnlyTheConfiguredHeaderIsRead) {
    TrustedProxies xff_only = trusted({"10.0.0.0/8"});
    TrustedProxies fwd_only = trusted({"10.0.0.0/8"}, ForwardedHeader::forwarded);
    std::vector<std::pair<std::string, std::string>> both = {{"forwarded", "for=192.0.2.1"},
                                                             {"x-forwarded-for", "198.51.100.7"}};
    EXPECT_EQ(client(xff_only, kProxy, both), "198.51.100.7");
    EXPECT_EQ(client(fwd_only, kProxy, both), "192.0.2.1");
    EXPECT_EQ(client(fwd_only, kProxy, {{"x-forwarded-for", "198.51.100.7"}}), kProxy);
    EXPECT_EQ(client(xff_only, kProxy, {{"forwarded", "for=192.0.2.1"}}), kProxy);
}

TEST(ClientAddress, ForwardedElementsAndParameters) {
    TrustedProxies t = trusted({"10.0.0.0/8"}, ForwardedHeader::forwarded);
    EXPECT_EQ(fwd(t, kProxy, "for=198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(fwd(t, kProxy, "For=198.51.100.7"), "198.51.100.7") << "names are case-insensitive";
    EXPECT_EQ(fwd(t, kProxy, "FOR=\"198.51.100.7\""), "198.51.100.7");
    EXPECT_EQ(fwd(t, kProxy, "proto=https;for=198.51.100.7;by=10.0.0.2"), "198.51.100.7");
    EXPECT_EQ(fwd(t, kProxy, "for=\"[2001:db8:cafe::17]:4711\""), "2001:db8:cafe::17");
    EXPECT_EQ(fwd(t, kProxy, "for=\"198.51.100.7:_port1\""), "198.51.100.7");
    EXPECT_EQ(fwd(t, kProxy, "for=1.1.1.1, for=198.51.100.7;proto=http, for=10.1.1.1"),
              "198.51.100.7");
    EXPECT_EQ(fwd(t, kProxy, "for=\"198.51\\.100.7\""), "198.51.100.7") << "a quoted-pair";
    EXPECT_EQ(fwd(t, kProxy, "for=10.1.1.1, for=10.2.2.2"), "10.1.1.1");
}

TEST(ClientAddress, ForwardedUnusableElements) {
    TrustedProxies t = trusted({"10.0.0.0/8"}, ForwardedHeader::forwarded);
    // The element the peer appended is unusable: the peer.
    for (const std::string& bad : std::vector<std::string>{
             "for=unknown", "for=_hidden", "for=\"_x.y-z\"", "proto=https", "by=10.0.0.2",
             "for=198.51.100.7;for=192.0.2.1", "for=", "for=\"\"", "for", "=198.51.100.7",
             "for=198.51.100.7;", "for=198.51.100.7 garbage", "for=198.51.100.7\"x\"",
             "for=\"198.51.100.7", "for=\"198.51.100.7\\\"", "for=[2001:db8::7",
             "for=\"[198.51.100.7]\"", std::string(200, 'x'),
             "for=\"" + std::string(100, '1') + "\""})
        EXPECT_EQ(fwd(t, kProxy, "for=198.51.100.9, " + bad), kProxy) << bad;
    // A trusted hop right of the unusable one reported it.
    EXPECT_EQ(fwd(t, kProxy, "for=198.51.100.7, for=unknown, for=10.3.3.3"), "10.3.3.3");
}

TEST(ClientAddress, ForwardedQuotedCommasDoNotSplitElements) {
    TrustedProxies t = trusted({"10.0.0.0/8"}, ForwardedHeader::forwarded);
    // A client's element with a quoted comma that would read as a trusted hop
    // if split naively; the proxy's element after it names the client.
    EXPECT_EQ(fwd(t, kProxy, "for=1.1.1.1;x=\",for=10.9.9.9\", for=198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(fwd(t, kProxy, "for=198.51.100.7;ext=\"a,b;c\\\"d\", for=10.1.1.1"), "198.51.100.7");
    // A malformed element is skipped up to the next comma outside quotes.
    EXPECT_EQ(fwd(t, kProxy, "for=1.1.1.1 x=\"a,b\", for=198.51.100.7"), "198.51.100.7");
    // An unterminated quote swallows the rest of its line, not the next line.
    EXPECT_EQ(client(t, kProxy,
                     {{"forwarded", "for=1.1.1.1;x=\"a, for=10.1.1.1"},
                      {"forwarded", "for=198.51.100.7"}}),
              "198.51.100.7");
}

TEST(ClientAddress, HugeListsAreWalkedWithoutTrouble) {
    TrustedProxies t = trusted({"10.0.0.0/8"});
    std::string many;
    for (int i = 0; i < 20000; ++i)
        many += "10.0.0." + std::to_string(i % 250) + ", ";
    EXPECT_EQ(xff(t, kProxy, "198.51.100.7, " + many), "198.51.100.7");
    EXPECT_EQ(xff(t, kProxy, many + "198.51.100.7"), "198.51.100.7");
    EXPECT_EQ(xff(t, kProxy, std::string(1 << 20, ',')), kProxy);
    EXPECT_EQ(xff(t, kProxy, std::string(1 << 20, '1')), kProxy);
    TrustedProxies f = trusted({"10.0.0.0/8"}, ForwardedHeader::forwarded);
    EXPECT_EQ(fwd(f, kProxy, std::string(1 << 20, '"')), kProxy);
    EXPECT_EQ(fwd(f, kProxy, std::string(1 << 20, ';')), kProxy);
    EXPECT_EQ(fwd(f, kProxy, "for=198.51.100.7, " + std::string(1 << 20, '\\')), kProxy);
}

// The right-to-left walk of X-Forwarded-For as written in the header comment,
// over a materialized list: what the one-pass ForwardedChain must agree with.
PeerAddress walk_reference(const TrustedProxies& t, const PeerAddress& peer,
                           std::string_view value) {
    std::vector<std::string_view> hops;
    for (size_t start = 0; start <= value.size();) {
        size_t comma = value.find(',', start);
        if (comma == std::string_view::npos) comma = value.size();
        std::string_view e = value.substr(start, comma - start);
        while (!e.empty() && (e.front() == ' ' || e.front() == '\t'))
            e.remove_prefix(1);
        while (!e.empty() && (e.back() == ' ' || e.back() == '\t'))
            e.remove_suffix(1);
        if (!e.empty()) hops.push_back(e);
        start = comma + 1;
    }
    PeerAddress reported_by = peer;  // the trusted hop right of the one looked at
    for (size_t i = hops.size(); i-- > 0;) {
        PeerAddress a;
        if (!parse_forwarded_node(hops[i], &a)) return reported_by;
        if (!t.trusts(a)) return a;
        reported_by = a;
    }
    return reported_by;  // all trusted: the leftmost (or the peer when no hops)
}

// Random bytes and random splices of valid pieces: whatever the header says, the
// answer is the peer, or an address that appears in the input, and a client the
// peer did not vouch for never gets through.
TEST(ClientAddress, HostileInputsNeverYieldAnUnvouchedAddress) {
    test::Rng rng(test::test_seed());
    const std::vector<std::string> pieces = {"198.51.100.7",
                                             "10.1.1.1",
                                             "[2001:db8::7]:80",
                                             "unknown",
                                             "_x",
                                             ",",
                                             ", ",
                                             ";",
                                             "=",
                                             "for=",
                                             "For=",
                                             "\"",
                                             "\\",
                                             " ",
                                             "\t",
                                             "proto=http",
                                             "for=10.2.2.2",
                                             "for=\"[::1]\"",
                                             ":",
                                             "[",
                                             "]",
                                             "1.2.3.4:5",
                                             "\x01",
                                             "\xff",
                                             "%"};
    for (ForwardedHeader header : {ForwardedHeader::x_forwarded_for, ForwardedHeader::forwarded}) {
        TrustedProxies t = trusted({"10.0.0.0/8"}, header);
        for (int round = 0; round < 3000; ++round) {
            std::string value;
            const size_t n = rng.between(0, 40);
            for (size_t i = 0; i < n; ++i) {
                if (rng.chance(0.2)) {
                    value += char(rng.below(256));
                } else {
                    value += rng.pick(pieces);
                }
            }
            const PeerAddress peer = addr(kProxy);
            ForwardedChain chain(t);
            chain.add_line(value);
            const std::string got = chain.client(peer).text();
            SCOPED_TRACE("header: " + value);
            ASSERT_FALSE(got.empty());
            if (header == ForwardedHeader::x_forwarded_for) {
                EXPECT_EQ(got, walk_reference(t, peer, value).text());
            }
            if (got != kProxy) {
                // Every answer other than the peer is an address the input names.
                const bool named =
                    value.find(got) != std::string::npos || (got == "2001:db8::7" || got == "::1");
                EXPECT_TRUE(named) << got;
            }
            // From an untrusted peer the header is never read.
            EXPECT_EQ(client_address(addr("203.0.113.9"),
                                     request({{std::string(t.header_name()), value}}), t)
                          .text(),
                      "203.0.113.9");
        }
    }
}

}  // namespace
}  // namespace ringcast

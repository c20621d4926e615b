// Who the client is behind reverse proxies (src/http/client_address.h): the
// operator's http.trusted_proxies read with IpRange::parse (src/net/ip_range.h),
// then the forwarding header's field lines walked by ForwardedChain.
//
// An input is lines of text:
//   1. the trusted proxies, separated by commas ("10.0.0.0/8, ::1")
//   2. the header: "Forwarded" (any line starting with F or f), else X-Forwarded-For
//   3. the TCP peer's address
//   4... the header's field lines, in order
//
// Properties: a range that parses prints as text that parses back to it and
// contains its own base; an address likewise; for X-Forwarded-For, the client
// is the one a plain right-to-left walk of the hops finds (the header comment
// of client_address.h, written out as simply as it reads).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "http/client_address.h"
#include "http/header_text.h"
#include "net/ip_range.h"

namespace ringcast::fuzz {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (;;) {
        size_t at = s.find(sep);
        out.push_back(s.substr(0, at));
        if (at == std::string_view::npos) return out;
        s.remove_prefix(at + 1);
    }
}

void check_range(std::string_view text, std::vector<IpRange>* ranges) {
    IpRange r;
    std::string why;
    if (!IpRange::parse(text, &r, &why)) {
        check(!why.empty(), "a range refused without a reason");
        return;
    }
    IpRange again;
    check(
        IpRange::parse(r.text(), &again, &why) && again.base == r.base && again.prefix == r.prefix,
        "a range's text does not parse back to it");
    check(r.prefix <= r.max_prefix(), "a prefix longer than the family's");
    check(r.contains(r.base), "a range does not contain its first address");
    ranges->push_back(r);
}

void check_address(std::string_view text) {
    PeerAddress a;
    if (!PeerAddress::parse(text, &a)) return;
    PeerAddress again;
    check(!a.empty() && PeerAddress::parse(a.text(), &again) && again == a,
          "an address's text does not parse back to it");
}

// X-Forwarded-For as client_address.h says, walked right to left with the
// whole list at hand.
PeerAddress walk_x_forwarded_for(const std::vector<std::string_view>& lines,
                                 const TrustedProxies& trusted, const PeerAddress& peer) {
    std::vector<std::optional<PeerAddress>> hops;
    for (std::string_view line : lines) {
        for (std::string_view element : split(line, ',')) {
            element = trim_ows(element);
            if (element.empty()) continue;
            PeerAddress a;
            if (parse_forwarded_node(element, &a)) {
                hops.emplace_back(a);
            } else {
                hops.emplace_back(std::nullopt);
            }
        }
    }
    PeerAddress reporter = peer;  // the trusted hop right of the one looked at
    for (size_t i = hops.size(); i-- > 0;) {
        if (!hops[i]) return reporter;
        if (!trusted.trusts(*hops[i])) return *hops[i];
        reporter = *hops[i];
    }
    return reporter;  // every hop trusted: the leftmost (or no hop: the peer)
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    using namespace ringcast::fuzz;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string_view> lines = split(input, '\n');
    while (lines.size() < 3)
        lines.emplace_back();

    TrustedProxies trusted;
    for (std::string_view text : split(lines[0], ','))
        check_range(trim_ows(text), &trusted.ranges);
    if (!lines[1].empty() && (lines[1][0] | 0x20) == 'f')
        trusted.header = ForwardedHeader::forwarded;
    PeerAddress peer;
    check_address(lines[2]);
    (void)PeerAddress::parse(lines[2], &peer);
    if (peer.empty()) (void)PeerAddress::parse("10.0.0.1", &peer);

    HttpRequest req;
    std::vector<std::string_view> field_lines(lines.begin() + 3, lines.end());
    for (std::string_view line : field_lines) {
        req.headers.emplace_back(std::string(trusted.header_name()), std::string(line));
        req.headers.emplace_back(
            trusted.header == ForwardedHeader::forwarded ? "x-forwarded-for" : "forwarded",
            "for=203.0.113.66, 203.0.113.66");  // never read
        PeerAddress node;
        if (parse_forwarded_node(trim_ows(line), &node)) check_address(node.text());
    }
    const PeerAddress client = client_address(peer, req, trusted);
    if (trusted.empty() || !trusted.trusts(peer)) {
        check(client == peer, "a header was believed from a peer that is not trusted");
    } else if (trusted.header == ForwardedHeader::x_forwarded_for) {
        const PeerAddress expected = walk_x_forwarded_for(field_lines, trusted, peer);
        if (!(client == expected)) {
            std::fprintf(stderr, "client %s, the walk says %s\n", client.text().c_str(),
                         expected.text().c_str());
            fail("X-Forwarded-For names another client than the walk of its hops");
        }
    }
    return 0;
}

#pragma once
// Who the client of a request is, when reverse proxies stand between it and us.
//
// The TCP peer is the client, unless it is a trusted proxy (http.trusted_proxies).
// Then, and only then, the one forwarding header the proxies are configured to
// write (http.forwarded_header: X-Forwarded-For, or RFC 7239 Forwarded `for=`)
// is read: its hops, oldest first, each appended by the proxy that heard from
// the one before. The client is the rightmost hop that is not itself a trusted
// proxy: everything left of it was written by someone we do not trust, so it
// could be anything (a client can send X-Forwarded-For: 1.2.3.4 of its own).
//
// Where the chain does not say:
//   - no header, or a header without hops: the peer;
//   - every hop trusted: the leftmost one (the farthest hop known; nginx's
//     real_ip_recursive does the same);
//   - a hop that is not an address ("unknown", an obfuscated "_hidden", a
//     Forwarded element without for=, garbage) stops the walk: the client is
//     the trusted hop that reported it (the one to its right, or the peer).
// Never anything a non-trusted peer sent. The other header is never read: a
// proxy passes on the headers it does not set, so that one is the client's word.
//
// Several field lines of the header count as one list, in order (RFC 9110
// 5.3). Ports ("192.0.2.7:4711", "[2001:db8::1]:4711"), brackets around IPv6
// and quoted Forwarded values are understood; IPv4-mapped IPv6 is IPv4.
//
// Parsing is one left-to-right pass in constant space: a hostile list costs
// time linear in its bytes (bounded by http.max_header_bytes) and allocates
// nothing. ForwardedChain takes any bytes, so it is also the fuzzing entry point.
#include <cstdint>
#include <string_view>
#include <vector>

#include "http/request_parser.h"
#include "net/ip_range.h"
#include "net/peer_address.h"

namespace ringcast {

enum class ForwardedHeader : uint8_t {
    x_forwarded_for,  // X-Forwarded-For: 203.0.113.7, 10.0.0.2
    forwarded,        // Forwarded: for=203.0.113.7;proto=https, for="[2001:db8::7]"
};

struct TrustedProxies {
    std::vector<IpRange> ranges;  // empty (the default): headers are never read
    ForwardedHeader header = ForwardedHeader::x_forwarded_for;

    bool empty() const { return ranges.empty(); }
    bool trusts(const PeerAddress& a) const {
        for (const IpRange& r : ranges)
            if (r.contains(a)) return true;
        return false;
    }
    // The header's name in lower case, as HttpRequest keeps names.
    std::string_view header_name() const {
        return header == ForwardedHeader::forwarded ? "forwarded" : "x-forwarded-for";
    }
};

// The right-to-left walk of a chain of hops, done left to right in O(1) space:
// after each hop, the answer the walk would give if the chain ended there.
class ForwardedChain {
public:
    explicit ForwardedChain(const TrustedProxies& trusted) : _trusted(trusted) {}

    // Adds the hops one field line of the configured header lists, left to right.
    // Any bytes are accepted.
    void add_line(std::string_view value);

    // The client, for a chain received from `peer` (a trusted proxy).
    PeerAddress client(const PeerAddress& peer) const {
        return _state == State::found || _state == State::all_trusted ? _found : peer;
    }

private:
    // A hop: its address, or null when the hop named none that we can use.
    void hop(const PeerAddress* address);
    void add_x_forwarded_for(std::string_view value);
    void add_forwarded(std::string_view value);

    enum class State : uint8_t {
        empty,        // no hop yet
        all_trusted,  // every hop trusted; _found is the leftmost
        found,        // _found is the answer: the rightmost untrusted hop, or the
                      // trusted hop that reported an unusable one
        unusable,     // the last hop named no usable address
    };
    const TrustedProxies& _trusted;
    State _state = State::empty;
    PeerAddress _found;
};

// The client of `req`, which arrived from `peer`: `peer` itself unless it is
// trusted, else what the forwarding header says (see above).
PeerAddress client_address(const PeerAddress& peer, const HttpRequest& req,
                           const TrustedProxies& trusted);

// One hop's node as proxies write it: "192.0.2.7", "192.0.2.7:4711",
// "2001:db8::7", "[2001:db8::7]", "[2001:db8::7]:4711" (port: digits, or an
// obfuscated "_abc"). False for anything else ("unknown", "_hidden", garbage).
bool parse_forwarded_node(std::string_view node, PeerAddress* out);

}  // namespace ringcast

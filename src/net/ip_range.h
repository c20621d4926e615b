#pragma once
// An IP address or a CIDR range of them, as operators write them
// ("10.0.0.0/8", "192.0.2.7", "fd00::/8", "::1"): the reverse proxies whose
// forwarding headers are believed (http.trusted_proxies).
//
// IPv4 clients are matched by IPv4 ranges, also when an IPv6 listener sees them
// as ::ffff:a.b.c.d (PeerAddress stores those as IPv4); an IPv4-mapped range
// ("::ffff:10.0.0.0/104") is read as the IPv4 range it names.
//
// Header-only and free of other layers (peer_address.h aside), so that the
// configuration loader checks exactly what the daemon will match.
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "net/peer_address.h"

namespace ringcast {

struct IpRange {
    PeerAddress base;    // the first address of the range: bits past the prefix are zero
    uint8_t prefix = 0;  // leading bits an address must share with base: 0-32 or 0-128

    unsigned max_prefix() const { return base.is_v4() ? 32 : 128; }

    bool contains(const PeerAddress& a) const {
        if (a.empty() || a.family != base.family) return false;
        const unsigned whole = prefix / 8, rest = prefix % 8;
        if (std::memcmp(a.bytes, base.bytes, whole) != 0) return false;
        if (rest == 0) return true;
        const uint8_t mask = uint8_t(0xff << (8 - rest));
        return (a.bytes[whole] & mask) == base.bytes[whole];
    }

    // "10.0.0.0/8"; a single address as itself ("192.0.2.7", not ".../32").
    std::string text() const {
        std::string t = base.text();
        if (prefix != max_prefix()) t += "/" + std::to_string(prefix);
        return t;
    }

    // An address ("192.0.2.7", "2001:db8::1") or a range ("10.0.0.0/8",
    // "fd00::/8"). False with *why, a sentence about `text` without quoting it,
    // for anything else: host names, ports, brackets, a prefix too long for the
    // family, or bits set past the prefix ("10.0.0.1/8": a typo for 10.0.0.0/8,
    // or for the address alone?).
    static bool parse(std::string_view text, IpRange* out, std::string* why) {
        const size_t slash = text.find('/');
        const std::string_view addr = text.substr(0, slash);
        IpRange r;
        if (!PeerAddress::parse(addr, &r.base)) {
            *why =
                "is not an IP address or a CIDR range (write \"192.0.2.7\", \"10.0.0.0/8\", "
                "\"2001:db8::1\" or \"fd00::/8\"; host names are not resolved, ports and "
                "brackets are not part of an address)";
            return false;
        }
        // An address written in IPv6 notation that PeerAddress turned into IPv4:
        // its prefix counts the 96 bits of ::ffff: too.
        const bool mapped = r.base.is_v4() && addr.find(':') != std::string_view::npos;
        const unsigned written_max = mapped ? 128 : r.max_prefix();
        unsigned bits = written_max;
        if (slash != std::string_view::npos) {
            const std::string_view p = text.substr(slash + 1);
            auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), bits);
            if (p.empty() || p.size() > 3 || ec != std::errc() || end != p.data() + p.size() ||
                bits > written_max) {
                *why = "has a prefix length that is not a number from 0 to " +
                       std::to_string(written_max);
                return false;
            }
        }
        if (mapped) {
            if (bits < 96) {
                *why =
                    "is an IPv4-mapped range shorter than /96; IPv4 clients are matched by IPv4 "
                    "ranges: write it as one (\"10.0.0.0/8\")";
                return false;
            }
            bits -= 96;
        }
        r.prefix = uint8_t(bits);
        IpRange first = r;
        first.clear_host_bits();
        if (!(first.base == r.base)) {
            *why = "has bits set past its /" + std::to_string(bits) + " prefix: write \"" +
                   first.text() + "\" for the range, or the address alone";
            return false;
        }
        *out = r;
        return true;
    }

private:
    void clear_host_bits() {
        const unsigned bytes = base.is_v4() ? 4 : 16;
        for (unsigned i = 0; i < bytes; ++i) {
            const unsigned kept = prefix > i * 8 ? prefix - i * 8 : 0;
            if (kept < 8) base.bytes[i] &= uint8_t(0xff << (8 - kept));
        }
    }
};

}  // namespace ringcast

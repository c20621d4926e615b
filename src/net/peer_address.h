#pragma once
// The IP address at the other end of a TCP connection, as the kernel reported it
// when the connection was accepted (no port: per-IP limits and logs want the
// host). 17 bytes, no padding, because every connection holds one.
//
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack [::] listener
// sees for an IPv4 client) are stored as IPv4: the same client must count as the
// same address whichever listener it came through. Anything that is not IP (a
// Unix-socket peer) is `none`, whose text is empty.
//
// Header-only: it is small, and it is used from the accept path and by protocols.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

namespace ringcast {

struct PeerAddress {
    enum class Family : uint8_t { none = 0, v4 = 4, v6 = 6 };

    Family family = Family::none;
    // Network byte order. IPv4 uses the first 4 bytes; the rest stay zero, so
    // that equality and hashing can look at all 16.
    uint8_t bytes[16] = {};

    // From what accept(2) wrote: `len` is the length the kernel reported. A
    // truncated or non-IP address gives `none`.
    static PeerAddress from(const sockaddr_storage& ss, socklen_t len) {
        PeerAddress a;
        if (ss.ss_family == AF_INET && len >= socklen_t(sizeof(sockaddr_in))) {
            const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
            a.family = Family::v4;
            std::memcpy(a.bytes, &sin.sin_addr, 4);
        } else if (ss.ss_family == AF_INET6 && len >= socklen_t(sizeof(sockaddr_in6))) {
            const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
            static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            if (std::memcmp(&sin6.sin6_addr, kMapped, 12) == 0) {
                a.family = Family::v4;
                std::memcpy(a.bytes, reinterpret_cast<const uint8_t*>(&sin6.sin6_addr) + 12, 4);
            } else {
                a.family = Family::v6;
                std::memcpy(a.bytes, &sin6.sin6_addr, 16);
            }
        }
        return a;
    }
    // An IPv4 address from its 32 bits in network byte order (as in in_addr.s_addr).
    static PeerAddress from_v4(uint32_t network_order) {
        PeerAddress a;
        a.family = Family::v4;
        std::memcpy(a.bytes, &network_order, 4);
        return a;
    }
    // From an address as text: "203.0.113.7", "2001:db8::7" (no brackets, port,
    // zone or prefix; IPv4 only as a dotted quad without leading zeros, as
    // inet_pton(3) reads it). IPv4-mapped IPv6 text gives IPv4, as from() does.
    // False (and *out untouched) for anything else.
    static bool parse(std::string_view text, PeerAddress* out) {
        char buf[INET6_ADDRSTRLEN];
        // A NUL would end the C string early: "1.2.3.4\0junk" is not an address.
        if (text.empty() || text.size() >= sizeof buf || text.find('\0') != text.npos) return false;
        std::memcpy(buf, text.data(), text.size());
        buf[text.size()] = '\0';
        sockaddr_storage ss{};
        socklen_t len;
        if (text.find(':') == std::string_view::npos) {
            auto& sin = reinterpret_cast<sockaddr_in&>(ss);
            if (inet_pton(AF_INET, buf, &sin.sin_addr) != 1) return false;
            sin.sin_family = AF_INET;
            len = sizeof sin;
        } else {
            auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
            if (inet_pton(AF_INET6, buf, &sin6.sin6_addr) != 1) return false;
            sin6.sin6_family = AF_INET6;
            len = sizeof sin6;
        }
        *out = from(ss, len);
        return true;
    }
    // The IPv4 address's 32 bits in network byte order; 0 unless is_v4().
    uint32_t v4() const {
        uint32_t v = 0;
        if (family == Family::v4) std::memcpy(&v, bytes, 4);
        return v;
    }

    bool empty() const { return family == Family::none; }
    bool is_v4() const { return family == Family::v4; }
    bool is_v6() const { return family == Family::v6; }

    // "127.0.0.5", "::1", "2001:db8::7"; empty for `none`.
    std::string text() const {
        char buf[INET6_ADDRSTRLEN];
        int af = family == Family::v4 ? AF_INET : family == Family::v6 ? AF_INET6 : AF_UNSPEC;
        if (af == AF_UNSPEC || !inet_ntop(af, bytes, buf, sizeof buf)) return {};
        return buf;
    }

    friend bool operator==(const PeerAddress& a, const PeerAddress& b) {
        return a.family == b.family && std::memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0;
    }

    // For per-address tables. Mixes the 16 bytes as two 64-bit words (murmur3's
    // finalizer), so that addresses differing only in their last byte spread.
    size_t hash() const {
        uint64_t lo, hi;
        std::memcpy(&lo, bytes, 8);
        std::memcpy(&hi, bytes + 8, 8);
        uint64_t h = lo ^ (hi * 0x9e3779b97f4a7c15ull) ^ (uint64_t(family) << 56);
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 33;
        return size_t(h);
    }
};

static_assert(sizeof(PeerAddress) == 17 && alignof(PeerAddress) == 1,
              "PeerAddress is stored in every Connection: keep it packed");

}  // namespace ringcast

template <>
struct std::hash<ringcast::PeerAddress> {
    size_t operator()(const ringcast::PeerAddress& a) const noexcept { return a.hash(); }
};

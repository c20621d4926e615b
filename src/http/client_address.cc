#include "http/client_address.h"

#include <algorithm>
#include <cstddef>

namespace ringcast {

namespace {

bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

// RFC 9110 tchar: what a Forwarded parameter name is made of.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_for(std::string_view name) {
    return name.size() == 3 && (name[0] | 0x20) == 'f' && (name[1] | 0x20) == 'o' &&
           (name[2] | 0x20) == 'r';
}

// RFC 7239 node-port: 1 to 5 digits (at most 65535), or an obfuscated "_abc".
bool valid_port(std::string_view p) {
    if (p.empty()) return false;
    if (p[0] == '_') {
        return p.size() > 1 && std::all_of(p.begin() + 1, p.end(), [](char c) {
                   return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
               });
    }
    if (p.size() > 5) return false;
    unsigned v = 0;
    for (char c : p) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + unsigned(c - '0');
    }
    return v <= 65535;
}

// The longest node worth reading: "[" + 45 characters of IPv6 + "]:" + a port,
// with room for a short obfuscated port. Longer is not an address.
constexpr size_t kMaxNode = 64;

}  // namespace

bool parse_forwarded_node(std::string_view node, PeerAddress* out) {
    std::string_view host = node, port;
    if (!node.empty() && node.front() == '[') {
        const size_t close = node.find(']');
        if (close == std::string_view::npos) return false;
        host = node.substr(1, close - 1);
        std::string_view rest = node.substr(close + 1);
        // Brackets are for IPv6 only ("[192.0.2.7]" is no address).
        if (host.find(':') == std::string_view::npos) return false;
        if (!rest.empty()) {
            if (rest.front() != ':') return false;
            port = rest.substr(1);
            if (!valid_port(port)) return false;
        }
    } else if (std::count(node.begin(), node.end(), ':') == 1) {
        // IPv4 with a port; an IPv6 address has at least two colons and, with
        // no brackets, no port (the last group would be ambiguous).
        const size_t colon = node.find(':');
        host = node.substr(0, colon);
        if (!valid_port(node.substr(colon + 1))) return false;
    }
    return PeerAddress::parse(host, out);
}

void ForwardedChain::hop(const PeerAddress* address) {
    if (!address) {
        _state = State::unusable;
        return;
    }
    if (!_trusted.trusts(*address)) {
        _state = State::found;
        _found = *address;
        return;
    }
    switch (_state) {
        case State::empty:  // the leftmost hop so far, and trusted
            _state = State::all_trusted;
            _found = *address;
            return;
        case State::unusable:  // the trusted hop that reported an unusable one
            _state = State::found;
            _found = *address;
            return;
        case State::all_trusted:
        case State::found: return;  // a trusted hop to the right changes nothing
    }
}

void ForwardedChain::add_line(std::string_view value) {
    if (_trusted.header == ForwardedHeader::forwarded) {
        add_forwarded(value);
    } else {
        add_x_forwarded_for(value);
    }
}

// X-Forwarded-For: nodes separated by commas; empty elements are ignored, as
// in every HTTP list (RFC 9110 5.6.1).
void ForwardedChain::add_x_forwarded_for(std::string_view value) {
    while (!value.empty()) {
        const size_t comma = value.find(',');
        std::string_view element = value.substr(0, comma);
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
        while (!element.empty() && is_ows(element.front()))
            element.remove_prefix(1);
        while (!element.empty() && is_ows(element.back()))
            element.remove_suffix(1);
        if (element.empty()) continue;
        PeerAddress a;
        hop(parse_forwarded_node(element, &a) ? &a : nullptr);
    }
}

// Forwarded (RFC 7239): elements separated by commas, each a list of name=value
// pairs separated by semicolons; a value is a token or a quoted string (which
// may hold commas and semicolons). An element is a usable hop when it is well
// formed and has exactly one `for` whose node is an address; otherwise it is
// an unusable hop, and the next element starts after the next comma outside
// quotes.
void ForwardedChain::add_forwarded(std::string_view v) {
    const size_t n = v.size();
    size_t i = 0;
    auto skip_ows = [&] {
        while (i < n && is_ows(v[i]))
            ++i;
    };
    while (i < n) {
        skip_ows();
        if (i == n) break;
        if (v[i] == ',') {  // an empty element
            ++i;
            continue;
        }
        char node[kMaxNode];
        size_t node_len = 0;
        unsigned fors = 0;
        bool well_formed = true;
        for (;;) {  // one name=value pair per turn
            skip_ows();
            const size_t name_start = i;
            while (i < n && is_tchar(v[i]))
                ++i;
            const std::string_view name = v.substr(name_start, i - name_start);
            if (name.empty() || i == n || v[i] != '=') {
                well_formed = false;
                break;
            }
            ++i;
            const bool wanted = is_for(name);
            size_t len = 0;
            auto keep = [&](char c) {
                if (wanted && len < kMaxNode) node[len] = c;
                ++len;
            };
            if (i < n && v[i] == '"') {
                ++i;
                bool closed = false;
                while (i < n) {
                    char c = v[i++];
                    if (c == '"') {
                        closed = true;
                        break;
                    }
                    if (c == '\\') {  // quoted-pair
                        if (i == n) break;
                        c = v[i++];
                    }
                    keep(c);
                }
                if (!closed) {  // the rest of the line is this bad element
                    well_formed = false;
                    break;
                }
            } else {
                while (i < n && v[i] != ';' && v[i] != ',' && v[i] != '"' && !is_ows(v[i]))
                    keep(v[i++]);
            }
            if (wanted) {
                ++fors;
                node_len = len;
            }
            skip_ows();
            if (i < n && v[i] == ';') {
                ++i;
                continue;
            }
            if (i == n || v[i] == ',') break;
            well_formed = false;  // two values in a row, a stray quote...
            break;
        }
        if (!well_formed) {  // resynchronize at the next comma outside quotes
            bool quoted = false;
            while (i < n && (quoted || v[i] != ',')) {
                if (quoted && v[i] == '\\') {
                    i += 2;
                    continue;
                }
                if (v[i] == '"') quoted = !quoted;
                ++i;
            }
            i = std::min(i, n);
        }
        if (i < n) ++i;  // the comma
        PeerAddress a;
        const bool usable = well_formed && fors == 1 && node_len <= kMaxNode &&
                            parse_forwarded_node(std::string_view(node, node_len), &a);
        hop(usable ? &a : nullptr);
    }
}

PeerAddress client_address(const PeerAddress& peer, const HttpRequest& req,
                           const TrustedProxies& trusted) {
    if (trusted.empty() || !trusted.trusts(peer)) return peer;
    ForwardedChain chain(trusted);
    const std::string_view name = trusted.header_name();
    for (const auto& [field, value] : req.headers)
        if (field == name) chain.add_line(value);
    return chain.client(peer);
}

}  // namespace ringcast

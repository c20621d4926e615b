#include "endpoint.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <charconv>
#include <cstring>

namespace ringcast::load {

std::optional<Endpoint> parse_endpoint(const std::string& text, std::string* error) {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        *error = "expected HOST:PORT, got '" + text + "'";
        return std::nullopt;
    }
    std::string host = text.substr(0, colon);
    unsigned port = 0;
    const char* p = text.data() + colon + 1;
    auto [end, ec] = std::from_chars(p, text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535) {
        *error = "invalid port in '" + text + "'";
        return std::nullopt;
    }
    Endpoint e;
    e.text = text;
    e.addr.sin_family = AF_INET;
    e.addr.sin_port = htons(uint16_t(port));
    if (inet_pton(AF_INET, host.c_str(), &e.addr.sin_addr) == 1) return e;
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int r = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (r != 0 || !res) {
        *error = "cannot resolve '" + host + "' to an IPv4 address: " + gai_strerror(r);
        return std::nullopt;
    }
    e.addr.sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return e;
}

bool is_loopback(const Endpoint& e) {
    return (ntohl(e.addr.sin_addr.s_addr) >> 24) == 127;
}

std::vector<sockaddr_in> loopback_sources(unsigned count) {
    std::vector<sockaddr_in> out;
    for (unsigned i = 0; i < count; ++i) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = 0;
        // 127.0.0.2 upwards (options.cc caps the count, so this stays in 127.0.0.x).
        uint32_t host = (127u << 24) + 2u + i;
        a.sin_addr.s_addr = htonl(host);
        out.push_back(a);
    }
    return out;
}

std::string to_string(const sockaddr_in& a) {
    char buf[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(a.sin_port));
}

}  // namespace ringcast::load

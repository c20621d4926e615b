#pragma once
// IPv4 endpoints for the load generator: the target (HOST:PORT) and the
// loopback source addresses subscriber sockets are bound to. Each source
// address has its own ephemeral-port range towards the target, so N > ~28k
// connections (the default port range) need several of them.
#include <netinet/in.h>

#include <optional>
#include <string>
#include <vector>

namespace ringcast::load {

struct Endpoint {
    sockaddr_in addr{};
    std::string text;  // as given, for messages
};

// Parses "HOST:PORT" (HOST an IPv4 literal or a name resolving to IPv4).
std::optional<Endpoint> parse_endpoint(const std::string& text, std::string* error);

bool is_loopback(const Endpoint& e);

// 127.0.0.2, 127.0.0.3, ... (count of them). Every 127/8 address is local on
// Linux, so binding to them needs no configuration.
std::vector<sockaddr_in> loopback_sources(unsigned count);

std::string to_string(const sockaddr_in& a);

}  // namespace ringcast::load

#pragma once
// Socket addresses as operators write them: "127.0.0.1:8080", "[::1]:8080",
// "0.0.0.0:80", or ":8080" (all interfaces).
#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace ringcast {

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t len = 0;

    const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
    int family() const { return storage.ss_family; }
    int port() const;
    void set_port(int port);
    std::string to_string() const;
};

// Parses "HOST:PORT". On failure returns nullopt and says why in *error.
std::optional<SocketAddress> parse_address(std::string_view text, std::string* error);

}  // namespace ringcast

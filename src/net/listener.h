#pragma once
// Listening TCP sockets.
#include <string>

#include "net/address.h"

namespace ringcast {

struct ListenOptions {
    bool reuse_port = false;  // one listener per shard, balanced by the kernel
    int backlog = 4096;
};

// Creates, binds and listens. Returns the fd, or -errno with *error set to a
// sentence an operator can act on.
int open_listener(const SocketAddress& addr, const ListenOptions& opts, std::string* error);

// The address a listener actually bound (useful with port 0).
SocketAddress bound_address(int fd);

}  // namespace ringcast

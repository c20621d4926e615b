#pragma once
// Listening TCP sockets.
#include <string>

#include "net/address.h"

namespace ringcast {

struct ListenOptions {
    bool reuse_port = false;  // one listener per shard, balanced by the kernel
    int backlog = 4096;
};

// Creates, binds and listens. Returns the fd, or -errno with *error set to what
// went wrong (the caller adds how to change the address: a flag, a make variable).
int open_listener(const SocketAddress& addr, const ListenOptions& opts, std::string* error);

// The address a listener actually bound (useful with port 0).
SocketAddress bound_address(int fd);

struct UnixListenOptions {
    unsigned mode = 0660;  // file mode of the socket: who may connect
    std::string group;     // group name or number for the socket file; empty: unchanged
    int backlog = 4096;
};

// Creates a listening Unix stream socket at `path`. A socket file left by a
// daemon that died is removed first; a live one (something accepts on it) or a
// file that is not a socket is an error (-EADDRINUSE, -EEXIST). Returns the fd,
// or -errno with *error set to what went wrong (the caller adds how to choose
// another path).
int open_unix_listener(const std::string& path, const UnixListenOptions& opts, std::string* error);

}  // namespace ringcast

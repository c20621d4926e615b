#include "net/listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cstring>

namespace ringcast {

int open_listener(const SocketAddress& addr, const ListenOptions& opts, std::string* error) {
    int fd = socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        *error = std::string("socket: ") + std::strerror(e);
        return -e;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (opts.reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        int e = errno;
        close(fd);
        *error = std::string("SO_REUSEPORT: ") + std::strerror(e);
        return -e;
    }
    // Accepted sockets inherit TCP_NODELAY: SSE frames are small and must leave
    // immediately; we batch in user space, so Nagle would only add latency.
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(fd, addr.sa(), addr.len) != 0) {
        int e = errno;
        close(fd);
        *error = "cannot bind " + addr.to_string() + ": " + std::strerror(e);
        if (e == EADDRINUSE)
            *error += " (another process listens there; pick another --http address)";
        if (e == EACCES) *error += " (ports below 1024 need CAP_NET_BIND_SERVICE)";
        return -e;
    }
    if (listen(fd, opts.backlog) != 0) {
        int e = errno;
        close(fd);
        *error = std::string("listen: ") + std::strerror(e);
        return -e;
    }
    return fd;
}

SocketAddress bound_address(int fd) {
    SocketAddress a;
    a.len = sizeof a.storage;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.len);
    return a;
}

}  // namespace ringcast

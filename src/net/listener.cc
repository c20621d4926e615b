#include "net/listener.h"

#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <sys/un.h>
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
        if (e == EADDRINUSE) *error += " (another process listens there)";
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

int open_unix_listener(const std::string& path, const UnixListenOptions& opts, std::string* error) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof sa.sun_path) {
        *error = "Unix socket path '" + path + "' must be 1 to " +
                 std::to_string(sizeof sa.sun_path - 1) + " bytes long";
        return -ENAMETOOLONG;
    }
    std::memcpy(sa.sun_path, path.data(), path.size());
    socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + path.size() + 1);

    struct stat st;
    if (lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            *error = path + " exists and is not a socket";
            return -EEXIST;
        }
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&sa), len) == 0;
        if (probe >= 0) close(probe);
        if (live) {
            *error = "another process (a running ringcastd?) accepts connections on " + path;
            return -EADDRINUSE;
        }
        unlink(path.c_str());  // stale: its daemon is gone
    }

    gid_t gid = gid_t(-1);
    if (!opts.group.empty()) {
        char* end = nullptr;
        unsigned long n = std::strtoul(opts.group.c_str(), &end, 10);
        if (end && *end == '\0') {
            gid = gid_t(n);
        } else if (group* g = getgrnam(opts.group.c_str())) {
            gid = g->gr_gid;
        } else {
            *error = "server.unix_group '" + opts.group + "' is not a known group";
            return -EINVAL;
        }
    }

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        *error = std::string("socket(AF_UNIX): ") + std::strerror(e);
        return -e;
    }
    auto fail = [&](const std::string& what) {
        int e = errno;
        close(fd);
        *error = what + " " + path + ": " + std::strerror(e);
        return -e;
    };
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) return fail("cannot bind");
    if (chmod(path.c_str(), opts.mode) != 0) return fail("cannot set the mode of");
    if (gid != gid_t(-1) && chown(path.c_str(), uid_t(-1), gid) != 0)
        return fail("cannot set the group of");
    if (listen(fd, opts.backlog) != 0) return fail("cannot listen on");
    return fd;
}

SocketAddress bound_address(int fd) {
    SocketAddress a;
    a.len = sizeof a.storage;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.len);
    return a;
}

}  // namespace ringcast

#include "client/unix_socket.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace ringcast::client {

std::string explain_connect_error(std::string_view path, int err) {
    std::string why;
    struct stat st;
    std::string p(path);
    switch (err) {
        case ENOENT:
            why =
                "no such socket (is ringcastd running? It listens on <data-dir>/ringcast.sock, or "
                "on the path given to --unix)";
            break;
        case ECONNREFUSED:
            if (::stat(p.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode))
                why = "the file is not a socket";
            else
                why =
                    "connection refused (the socket file exists but no daemon listens on it: "
                    "ringcastd has stopped?)";
            break;
        case EACCES:
        case EPERM:
            why =
                "permission denied (the socket's mode and group, server.unix_mode and "
                "server.unix_group, keep this user out: run as a member of that group)";
            break;
        case ENOTDIR: why = "a component of the path is not a directory"; break;
        case ENAMETOOLONG:
            why = fmt::format("the path is longer than a Unix socket address allows ({} bytes)",
                              sizeof(sockaddr_un::sun_path) - 1);
            break;
        case ETIMEDOUT: why = "the daemon did not accept the connection in time"; break;
        default: why = std::strerror(err);
    }
    return fmt::format("cannot connect to ringcastd at {}: {}", path, why);
}

int connect_unix(std::string_view path, int timeout_ms, int* err, std::string* why) {
    auto fail = [&](int e, int fd) {
        if (fd >= 0) ::close(fd);
        *err = e;
        *why = explain_connect_error(path, e);
        return -1;
    };
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.empty()) return fail(ENOENT, -1);
    if (path.size() >= sizeof sa.sun_path) return fail(ENAMETOOLONG, -1);
    std::memcpy(sa.sun_path, path.data(), path.size());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(errno, -1);
    // A non-blocking Unix connect either completes at once or fails with EAGAIN
    // when the listener's backlog is full; then retry until the timeout.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return fd;
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return fail(errno, fd);
        if (timeout_ms >= 0 && std::chrono::steady_clock::now() >= deadline)
            return fail(ETIMEDOUT, fd);
        ::poll(nullptr, 0, 5);  // the backlog drains as the daemon accepts
    }
}

}  // namespace ringcast::client

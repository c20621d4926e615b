#include "server/handover_socket.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

namespace ringcast {

namespace {

bool make_address(const std::string& path, sockaddr_un* sa, std::string* error) {
    *sa = {};
    sa->sun_family = AF_UNIX;
    if (path.size() >= sizeof sa->sun_path) {
        *error = fmt::format("handover socket path {} is too long", path);
        return false;
    }
    std::memcpy(sa->sun_path, path.data(), path.size());
    return true;
}

struct Header {
    uint32_t kind;
    uint32_t size;
};

}  // namespace

HandoverMessage::~HandoverMessage() {
    for (int fd : fds)
        if (fd >= 0) ::close(fd);
}

int listen_handover(const std::string& path, std::string* error) {
    sockaddr_un sa;
    if (!make_address(path, &sa, error)) return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *error = fmt::format("handover socket: {}", std::strerror(errno));
        return -1;
    }
    ::unlink(path.c_str());  // one daemon per data directory: a file left here is stale
    mode_t old = umask(0177);
    int r = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    umask(old);
    if (r != 0 || listen(fd, 4) != 0) {
        *error =
            fmt::format("cannot listen on the handover socket {}: {}", path, std::strerror(errno));
        ::close(fd);
        return -1;
    }
    return fd;
}

int connect_handover(const std::string& path, std::string* error) {
    sockaddr_un sa;
    if (!make_address(path, &sa, error)) return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        *error =
            fmt::format("cannot reach a running ringcastd at {}: {}", path, std::strerror(errno));
        if (fd >= 0) ::close(fd);
        return -1;
    }
    int size = int(kMaxHandoverMessage) * 2;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    return fd;
}

bool send_handover(int sock, HandoverKind kind, std::string_view body, std::span<const int> fds,
                   std::string* error) {
    if (fds.size() > kMaxFdsPerMessage || body.size() + sizeof(Header) > kMaxHandoverMessage) {
        *error = "handover message too large";
        return false;
    }
    Header h{uint32_t(kind), uint32_t(body.size())};
    iovec iov[2] = {{&h, sizeof h}, {const_cast<char*>(body.data()), body.size()}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = body.empty() ? 1 : 2;
    std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage));
    if (!fds.empty()) {
        msg.msg_control = control.data();
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n >= 0) return true;
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {  // the handover socket of the old side is non-blocking
            pollfd p{sock, POLLOUT, 0};
            if (poll(&p, 1, 10'000) > 0) continue;
        }
        *error = fmt::format("handover: sending failed: {}", std::strerror(errno));
        return false;
    }
}

bool recv_handover(int sock, HandoverMessage* out, int timeout_ms, std::string* error) {
    pollfd p{sock, POLLIN, 0};
    int r;
    do {
        r = poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
        *error = fmt::format("handover: no answer within {} ms", timeout_ms);
        return false;
    }
    std::string buf(kMaxHandoverMessage, '\0');
    iovec iov{buf.data(), buf.size()};
    std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage));
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const auto* data = reinterpret_cast<const int*>(CMSG_DATA(cm));
        out->fds.insert(out->fds.end(), data, data + count);
    }
    if (n < 0) {
        *error = fmt::format("handover: receiving failed: {}", std::strerror(errno));
        return false;
    }
    if (n == 0) {
        *error = "handover: the other daemon closed the connection";
        return false;
    }
    Header h;
    if (size_t(n) < sizeof h || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        *error = "handover: malformed or truncated message";
        return false;
    }
    std::memcpy(&h, buf.data(), sizeof h);
    if (h.size != size_t(n) - sizeof h) {
        *error = "handover: message of the wrong size";
        return false;
    }
    out->kind = HandoverKind(h.kind);
    out->body.assign(buf.data() + sizeof h, h.size);
    return true;
}

}  // namespace ringcast

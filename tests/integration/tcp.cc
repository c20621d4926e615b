#include "tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ringcast::itest {

uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
        port = ntohs(sa.sin_port);
    ::close(fd);
    return port;
}

const char* to_string(IoStatus s) {
    switch (s) {
        case IoStatus::ok: return "ok";
        case IoStatus::eof: return "eof";
        case IoStatus::reset: return "reset";
        case IoStatus::timeout: return "timeout";
        case IoStatus::error: return "error";
    }
    return "?";
}

TcpConnection& TcpConnection::operator=(TcpConnection&& o) noexcept {
    if (this != &o) {
        close();
        _fd = o._fd;
        o._fd = -1;
    }
    return *this;
}

bool TcpConnection::connect(uint16_t port, const Deadline& d, int rcvbuf,
                            const std::string& source) {
    close();
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!source.empty()) {
        sockaddr_in src{};
        src.sin_family = AF_INET;
        // The port is picked at connect() time, by the whole 4-tuple.
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (::inet_pton(AF_INET, source.c_str(), &src.sin_addr) != 1) {
            ::close(fd);
            errno = EINVAL;
            return false;
        }
        if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
            int e = errno;
            ::close(fd);
            errno = e;
            return false;
        }
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        if (errno != EINPROGRESS) {
            int e = errno;
            ::close(fd);
            errno = e;
            return false;
        }
        pollfd p{fd, POLLOUT, 0};
        int r = ::poll(&p, 1, d.poll_ms());
        int err = 0;
        socklen_t len = sizeof err;
        if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            ::close(fd);
            errno = r == 0 ? ETIMEDOUT : err;
            return false;
        }
    }
    _fd = fd;
    return true;
}

bool TcpConnection::send_all(std::string_view bytes, const Deadline& d) {
    while (!bytes.empty()) {
        ssize_t n = ::send(_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
            bytes.remove_prefix(size_t(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) return false;
        pollfd p{_fd, POLLOUT, 0};
        if (::poll(&p, 1, d.poll_ms()) <= 0) return false;
    }
    return true;
}

RecvResult TcpConnection::recv_some(const Deadline& d, size_t max) {
    RecvResult r;
    std::string buf(max, '\0');
    for (;;) {
        ssize_t n = ::recv(_fd, buf.data(), buf.size(), 0);
        if (n > 0) {
            buf.resize(size_t(n));
            r.bytes = std::move(buf);
            return r;
        }
        if (n == 0) {
            r.status = IoStatus::eof;
            return r;
        }
        if (errno == EINTR) continue;
        if (errno == ECONNRESET) {
            r.status = IoStatus::reset;
            return r;
        }
        if (errno != EAGAIN) {
            r.status = IoStatus::error;
            r.error = errno;
            return r;
        }
        pollfd p{_fd, POLLIN, 0};
        int pr = ::poll(&p, 1, d.poll_ms());
        if (pr == 0) {
            r.status = IoStatus::timeout;
            return r;
        }
        if (pr < 0 && errno != EINTR) {
            r.status = IoStatus::error;
            r.error = errno;
            return r;
        }
    }
}

RecvResult TcpConnection::read_to_eof(const Deadline& d) {
    RecvResult all;
    for (;;) {
        RecvResult r = recv_some(d);
        all.bytes += r.bytes;
        if (r.status != IoStatus::ok) {
            all.status = r.status;
            all.error = r.error;
            return all;
        }
    }
}

bool TcpConnection::readable_now() const {
    pollfd p{_fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

void TcpConnection::close() {
    if (_fd >= 0) ::close(_fd);
    _fd = -1;
}

void TcpConnection::close_abortive() {
    if (_fd < 0) return;
    linger l{1, 0};
    setsockopt(_fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close();
}

void TcpConnection::shutdown_write() {
    if (_fd >= 0) ::shutdown(_fd, SHUT_WR);
}

}  // namespace ringcast::itest

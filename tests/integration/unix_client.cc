#include "unix_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace ringcast::itest {

bool UnixClient::connect(const std::string& path, const Deadline& d) {
    close();
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) {
        _error = "socket path too long: " + path;
        return false;
    }
    std::memcpy(sa.sun_path, path.data(), path.size());
    // The socket appears once the daemon is ready; connect until then.
    for (;;) {
        _fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (::connect(_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return true;
        int e = errno;
        ::close(_fd);
        _fd = -1;
        if ((e != ENOENT && e != ECONNREFUSED && e != EAGAIN) || d.expired()) {
            _error = "connect " + path + ": " + std::strerror(e);
            return false;
        }
        poll(nullptr, 0, d.poll_ms(10));
    }
}

bool UnixClient::send(std::string_view bytes, const Deadline& d) {
    while (!bytes.empty()) {
        ssize_t n = ::send(_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
            bytes.remove_prefix(size_t(n));
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            _error = std::string("send: ") + std::strerror(errno);
            return false;
        }
        pollfd p{_fd, POLLOUT, 0};
        if (poll(&p, 1, d.poll_ms()) == 0 && d.expired()) {
            _error = "send: timed out (the daemon is not reading)";
            return false;
        }
    }
    return true;
}

bool UnixClient::fill(const Deadline& d) {
    if (_eof) return false;
    for (;;) {
        char buf[65536];
        ssize_t n = ::recv(_fd, buf, sizeof buf, 0);
        if (n > 0) {
            _buf.append(buf, size_t(n));
            return true;
        }
        if (n == 0) {
            _eof = true;
            _error = "the daemon closed the connection";
            return false;
        }
        if (errno != EAGAIN && errno != EINTR) {
            _error = std::string("recv: ") + std::strerror(errno);
            return false;
        }
        pollfd p{_fd, POLLIN, 0};
        if (poll(&p, 1, d.poll_ms()) == 0 && d.expired()) {
            _error = "timed out waiting for a reply";
            return false;
        }
    }
}

std::optional<std::string> UnixClient::read_line(const Deadline& d) {
    for (;;) {
        size_t nl = _buf.find('\n');
        if (nl != std::string::npos) {
            std::string line = _buf.substr(0, nl);
            _buf.erase(0, nl + 1);
            return line;
        }
        if (!fill(d)) return std::nullopt;
    }
}

std::optional<std::string> UnixClient::request(std::string_view line, const Deadline& d) {
    std::string l(line);
    l += '\n';
    if (!send(l, d)) return std::nullopt;
    return read_line(d);
}

bool UnixClient::await_close(const Deadline& d, std::vector<std::string>* lines) {
    for (;;) {
        while (true) {
            size_t nl = _buf.find('\n');
            if (nl == std::string::npos) break;
            if (lines) lines->push_back(_buf.substr(0, nl));
            _buf.erase(0, nl + 1);
        }
        if (!fill(d)) return _eof || _error.rfind("recv:", 0) == 0;
    }
}

void UnixClient::shutdown_write() {
    if (_fd >= 0) ::shutdown(_fd, SHUT_WR);
}

void UnixClient::close() {
    if (_fd >= 0) ::close(_fd);
    _fd = -1;
    _buf.clear();
    _eof = false;
}

}  // namespace ringcast::itest

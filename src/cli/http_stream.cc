#include "cli/http_stream.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace ringcast::cli {

namespace {

constexpr size_t kMaxHead = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

}  // namespace

std::string HttpAddress::text() const {
    return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                               : fmt::format("{}:{}", host, port);
}

std::optional<HttpAddress> parse_http_address(std::string_view s) {
    if (s.starts_with("http://")) s.remove_prefix(7);
    if (!s.empty() && s.back() == '/') s.remove_suffix(1);
    HttpAddress a;
    size_t colon;
    if (s.starts_with("[")) {
        size_t close = s.find(']');
        if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
            return std::nullopt;
        a.host = s.substr(1, close - 1);
        colon = close + 1;
    } else {
        colon = s.rfind(':');
        if (colon == std::string_view::npos || colon == 0) return std::nullopt;
        a.host = s.substr(0, colon);
        if (a.host.find(':') != std::string::npos) return std::nullopt;  // IPv6 needs [ ]
    }
    std::string_view port = s.substr(colon + 1);
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p == 0 ||
        p > 65535)
        return std::nullopt;
    a.port = port;
    return a;
}

HttpStream::~HttpStream() {
    if (_fd >= 0) ::close(_fd);
}

WaitResult HttpStream::wait(short events, SteadyClock::time_point deadline) {
    for (;;) {
        auto left = deadline - SteadyClock::now();
        if (left < SteadyClock::duration::zero()) left = SteadyClock::duration::zero();
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        timespec ts{time_t(ns / 1000000000), long(ns % 1000000000)};
        pollfd p{_fd, events, 0};
        int r = ::ppoll(&p, 1, &ts, &_wait_mask);
        if (r > 0) return WaitResult::ready;
        if (r == 0) return WaitResult::timeout;
        if (errno == EINTR) {
            _interrupted = true;
            return WaitResult::interrupted;
        }
        _error = std::strerror(errno);
        return WaitResult::error;
    }
}

bool HttpStream::connect(const HttpAddress& a, SteadyClock::time_point deadline) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    if (int r = ::getaddrinfo(a.host.c_str(), a.port.c_str(), &hints, &list)) {
        _error = fmt::format("cannot resolve {}: {}", a.host, gai_strerror(r));
        return false;
    }
    std::string why = "no address";
    for (addrinfo* ai = list; ai; ai = ai->ai_next) {
        _fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       ai->ai_protocol);
        if (_fd < 0) {
            why = std::strerror(errno);
            continue;
        }
        int r = ::connect(_fd, ai->ai_addr, ai->ai_addrlen);
        if (r != 0 && errno == EINPROGRESS) {
            WaitResult w = wait(POLLOUT, deadline);
            int err = 0;
            socklen_t len = sizeof err;
            if (w == WaitResult::ready &&
                ::getsockopt(_fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
                r = 0;
            else if (w == WaitResult::timeout)
                errno = ETIMEDOUT;
            else if (w == WaitResult::interrupted)
                errno = EINTR;
            else
                errno = err ? err : errno;
        }
        if (r == 0) {
            ::freeaddrinfo(list);
            return true;
        }
        why = std::strerror(errno);
        ::close(_fd);
        _fd = -1;
        if (_interrupted) break;
    }
    ::freeaddrinfo(list);
    _error = fmt::format("cannot connect to ringcastd at http://{}: {}", a.text(), why);
    return false;
}

bool HttpStream::send_all(std::string_view bytes, SteadyClock::time_point deadline) {
    while (!bytes.empty()) {
        ssize_t n = ::send(_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
            bytes.remove_prefix(size_t(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            WaitResult w = wait(POLLOUT, deadline);
            if (w == WaitResult::ready) continue;
            if (w == WaitResult::timeout) _error = "timed out sending the request";
            return false;
        }
        _error = fmt::format("sending the request: {}", std::strerror(errno));
        return false;
    }
    return true;
}

WaitResult HttpStream::read_some(SteadyClock::time_point deadline, size_t* n) {
    *n = 0;
    for (;;) {
        char buf[65536];
        ssize_t r = ::recv(_fd, buf, sizeof buf, MSG_DONTWAIT);
        if (r > 0) {
            _buf.append(buf, size_t(r));
            *n = size_t(r);
            return WaitResult::ready;
        }
        if (r == 0) return WaitResult::ready;  // EOF
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            _error = std::strerror(errno);
            return WaitResult::error;
        }
        WaitResult w = wait(POLLIN, deadline);
        if (w != WaitResult::ready) return w;
    }
}

bool HttpStream::read_head(ResponseHead* head, SteadyClock::time_point deadline) {
    size_t end;
    while ((end = _buf.find("\r\n\r\n")) == std::string::npos) {
        if (_buf.size() > kMaxHead) {
            _error = "the response head is too large";
            return false;
        }
        size_t n = 0;
        WaitResult w = read_some(deadline, &n);
        if (w == WaitResult::timeout) _error = "no response in time";
        if (w != WaitResult::ready) return false;
        if (n == 0) {
            _error = "the connection closed before a response";
            return false;
        }
    }
    std::string_view h(_buf.data(), end);
    size_t eol = h.find("\r\n");
    std::string_view status_line = h.substr(0, eol);
    // "HTTP/1.1 200 OK"
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 ||
        std::from_chars(status_line.data() + 9, status_line.data() + 12, head->status).ec !=
            std::errc()) {
        _error = fmt::format("not an HTTP response: {}", status_line.substr(0, 80));
        return false;
    }
    head->reason = status_line.size() > 13 ? status_line.substr(13) : "";
    std::string_view rest = eol == std::string_view::npos ? "" : h.substr(eol + 2);
    while (!rest.empty()) {
        size_t next = rest.find("\r\n");
        std::string_view field = rest.substr(0, next);
        rest = next == std::string_view::npos ? "" : rest.substr(next + 2);
        size_t colon = field.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view value = field.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
            value.remove_prefix(1);
        if (iequals(field.substr(0, colon), "content-length")) {
            size_t len = 0;
            if (std::from_chars(value.data(), value.data() + value.size(), len).ec == std::errc())
                head->content_length = len;
        }
    }
    _buf.erase(0, end + 4);
    return true;
}

}  // namespace ringcast::cli

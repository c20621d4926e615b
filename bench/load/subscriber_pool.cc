#include "subscriber_pool.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include "clock.h"
#include "stream_scan.h"

namespace ringcast::load {

namespace {

constexpr size_t kReadBuffer = 256 * 1024;

}  // namespace

SubscriberPool::SubscriberPool(const PoolConfig& cfg, int epoll_fd)
    : _cfg(cfg), _epoll(epoll_fd), _conns(cfg.count), _buf(kReadBuffer) {
    _trackers.resize(size_t(cfg.count) * cfg.publishers);
    if (cfg.watch) _watches.resize(cfg.count);
    for (uint32_t p = 0; p < cfg.publishers; ++p) {
        _first_measured.push_back(local_count(cfg.warmup_events, p));
        _final.push_back(local_count(cfg.planned_events, p));
    }
    if (cfg.h2_streams) {
        make_links();
    } else {
        for (uint32_t i = 0; i < cfg.count; ++i)
            _pending.push_back(i);
        for (const StreamRequest& r : cfg.requests)
            _request_text.push_back(http1_request_text(r));
    }
    _result.connections = cfg.count;
    if (cfg.tls) {
        std::string error;
        _tls = TlsClientContext::make(cfg.tls_ca, cfg.tls_resume,
                                      cfg.h2_streams ? "h2" : "http/1.1", &error);
        if (!_tls) _failure = error;  // the run cannot start: start_connects() sees it
        _plain.resize(kReadBuffer);
    }
}

SubscriberPool::~SubscriberPool() {
    close_all();
}

void SubscriberPool::close_fd(Conn& c) {
    if (c.fd >= 0) ::close(c.fd);  // closing also removes it from the epoll set
    c.fd = -1;
    c.tls.reset();
}

void SubscriberPool::close_all() {
    for (Conn& c : _conns)
        close_fd(c);
    for (Link& k : _links)
        close_link(k);
}

// --- connect phase -----------------------------------------------------------------

void SubscriberPool::start_connects(uint64_t now) {
    while (_inflight_count < _cfg.concurrency && !_pending.empty() && _failure.empty()) {
        uint32_t i = _pending.front();
        uint64_t due = _cfg.h2_streams ? _links[i].started_ns : _conns[i].started_ns;
        if (due > now) break;  // retry backoff, in FIFO order
        _pending.pop_front();
        if (_cfg.h2_streams) {
            start_link(i, now);
        } else {
            start(i, now);
        }
    }
}

void SubscriberPool::start(uint32_t i, uint64_t now) {
    Conn& c = _conns[i];
    c.state = State::connecting;
    c.started_ns = now;
    c.carry.clear();
    ++_inflight_count;
    _inflight.emplace_back(i, now);
    if (!_result.first_attempt_ns) _result.first_attempt_ns = now;

    std::string error;
    bool for_good = false;
    c.fd = open_socket(_cfg.first_index + i, i, &error, &for_good);
    if (c.fd >= 0) return;
    if (for_good) {
        fail_for_good(i, error);
    } else {
        attempt_failed(i, error, now);
    }
}

int SubscriberPool::open_socket(uint64_t source_index, uint32_t tag, std::string* error,
                                bool* for_good) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        *error = fmt::format("socket(): {}{}", std::strerror(e),
                             e == EMFILE ? " (open-files limit: use more --procs)" : "");
        *for_good = true;
        return -1;
    }
    if (_cfg.arrival) {
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    }
    if (!_cfg.sources.empty()) {
        const sockaddr_in& src = _cfg.sources[source_index % _cfg.sources.size()];
        // Choose the port at connect() time, by the whole 4-tuple: bind() alone
        // would need a port free for every destination and run out far sooner.
        int one = 1;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0) {
            *error = fmt::format("bind(): {}", std::strerror(errno));
            ::close(fd);
            return -1;
        }
    }
    if (connect(fd, reinterpret_cast<const sockaddr*>(&_cfg.target), sizeof _cfg.target) != 0 &&
        errno != EINPROGRESS) {
        int e = errno;
        *error = fmt::format("connect(): {}{}", std::strerror(e),
                             e == EADDRNOTAVAIL ? " (no free local port: use more --sources)" : "");
        ::close(fd);
        return -1;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLET;
    ev.data.u64 = tag;
    if (epoll_ctl(_epoll, EPOLL_CTL_ADD, fd, &ev) != 0) {
        *error = fmt::format("epoll_ctl(): {}", std::strerror(errno));
        *for_good = true;
        ::close(fd);
        return -1;
    }
    return fd;
}

void SubscriberPool::attempt_failed(uint32_t i, std::string why, uint64_t now) {
    Conn& c = _conns[i];
    if (setting_up(c)) --_inflight_count;
    close_fd(c);
    _last_error = why;
    if (++c.attempts > _cfg.retries) {
        fail_for_good(i, why);
        return;
    }
    ++_result.retries;
    c.state = State::idle;
    c.started_ns = now + kRetryBackoffNs * c.attempts;
    _pending.push_back(i);
}

void SubscriberPool::fail_for_good(uint32_t i, std::string why) {
    Conn& c = _conns[i];
    close_fd(c);
    c.state = State::failed;
    if (_failure.empty())
        _failure =
            fmt::format("{} #{} failed after {} attempt{}: {}",
                        _cfg.h2_streams ? "HTTP/2 stream" : "connection", _cfg.first_index + i,
                        c.attempts ? c.attempts : 1, c.attempts > 1 ? "s" : "", why);
}

void SubscriberPool::check_timeouts(uint64_t now) {
    if (_cfg.h2_streams) {
        check_link_timeouts(now);
        return;
    }
    while (!_inflight.empty()) {
        auto [i, started] = _inflight.front();
        const Conn& c = _conns[i];
        bool live = c.started_ns == started && setting_up(c);
        if (!live) {
            _inflight.pop_front();
            continue;
        }
        if (now < started + _cfg.handshake_timeout_ns) return;
        _inflight.pop_front();
        const char* where = c.state == State::connecting      ? "TCP connect"
                            : c.state == State::tls_handshake ? "the TLS handshake"
                            : c.state == State::head          ? "the HTTP response head"
                                                              : "the connected event";
        attempt_failed(i,
                       fmt::format("timed out waiting for {} ({:.1f} s)", where,
                                   double(_cfg.handshake_timeout_ns) / 1e9),
                       now);
    }
}

std::string SubscriberPool::connect_summary() const {
    uint64_t idle = 0, connecting = 0, tls = 0, head = 0, waiting = 0, failed = 0, closed = 0;
    for (const Conn& c : _conns) {
        switch (c.state) {
            case State::idle: ++idle; break;
            case State::connecting: ++connecting; break;
            case State::tls_handshake: ++tls; break;
            case State::head: ++head; break;
            case State::stream: waiting += c.connected ? 0 : 1; break;
            case State::closed: ++closed; break;
            case State::failed: ++failed; break;
        }
    }
    std::string s = fmt::format(
        "{} of {} connected; {} not started or waiting to retry, {} in TCP "
        "connect, {} in the TLS handshake, {} waiting for the response head, {} waiting for "
        "the connected event, {} closed by the server, {} failed; {} retries",
        _result.connected, _cfg.count, idle, connecting, tls, head, waiting, closed, failed,
        _result.retries);
    if (_cfg.h2_streams)
        s += fmt::format("; HTTP/2, {} streams over {} connection{}", _cfg.count, _links.size(),
                         _links.size() == 1 ? "" : "s");
    if (!_last_error.empty()) s += "; last error: " + _last_error;
    return s;
}

// --- socket events -------------------------------------------------------------------

void SubscriberPool::on_ready(uint32_t i, uint32_t events, uint64_t now) {
    if (_cfg.h2_streams) {
        on_link_ready(i, events, now);
        return;
    }
    if (i >= _conns.size()) return;
    Conn& c = _conns[i];
    if (c.fd < 0) return;  // closed earlier in this batch
    if (c.state == State::connecting) {
        on_writable(i, now);
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(i, now);
}

void SubscriberPool::on_writable(uint32_t i, uint64_t now) {
    Conn& c = _conns[i];
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        attempt_failed(i, fmt::format("connect: {}", std::strerror(err)), now);
        return;
    }
    // Edge-triggered: a level-triggered socket is polled again by every later
    // epoll_wait, which costs as much as the read itself at these rates.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = i;
    epoll_ctl(_epoll, EPOLL_CTL_MOD, c.fd, &ev);
    if (_tls) {
        c.tls = std::make_unique<TlsStream>(*_tls);
        c.state = State::tls_handshake;
        if (c.tls->handshake() < 0) {
            attempt_failed(i, c.tls->error(), now);
            return;
        }
        send_tls_output(i, now);  // the ClientHello
        return;
    }
    send_request(i, now);
}

bool SubscriberPool::send_request(uint32_t i, uint64_t now) {
    Conn& c = _conns[i];
    const std::string& request = _request_text[(_cfg.first_index + i) % _request_text.size()];
    c.state = State::head;
    if (c.tls) {
        if (c.tls->write(request)) return send_tls_output(i, now);
        attempt_failed(i, c.tls->error(), now);
        return false;
    }
    ssize_t n = send(c.fd, request.data(), request.size(), MSG_NOSIGNAL);
    if (n != ssize_t(request.size())) {
        // A fresh socket's send buffer holds a few hundred bytes without fail;
        // a short write here means the connection is already broken.
        attempt_failed(
            i, fmt::format("sending the request: {}", n < 0 ? std::strerror(errno) : "short write"),
            now);
        return false;
    }
    return true;
}

bool SubscriberPool::send_tls_output(uint32_t i, uint64_t now) {
    Conn& c = _conns[i];
    std::string out = c.tls->take_output();
    if (out.empty()) return true;
    // A handshake flight or a request: a few kB, which a socket's send buffer
    // takes whole; a short write means the connection is broken.
    ssize_t n = send(c.fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n == ssize_t(out.size())) return true;
    attempt_failed(
        i, fmt::format("sending TLS records: {}", n < 0 ? std::strerror(errno) : "short write"),
        now);
    return false;
}

void SubscriberPool::on_bytes(uint32_t i, const char* data, size_t len, uint64_t now) {
    if (_conns[i].tls) {
        on_tls_bytes(i, data, len, now);
    } else if (_conns[i].state == State::head) {
        on_head_bytes(i, data, len, now);
    } else {
        on_stream_bytes(i, data, len, now);
    }
}

void SubscriberPool::on_tls_bytes(uint32_t i, const char* data, size_t len, uint64_t now) {
    Conn& c = _conns[i];
    c.tls->feed(data, len);
    if (c.state == State::tls_handshake) {
        int r = c.tls->handshake();
        if (r < 0) {
            attempt_failed(i, c.tls->error(), now);
            return;
        }
        if (!send_tls_output(i, now) || r == 0) return;
        ++_result.tls_handshakes;
        if (c.tls->resumed()) ++_result.tls_resumed;
        if (!send_request(i, now)) return;
    }
    // The handlers may close the connection (c.tls goes with it).
    while (c.tls) {
        long n = c.tls->read(_plain.data(), _plain.size());
        if (n == 0) return;
        if (n < 0) {
            on_closed(i, c.tls->error(), now);
            return;
        }
        if (c.state == State::head) {
            on_head_bytes(i, _plain.data(), size_t(n), now);
        } else {
            on_stream_bytes(i, _plain.data(), size_t(n), now);
        }
    }
}

// With edge-triggered epoll the socket must be read until it is empty. A read
// that did not fill the buffer emptied the receive queue (TCP hands over all it
// has), and anything arriving after it raises a new edge, so the EAGAIN read
// that would confirm it is skipped: one recv() per event in the common case.
void SubscriberPool::on_readable(uint32_t i, uint64_t now) {
    Conn& c = _conns[i];
    for (;;) {
        uint64_t at = 0;
        ssize_t n = receive(c.fd, &at);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return;
            on_closed(i, n == 0 ? "closed by the server" : std::strerror(errno), now);
            return;
        }
        on_bytes(i, _buf.data(), size_t(n), at);
        if (size_t(n) < _buf.size() || c.fd < 0) return;
    }
}

// recvmsg for the kernel's receive timestamp (SO_TIMESTAMPNS): when the last
// byte of this read reached the socket, i.e. when the server's send delivered
// it. It does not include the time this process waited for a CPU before
// reading, which on a machine shared with the server says more about the
// machine than about the server.
ssize_t SubscriberPool::receive(int fd, uint64_t* at) {
    iovec iov{_buf.data(), _buf.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd, &msg, 0);
    if (n <= 0) return n;
    // One timestamp per read, taken after it (the loop's `now` is older by
    // the time spent on the sockets before this one).
    *at = now_ns();
    _arrival_ns = *at;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            timespec ts;
            std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            uint64_t real = uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
            uint64_t mono = real - _realtime_minus_mono;
            if (mono <= *at) _arrival_ns = mono;
        }
    }
    return n;
}

void SubscriberPool::on_closed(uint32_t i, const std::string& why, uint64_t now) {
    Conn& c = _conns[i];
    if (!c.connected) {
        attempt_failed(i, why + " before the connected event", now);
        return;
    }
    end_stream(i, why);
    close_fd(c);
}

void SubscriberPool::on_head_bytes(uint32_t i, const char* data, size_t len, uint64_t now) {
    Conn& c = _conns[i];
    c.carry.append(data, len);
    ResponseHead head;
    long used = parse_response_head(c.carry, &head);
    if (used == 0) return;
    if (used < 0) {
        fail_for_good(i, "malformed HTTP response head: " + c.carry.substr(0, 120));
        return;
    }
    if (head.status != 200) {
        std::string body = c.carry.substr(size_t(used), 300);
        fail_for_good(i, fmt::format("the server answered HTTP {}: {}", head.status, body));
        return;
    }
    if (!head.event_stream) {
        fail_for_good(i, "the response is not Content-Type: text/event-stream");
        return;
    }
    if (head.chunked) {
        fail_for_good(i,
                      "the response uses chunked transfer encoding, which SSE streams here "
                      "must not (the load generator does not decode it)");
        return;
    }
    if (_server.empty()) _server = head.server;
    c.state = State::stream;
    std::string rest = c.carry.substr(size_t(used));
    c.carry.clear();
    if (!rest.empty()) on_stream_bytes(i, rest.data(), rest.size(), now);
}

}  // namespace ringcast::load

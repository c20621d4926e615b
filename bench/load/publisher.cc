#include "publisher.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <vector>

#include <fmt/format.h>

#include "clock.h"
#include "payload.h"

namespace ringcast::load {

namespace {

constexpr uint64_t kTimerTag = UINT64_MAX;
constexpr uint64_t kConnectTimeoutNs = 5 * kNsPerSec;

struct InFlight {
    uint64_t index;
    uint64_t written_ns;
};

struct PubConn {
    int fd = -1;
    std::string out;  // bytes not yet accepted by the socket
    std::string in;   // reply bytes not yet parsed
    std::deque<InFlight> inflight;
    bool broken = false;
};

// The string value of "id" in a publish reply ({"id":"<epoch>-<n>",...}).
std::string find_id(std::string_view s) {
    size_t k = s.find("\"id\":");
    if (k == std::string_view::npos) return {};
    size_t open = s.find('"', k + 5);
    size_t close = open == std::string_view::npos ? open : s.find('"', open + 1);
    if (close == std::string_view::npos) return {};
    return std::string(s.substr(open + 1, close - open - 1));
}

bool find_number(std::string_view s, std::string_view key, uint64_t* out) {
    size_t k = s.find(key);
    if (k == std::string_view::npos) return false;
    const char* p = s.data() + k + key.size();
    while (p < s.data() + s.size() && *p == ' ')
        ++p;
    return std::from_chars(p, s.data() + s.size(), *out).ec == std::errc();
}

// One reply at the start of `in`: its length (0: incomplete, -1: malformed).
long parse_reply(std::string_view in, int* status, std::string_view* body, bool* close) {
    size_t end = in.find("\r\n\r\n");
    if (end == std::string_view::npos) return in.size() > 65536 ? -1 : 0;
    if (!in.starts_with("HTTP/1.") || end < 12) return -1;
    if (std::from_chars(in.data() + 9, in.data() + 12, *status).ec != std::errc()) return -1;
    long length = -1;
    *close = false;
    for (size_t pos = in.find("\r\n") + 2; pos < end;) {
        size_t eol = in.find("\r\n", pos);
        std::string_view line = in.substr(pos, eol - pos);
        pos = eol + 2;
        if (line.size() > 15 && strncasecmp(line.data(), "content-length:", 15) == 0) {
            std::string_view v = line.substr(15);
            while (!v.empty() && v.front() == ' ')
                v.remove_prefix(1);
            std::from_chars(v.data(), v.data() + v.size(), length);
        } else if (line.size() > 11 && strncasecmp(line.data(), "connection:", 11) == 0) {
            *close = line.find("close") != std::string_view::npos;
        }
    }
    if (length < 0) return -1;  // replies to publishes always carry a length
    if (in.size() < end + 4 + size_t(length)) return 0;
    *body = in.substr(end + 4, size_t(length));
    return long(end + 4 + size_t(length));
}

int open_connection(const Endpoint& target, std::string* error) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = fmt::format("publisher socket(): {}", std::strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&target.addr), sizeof target.addr) != 0 &&
        errno != EINPROGRESS) {
        *error =
            fmt::format("publisher cannot connect to {}: {}", target.text, std::strerror(errno));
        close(fd);
        return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (poll(&p, 1, int(kConnectTimeoutNs / kNsPerMs)) != 1 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
        *error = fmt::format("publisher cannot connect to {}: {}", target.text,
                             err ? std::strerror(err) : "timed out");
        close(fd);
        return -1;
    }
    return fd;
}

class Publisher {
public:
    explicit Publisher(const PublisherConfig& cfg) : _cfg(cfg), _conns(cfg.connections) {}
    ~Publisher() {
        for (PubConn& c : _conns)
            if (c.fd >= 0) close(c.fd);
        if (_timer >= 0) close(_timer);
        if (_ep >= 0) close(_ep);
    }

    PublishResult run();

private:
    bool setup();
    // --alerts: creates the alert the events then change (its metadata a payload
    // of an earlier run: the subscribers' alerts-update for it is not counted).
    bool create_alert();
    // One request on connection k, answered before it returns (setup only).
    bool exchange(unsigned k, const std::string& request, int* status, std::string* body);
    void write_due(uint64_t now);
    void flush(unsigned k);
    void on_readable(unsigned k, uint64_t now);
    void break_connection(unsigned k, const std::string& why);
    void arm_timer();
    size_t outstanding() const;

    const PublisherConfig& _cfg;
    std::vector<PubConn> _conns;
    int _ep = -1;
    int _timer = -1;
    uint64_t _next = 0;  // next event to write
    std::string _head_prefix;
    std::string _body;
    std::string _alert_id;  // --alerts
    PublishResult _r;
};

bool Publisher::setup() {
    _ep = epoll_create1(EPOLL_CLOEXEC);
    _timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (_ep < 0 || _timer < 0) {
        _r.error = fmt::format("publisher epoll/timerfd: {}", std::strerror(errno));
        return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kTimerTag;
    epoll_ctl(_ep, EPOLL_CTL_ADD, _timer, &ev);
    for (unsigned k = 0; k < _conns.size(); ++k) {
        _conns[k].fd = open_connection(_cfg.target, &_r.error);
        if (_conns[k].fd < 0) return false;
        ev.events = EPOLLIN;
        ev.data.u64 = k;
        epoll_ctl(_ep, EPOLL_CTL_ADD, _conns[k].fd, &ev);
    }
    if (_cfg.alerts && !create_alert()) return false;
    _head_prefix = fmt::format(
        "{} {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{}"
        "Content-Length: ",
        _cfg.alerts ? "PATCH" : "POST", _cfg.alerts ? "/api/alerts/" + _alert_id : _cfg.path,
        _cfg.target.text,
        _cfg.api_key.empty() ? std::string() : "X-API-Key: " + _cfg.api_key + "\r\n");
    return true;
}

bool Publisher::exchange(unsigned k, const std::string& request, int* status, std::string* body) {
    PubConn& c = _conns[k];
    const uint64_t deadline = now_ns() + kConnectTimeoutNs;
    size_t sent = 0;
    while (sent < request.size()) {
        ssize_t n = send(c.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += size_t(n);
            continue;
        }
        pollfd p{c.fd, POLLOUT, 0};
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || now_ns() >= deadline ||
            poll(&p, 1, 100) < 0)
            return false;
    }
    for (;;) {
        std::string_view reply;
        bool close_after = false;
        long used = parse_reply(c.in, status, &reply, &close_after);
        if (used < 0) return false;
        if (used > 0) {
            body->assign(reply);
            c.in.erase(0, size_t(used));
            return true;
        }
        char buf[65536];
        ssize_t n = recv(c.fd, buf, sizeof buf, 0);
        if (n > 0) {
            c.in.append(buf, size_t(n));
            continue;
        }
        pollfd p{c.fd, POLLIN, 0};
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || now_ns() >= deadline ||
            poll(&p, 1, 100) < 0)
            return false;
    }
}

bool Publisher::create_alert() {
    std::string payload;
    append_payload(payload, 0, 0, _cfg.payload);  // ts 0: an earlier run's
    const std::string body = R"({"title":"ringcast-load","metadata":)" + payload + "}";
    const std::string request = fmt::format(
        "POST /api/alerts HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{}"
        "Content-Length: {}\r\n\r\n{}",
        _cfg.target.text,
        _cfg.api_key.empty() ? std::string() : "X-API-Key: " + _cfg.api_key + "\r\n", body.size(),
        body);
    int status = 0;
    std::string reply;
    uint64_t id = 0;
    if (!exchange(0, request, &status, &reply) || status != 201 ||
        !find_number(reply, "\"id\":", &id)) {
        _r.error = fmt::format("--alerts: creating the alert answered {}: {}", status,
                               reply.substr(0, 200));
        return false;
    }
    _alert_id = std::to_string(id);
    return true;
}

size_t Publisher::outstanding() const {
    size_t n = 0;
    for (const PubConn& c : _conns)
        n += c.inflight.size();
    return n;
}

// Writes every event that is due, in order, as long as its connection has room
// in its pipeline. The timestamp in the payload is taken once per batch, right
// before the bytes go to the sockets.
void Publisher::write_due(uint64_t now) {
    const unsigned k_count = unsigned(_conns.size());
    uint64_t stamp = now_ns();
    std::vector<bool> touched(k_count, false);
    while (_next < _cfg.total_events) {
        uint64_t due = scheduled_ns(_cfg.start_ns, _cfg.rate, _next);
        if (due > now) break;
        unsigned k = unsigned(_next % k_count);
        PubConn& c = _conns[k];
        if (c.broken || c.inflight.size() >= _cfg.pipeline) break;
        _body.clear();
        if (_cfg.alerts) {
            // Version 1 was created; change i edits version i + 1.
            _body += "{\"metadata\":";
            append_payload(_body, _cfg.first_seq + _next, stamp, _cfg.payload);
            _body += ",\"version\":" + std::to_string(_next + 1) + "}";
        } else {
            _body += "{\"channel\":\"";
            _body += _cfg.channel;
            _body += "\",\"event\":\"";
            _body += _cfg.event;
            _body += _cfg.persistent ? "\",\"persistent\":true,\"data\":" : "\",\"data\":";
            append_payload(_body, _cfg.first_seq + _next, stamp, _cfg.payload);
            _body += '}';
        }
        c.out += _head_prefix;
        c.out += std::to_string(_body.size());
        c.out += "\r\n\r\n";
        c.out += _body;
        c.inflight.push_back({_next, stamp});
        _r.lag_us.record(stamp > due ? (stamp - due) / 1000 : 0);
        touched[k] = true;
        ++_next;
    }
    for (unsigned k = 0; k < k_count; ++k)
        if (touched[k]) flush(k);
    if (_next > _r.written) {
        _r.written = _next;
        _r.last_write_ns = stamp;
    }
}

void Publisher::flush(unsigned k) {
    PubConn& c = _conns[k];
    while (!c.out.empty() && !c.broken) {
        ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n > 0) {
            c.out.erase(0, size_t(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            break;
        } else {
            break_connection(
                k, fmt::format("publisher connection {}: send: {}", k, std::strerror(errno)));
            return;
        }
    }
    epoll_event ev{};
    ev.events = EPOLLIN | (c.out.empty() ? 0u : uint32_t(EPOLLOUT));
    ev.data.u64 = k;
    epoll_ctl(_ep, EPOLL_CTL_MOD, c.fd, &ev);
}

void Publisher::on_readable(unsigned k, uint64_t now) {
    PubConn& c = _conns[k];
    char buf[65536];
    ssize_t n = recv(c.fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        break_connection(k, fmt::format("publisher connection {} closed by the server{}", k,
                                        c.inflight.empty() ? "" : " with replies outstanding"));
        return;
    }
    if (n < 0) return;
    c.in.append(buf, size_t(n));
    for (;;) {
        int status = 0;
        std::string_view body;
        bool close_after = false;
        long used = parse_reply(c.in, &status, &body, &close_after);
        if (used == 0) break;
        if (used < 0 || c.inflight.empty()) {
            break_connection(
                k, fmt::format("publisher connection {}: {}", k,
                               used < 0 ? "malformed HTTP reply" : "a reply to no request"));
            return;
        }
        InFlight f = c.inflight.front();
        c.inflight.pop_front();
        _r.ack_us.record(now > f.written_ns ? (now - f.written_ns) / 1000 : 0);
        uint64_t sent = 0, failed = 0;
        // An alert's change answers the alert: every stream is targeted.
        if (_cfg.alerts && status == 200) sent = _cfg.subscribers;
        if (status == 200 && (_cfg.alerts || (find_number(body, "\"sent\":", &sent) &&
                                              find_number(body, "\"failed\":", &failed)))) {
            ++_r.acked;
            if (f.index == 0) _r.first_id = find_id(body);
            if (f.index >= _cfg.warmup_events) {
                ++_r.acked_measured;
                _r.daemon_sent += sent;
                _r.daemon_failed += failed;
            }
        } else {
            ++_r.ack_failures;
            if (_r.error.empty())
                _r.error = fmt::format("publish of event {} answered HTTP {}: {}", f.index, status,
                                       std::string(body.substr(0, 200)));
        }
        c.in.erase(0, size_t(used));
        if (close_after) {
            break_connection(
                k, fmt::format("publisher connection {}: the server asked to close it", k));
            return;
        }
    }
}

void Publisher::break_connection(unsigned k, const std::string& why) {
    PubConn& c = _conns[k];
    if (c.broken) return;
    c.broken = true;
    _r.ack_failures += c.inflight.size();
    c.inflight.clear();
    if (_r.error.empty()) _r.error = why;
    epoll_ctl(_ep, EPOLL_CTL_DEL, c.fd, nullptr);
}

// Wakes us when the next event is due, unless its connection's pipeline is
// full: then its next reply (EPOLLIN) is what we wait for, and an already
// expired timer would only make the loop spin.
void Publisher::arm_timer() {
    itimerspec its{};
    const PubConn& c = _conns[_next % _conns.size()];
    if (_next < _cfg.total_events && c.inflight.size() < _cfg.pipeline) {
        uint64_t due = scheduled_ns(_cfg.start_ns, _cfg.rate, _next);
        its.it_value.tv_sec = time_t(due / kNsPerSec);
        its.it_value.tv_nsec = long(due % kNsPerSec);
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
    }
    timerfd_settime(_timer, TFD_TIMER_ABSTIME, &its, nullptr);
}

PublishResult Publisher::run() {
    if (!setup()) return _r;
    epoll_event events[64];
    uint64_t ack_deadline = 0;
    for (;;) {
        uint64_t now = now_ns();
        write_due(now);
        bool any_broken = false;
        for (const PubConn& c : _conns)
            any_broken |= c.broken;
        if (any_broken) break;  // cannot keep per-publisher order any more: stop
        if (_next >= _cfg.total_events) {
            if (outstanding() == 0) break;
            if (!ack_deadline) ack_deadline = now + _cfg.ack_timeout_ns;
            if (now >= ack_deadline) {
                size_t left = outstanding();
                _r.ack_failures += left;
                if (_r.error.empty())
                    _r.error = fmt::format(
                        "{} publish replies missing {:.1f} s after the last "
                        "event",
                        left, double(_cfg.ack_timeout_ns) / 1e9);
                break;
            }
        } else if (now >= _cfg.send_deadline_ns) {
            _r.error = fmt::format(
                "the publisher fell behind: event {} of {} was still unsent "
                "at the deadline (rate too high for --pipeline/--publishers, "
                "or the server is not answering)",
                _next, _cfg.total_events);
            _r.ack_failures += outstanding();
            break;
        }
        arm_timer();
        int n = epoll_wait(_ep, events, 64, 100);
        now = now_ns();
        for (int i = 0; i < n; ++i) {
            uint64_t tag = events[i].data.u64;
            if (tag == kTimerTag) {
                uint64_t expirations;
                ssize_t r = read(_timer, &expirations, sizeof expirations);
                (void)r;
                continue;
            }
            unsigned k = unsigned(tag);
            if (_conns[k].broken) continue;
            if (events[i].events & EPOLLOUT) flush(k);
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(k, now);
        }
    }
    return _r;
}

}  // namespace

uint64_t scheduled_ns(uint64_t start_ns, double rate, uint64_t index) {
    return start_ns + uint64_t(std::llround(double(index) * 1e9 / rate));
}

PublishResult run_publisher(const PublisherConfig& cfg) {
    Publisher p(cfg);
    return p.run();
}

}  // namespace ringcast::load

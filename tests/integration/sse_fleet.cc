#include "sse_fleet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "http_client.h"

namespace ringcast::itest {

std::vector<const SseEvent*> FleetClient::data_events() const {
    std::vector<const SseEvent*> out;
    for (const auto& e : events)
        if (e.type != "connected" && e.type != "heartbeat") out.push_back(&e);
    return out;
}

SseFleet::SseFleet(uint16_t port) : _port(port), _buf(64 * 1024) {
    _epoll = epoll_create1(EPOLL_CLOEXEC);
    // Hundreds of sockets: make sure the soft open-files limit is not the cap.
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

SseFleet::~SseFleet() {
    for (auto& c : _clients)
        if (c->fd >= 0) ::close(c->fd);
    if (_epoll >= 0) ::close(_epoll);
}

size_t SseFleet::add(std::string target, int rcvbuf, const std::string& source,
                     const Headers& headers) {
    size_t i = _clients.size();
    auto c = std::make_unique<FleetClient>();
    c->target = std::move(target);
    Headers all = {{"Accept", "text/event-stream"}};
    all.insert(all.end(), headers.begin(), headers.end());
    c->out = build_request("GET", c->target, {}, all);
    FleetClient& cl = *c;
    _clients.push_back(std::move(c));

    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail(cl, std::string("socket: ") + std::strerror(errno));
        return i;
    }
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    cl.fd = fd;
    if (!source.empty()) {
        sockaddr_in src{};
        src.sin_family = AF_INET;
        if (::inet_pton(AF_INET, source.c_str(), &src.sin_addr) != 1) {
            fail(cl, "not an IPv4 address: " + source);
            return i;
        }
        // The port is picked at connect() time, by the whole 4-tuple.
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
            fail(cl, "bind " + source + ": " + std::strerror(errno));
            return i;
        }
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
        fail(cl, std::string("connect: ") + std::strerror(errno));
        return i;
    }
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = i;
    epoll_ctl(_epoll, EPOLL_CTL_ADD, fd, &ev);
    return i;
}

void SseFleet::fail(FleetClient& c, std::string why) {
    if (c.error.empty()) c.error = std::move(why);
    finish(c);
}

void SseFleet::finish(FleetClient& c) {
    if (c.fd >= 0) {
        epoll_ctl(_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        c.fd = -1;
    }
    c.state = FleetClient::State::closed;
}

void SseFleet::pump(int timeout_ms) {
    epoll_event evs[256];
    int n = epoll_wait(_epoll, evs, 256, timeout_ms);
    for (int k = 0; k < n; ++k)
        on_ready(size_t(evs[k].data.u64), evs[k].events);
    // More may be ready than one batch held: take it without waiting.
    while (n == 256) {
        n = epoll_wait(_epoll, evs, 256, 0);
        for (int k = 0; k < n; ++k)
            on_ready(size_t(evs[k].data.u64), evs[k].events);
    }
}

bool SseFleet::run_until(const std::function<bool()>& pred, const Deadline& d) {
    while (!pred()) {
        if (d.expired()) return pred();
        pump(d.poll_ms(100));
    }
    return true;
}

void SseFleet::on_ready(size_t i, uint32_t events) {
    FleetClient& c = *_clients[i];
    if (c.fd < 0) return;
    if (c.state == FleetClient::State::connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) return fail(c, std::string("connect: ") + std::strerror(err));
        while (!c.out.empty()) {
            ssize_t w = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EAGAIN) return;  // EPOLLOUT again later
                return fail(c, std::string("send: ") + std::strerror(errno));
            }
            c.out.erase(0, size_t(w));
        }
        c.state = FleetClient::State::streaming;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u64 = i;
        epoll_ctl(_epoll, EPOLL_CTL_MOD, c.fd, &ev);
    }
    if (c.reading && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        read_client(c);
    } else if (!c.reading && (events & (EPOLLHUP | EPOLLERR))) {
        // Hang-ups are reported even with no events asked for: stop watching
        // the socket (it stays open, unread) so the loop does not spin on it.
        epoll_ctl(_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
    }
}

void SseFleet::read_client(FleetClient& c) {
    for (;;) {
        ssize_t n = ::recv(c.fd, _buf.data(), _buf.size(), 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            c.ended = true;
            if (errno != ECONNRESET) c.error = std::string("recv: ") + std::strerror(errno);
            return finish(c);
        }
        if (n == 0) {
            c.ended = true;
            return finish(c);
        }
        std::string_view bytes(_buf.data(), size_t(n));
        if (!c.head_done) {
            size_t before = c.head.size();
            c.head.append(bytes);
            size_t end = c.head.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (c.head.size() > 64 * 1024) return fail(c, "response head too long");
                continue;
            }
            HttpResponse r;
            if (!parse_response_head(std::string_view(c.head).substr(0, end), &r))
                return fail(c, "malformed response head: " + c.head.substr(0, 200));
            c.status = r.status;
            c.head_done = true;
            bytes = bytes.substr(end + 4 - before);
            c.head.resize(end + 4);
            if (c.status != 200) return fail(c, "status " + std::to_string(c.status));
            if (auto te = r.header("transfer-encoding"); te && te->find("chunked") != te->npos)
                c.chunked.emplace();
        }
        std::string payload;
        if (c.chunked) {
            if (!c.chunked->feed(bytes, &payload)) return fail(c, "broken chunked framing");
            bytes = payload;
        }
        c.body_bytes += bytes.size();
        c.parser.feed(bytes, [&](const SseEvent& e) {
            if (e.type == "connected" && !c.connected) c.connected = Json::parse(e.data);
            c.events.push_back(e);
        });
    }
}

bool SseFleet::all_connected() const {
    for (const auto& c : _clients)
        if (!c->connected && !c->closed_by_us) return false;
    return true;
}

void SseFleet::close(size_t i, bool abortive) {
    FleetClient& c = *_clients[i];
    if (c.fd < 0) return;
    if (abortive) {
        linger l{1, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    c.closed_by_us = true;
    finish(c);
}

void SseFleet::stop_reading(size_t i) {
    FleetClient& c = *_clients[i];
    c.reading = false;
    if (c.fd < 0) return;
    // Keep the socket, but stop asking for input readiness: its receive
    // buffer fills and the daemon's sends back up.
    epoll_event ev{};
    ev.events = 0;
    ev.data.u64 = i;
    epoll_ctl(_epoll, EPOLL_CTL_MOD, c.fd, &ev);
}

void SseFleet::resume_reading(size_t i) {
    FleetClient& c = *_clients[i];
    c.reading = true;
    if (c.fd < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = i;
    if (epoll_ctl(_epoll, EPOLL_CTL_MOD, c.fd, &ev) != 0)
        epoll_ctl(_epoll, EPOLL_CTL_ADD, c.fd, &ev);
}

std::string SseFleet::problems() const {
    std::string s;
    size_t shown = 0, total = 0;
    for (size_t i = 0; i < _clients.size(); ++i) {
        const FleetClient& c = *_clients[i];
        if (c.connected && c.state == FleetClient::State::streaming) continue;
        if (c.closed_by_us) continue;
        ++total;
        if (shown++ < 5)
            s += "client " + std::to_string(i) + " (" + c.target + "): status " +
                 std::to_string(c.status) + (c.ended ? ", ended" : "") +
                 (c.error.empty() ? "" : ", " + c.error) + "; ";
    }
    return std::to_string(total) + " clients not streaming. " + s;
}

}  // namespace ringcast::itest

// RedisLink: making a connection (cluster/redis_link.h): the address (a
// host name resolved on the blocking worker), the connect through the ring,
// and the handshake that brings the link up.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "cluster/redis_link.h"
#include "core/blocking_worker.h"
#include "core/reactor.h"
#include "core/user_data.h"

namespace ringcast {

// getaddrinfo blocks (DNS), so a host name is resolved on the daemon's
// blocking worker and the answer comes back to the link's shard in its loop.
class ResolveJob final : public BlockingJob {
public:
    ResolveJob(RedisLink& link, uint64_t generation, std::string host, uint16_t port)
        : _link(link)
        , _alive(link._alive)
        , _generation(generation)
        , _host(std::move(host))
        , _port(port) {}
    void work() override {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        _error = getaddrinfo(_host.c_str(), std::to_string(_port).c_str(), &hints, &res);
        if (_error != 0) {
            _why = fmt::format("cannot resolve {}: {}", _host, gai_strerror(_error));
            return;
        }
        std::memcpy(&_addr, res->ai_addr, res->ai_addrlen);
        _len = res->ai_addrlen;
        freeaddrinfo(res);
    }
    void complete() override {
        // A resolution that outlived its link, or its attempt (a timeout, a
        // stop), is dropped. The token and the link belong to this shard's
        // thread, where complete() runs.
        if (_alive.expired()) return;
        if (_link._generation == _generation && _link._state == RedisLink::State::resolving)
            _link.resolved(_error, _addr, _len, std::move(_why));
    }

private:
    RedisLink& _link;
    std::weak_ptr<bool> _alive;
    uint64_t _generation;
    std::string _host;
    uint16_t _port;
    int _error = 0;
    std::string _why;
    sockaddr_storage _addr{};
    socklen_t _len = 0;
};

void RedisLink::attempt() {
    ++_generation;
    _reader = std::make_unique<RespReader>();
    _reactor.timers().schedule(&_connect_timer, _reactor.now_ms() + _opts.connect_timeout_ms);
    const RedisEndpoint& e = _opts.endpoint;
    if (e.is_unix) {
        sockaddr_un un{};
        un.sun_family = AF_UNIX;
        std::memcpy(un.sun_path, e.path.data(), e.path.size());  // checked: it fits
        connect_to(reinterpret_cast<sockaddr*>(&un),
                   socklen_t(offsetof(sockaddr_un, sun_path) + e.path.size() + 1));
        return;
    }
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    if (inet_pton(AF_INET, e.host.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(e.port);
        connect_to(reinterpret_cast<sockaddr*>(&v4), sizeof v4);
    } else if (inet_pton(AF_INET6, e.host.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(e.port);
        connect_to(reinterpret_cast<sockaddr*>(&v6), sizeof v6);
    } else if (_worker) {
        _state = State::resolving;
        _worker->submit(_reactor.id(),
                        std::make_unique<ResolveJob>(*this, _generation, e.host, e.port));
    } else {
        _state = State::connecting;  // so that drop() applies
        drop(fmt::format("cannot resolve {}: no resolver here (give an address)", e.host));
    }
}

void RedisLink::resolved(int error, const sockaddr_storage& addr, socklen_t len, std::string why) {
    if (error != 0) {
        _state = State::connecting;
        drop(std::move(why));
        return;
    }
    connect_to(reinterpret_cast<const sockaddr*>(&addr), len);
}

void RedisLink::connect_to(const sockaddr* addr, socklen_t len) {
    _state = State::connecting;
    // A blocking socket: io_uring waits for it without blocking the thread
    // (the transport's accepted sockets are the same).
    _fd = ::socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (_fd < 0) {
        drop(fmt::format("socket: {}", std::strerror(errno)));
        return;
    }
    if (addr->sa_family != AF_UNIX) {
        // Commands are small and pipelined per turn: Nagle would only delay them.
        int one = 1;
        ::setsockopt(_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    std::memcpy(&_addr, addr, len);
    io_uring_sqe* sqe = _reactor.ring().sqe();
    if (!sqe) {
        drop("the ring took no more submissions");
        return;
    }
    io_uring_prep_connect(sqe, _fd, reinterpret_cast<sockaddr*>(&_addr), len);
    io_uring_sqe_set_data64(sqe, tag(Op::redis_connect, this));
    ++_ops;
}

void RedisLink::on_connected(int res) {
    if (res < 0) {
        drop(fmt::format("connect to {}: {}", _opts.endpoint.describe(), std::strerror(-res)));
        return;
    }
    _state = State::handshake;
    arm_recv();
    if (_state == State::handshake) begin_handshake();
}

// Pipelined in one send: AUTH, SELECT, the subscriptions held, and a PING
// whose answer makes the link up. A refusal of AUTH or SELECT is a failed
// attempt, with Redis's words as the reason (WRONGPASS..., ERR DB index...).
void RedisLink::begin_handshake() {
    const RedisEndpoint& e = _opts.endpoint;
    auto refused = [this](const char* what) {
        return [this, what](const RespValue& v) {
            if (v.type == RespValue::Type::error)
                drop(fmt::format("Redis refused {}: {}", what, v.str));
        };
    };
    if (e.has_password) {
        Pending p{refused("AUTH")};
        p.internal = true;
        if (e.user.empty())
            write(std::initializer_list<std::string_view>{"AUTH", e.password}, std::move(p));
        else
            write(std::initializer_list<std::string_view>{"AUTH", e.user, e.password},
                  std::move(p));
    }
    if (e.db != 0) {
        Pending p{refused("SELECT")};
        p.internal = true;
        const std::string db = std::to_string(e.db);
        write(std::initializer_list<std::string_view>{"SELECT", db}, std::move(p));
    }
    for (const auto* set : {&_channels, &_patterns}) {
        if (set->empty()) continue;
        std::vector<std::string_view> args{set == &_channels ? "SUBSCRIBE" : "PSUBSCRIBE"};
        for (const std::string& name : *set)
            args.push_back(name);
        Pending p{refused(set == &_channels ? "SUBSCRIBE" : "PSUBSCRIBE")};
        p.internal = true;
        p.replies = uint32_t(set->size());
        write(args, std::move(p));
    }
    Pending ping{[this](const RespValue& v) {
        if (v.is_error()) {  // no_reply: the connection is gone already
            if (v.type == RespValue::Type::error)
                drop(fmt::format("Redis refused PING: {}", v.str));
            return;
        }
        set_up(true, "");
    }};
    ping.internal = true;
    write(std::initializer_list<std::string_view>{"PING"}, std::move(ping));
}

}  // namespace ringcast

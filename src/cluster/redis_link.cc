#include "cluster/redis_link.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cluster/resp_writer.h"
#include "core/clock.h"
#include "core/reactor.h"
#include "core/user_data.h"

namespace ringcast {

namespace {

// One receive buffer per link (a shard holds one or two links): replies are
// copied into the reader at once, so the buffer is free again for the next
// receive. Large replies simply take several receives.
constexpr size_t kInSize = 16 * 1024;

}  // namespace

RedisLink::RedisLink(Reactor& reactor, BlockingWorker* worker, RedisRole role,
                     RedisLinkOptions opts)
    : _reactor(reactor)
    , _worker(worker)
    , _role(role)
    , _opts(std::move(opts))
    , _in(new char[kInSize])
    , _backoff(_opts.reconnect_min_ms, _opts.reconnect_max_ms,
               uint64_t(mono_ns()) ^ (uint64_t(reactor.id()) << 48) ^
                   uint64_t(reinterpret_cast<uintptr_t>(this))) {}

RedisLink::~RedisLink() {
    TimerWheel& t = _reactor.timers();
    for (TimerNode* n : {&_connect_timer, &_command_timer, &_retry_timer, &_ping_timer})
        t.cancel(n);
    if (_fd >= 0) ::close(_fd);
}

void RedisLink::start() {
    if (_state != State::idle) return;
    _stats.down_since_ms = _reactor.now_ms();
    attempt();
}

void RedisLink::on_completion(const io_uring_cqe& cqe) {
    --_ops;
    const Op op = op_of(cqe.user_data);
    if (op == Op::redis_recv) _recv_armed = false;
    if (op == Op::redis_send) _send_busy = false;
    if (_state == State::closing) {
        maybe_closed();
        return;
    }
    switch (op) {
        case Op::redis_connect: on_connected(cqe.res); break;
        case Op::redis_recv: on_recv(cqe.res); break;
        case Op::redis_send: on_send(cqe.res); break;
        default: break;
    }
}

void RedisLink::write(std::span<const std::string_view> args, Pending p) {
    RespWriter(_out).command(args);
    p.sent_ms = _reactor.now_ms();
    _pending.push_back(std::move(p));
    if (!_command_timer.linked()) arm_command_timer();
}

void RedisLink::flush() {
    if ((_state != State::handshake && _state != State::up) || _send_busy) return;
    if (_wire_sent == _wire.size()) {
        if (_out.empty()) return;
        _wire.swap(_out);  // both keep their capacity: no allocation in steady state
        _out.clear();
        _wire_sent = 0;
    }
    io_uring_sqe* sqe = _reactor.ring().sqe();
    if (!sqe) return;  // the next turn tries again
    io_uring_prep_send(sqe, _fd, _wire.data() + _wire_sent, _wire.size() - _wire_sent,
                       MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, tag(Op::redis_send, this));
    ++_ops;
    _send_busy = true;
}

void RedisLink::on_send(int res) {
    if (res < 0) {
        drop(fmt::format("send: {}", std::strerror(-res)));
        return;
    }
    _wire_sent += size_t(res);  // a short write continues at the next flush()
    if (_wire_sent == _wire.size()) {
        _wire.clear();
        _wire_sent = 0;
    }
}

void RedisLink::arm_recv() {
    io_uring_sqe* sqe = _reactor.ring().sqe();
    if (!sqe) {
        drop("the ring took no more submissions");
        return;
    }
    io_uring_prep_recv(sqe, _fd, _in.get(), kInSize, 0);
    io_uring_sqe_set_data64(sqe, tag(Op::redis_recv, this));
    ++_ops;
    _recv_armed = true;
}

void RedisLink::on_recv(int res) {
    if (res == 0) {
        drop("Redis closed the connection");
        return;
    }
    if (res < 0) {
        drop(fmt::format("receive: {}", std::strerror(-res)));
        return;
    }
    if (!_reader->feed(_in.get(), size_t(res))) {
        drop(_reader->error());
        return;
    }
    // A completion may drop the connection (a refused AUTH) or stop the link:
    // the replies after it belong to a connection that is gone.
    const uint64_t generation = _generation;
    while (_generation == generation && (_state == State::handshake || _state == State::up)) {
        std::optional<RespValue> v = _reader->next();
        if (!v) {
            if (!_reader->error().empty()) drop(_reader->error());
            break;
        }
        dispatch(std::move(*v));
    }
    if (_generation == generation && (_state == State::handshake || _state == State::up))
        arm_recv();
}

void RedisLink::dispatch(RespValue&& v) {
    if (_role == RedisRole::subscriber && dispatch_push(v)) return;
    pop_front_reply(std::move(v));
}

// A subscriber link's arrays: messages for the handler, and the
// confirmations of (P)(UN)SUBSCRIBE, one per channel, which answer the
// command at the front. Anything else (the PING's ["pong", ""], an error)
// answers the front command as on a command link.
bool RedisLink::dispatch_push(RespValue& v) {
    if (!v.is_array() || v.elements.size() < 3 || v.elements[0].type != RespValue::Type::bulk)
        return false;
    const std::string& kind = v.elements[0].str;
    if (kind == "message") {
        ++_stats.messages;
        if (_on_message) _on_message(v.elements[1].str, v.elements[2].str, {});
        return true;
    }
    if (kind == "pmessage" && v.elements.size() >= 4) {
        ++_stats.messages;
        if (_on_message) _on_message(v.elements[2].str, v.elements[3].str, v.elements[1].str);
        return true;
    }
    if (kind == "subscribe" || kind == "psubscribe" || kind == "unsubscribe" ||
        kind == "punsubscribe") {
        if (_pending.empty()) return true;  // an unsubscribe Redis volunteered: nothing waits
        Pending& front = _pending.front();
        if (front.replies > 1) {
            --front.replies;
            return true;
        }
        return false;  // the last confirmation answers the command
    }
    return false;
}

void RedisLink::pop_front_reply(RespValue&& v) {
    if (_pending.empty()) {
        drop(fmt::format("a reply nobody asked for: {}", v.describe().substr(0, 200)));
        return;
    }
    Pending p = std::move(_pending.front());
    _pending.pop_front();
    arm_command_timer();
    if (p.done) p.done(v);
}

void RedisLink::arm_command_timer() {
    if (_pending.empty()) {
        _reactor.timers().cancel(&_command_timer);
        return;
    }
    _reactor.timers().schedule(&_command_timer,
                               _pending.front().sent_ms + _opts.command_timeout_ms);
}

void RedisLink::on_timer(TimerNode* t) {
    const uint64_t now = _reactor.now_ms();
    if (t == &_connect_timer) {
        if (_state == State::resolving || _state == State::connecting || _state == State::handshake)
            drop(fmt::format("no connection to {} within {} ms", _opts.endpoint.describe(),
                             _opts.connect_timeout_ms));
    } else if (t == &_retry_timer) {
        if (_state == State::waiting) attempt();
    } else if (t == &_command_timer) {
        if (_pending.empty()) return;
        // Replies come in order: one that never comes holds up every later
        // one, so the connection is as good as dead.
        if (now >= _pending.front().sent_ms + _opts.command_timeout_ms)
            drop(fmt::format("no answer from Redis within {} ms", _opts.command_timeout_ms));
        else
            arm_command_timer();
    } else if (t == &_ping_timer) {
        if (_state != State::up) return;
        // Only an idle link needs it: a busy one learns from its commands'
        // answers (or their timeout) that Redis is there.
        if (_pending.empty()) {
            Pending p{nullptr};
            p.internal = true;
            write(std::initializer_list<std::string_view>{"PING"}, std::move(p));
        }
        _reactor.timers().schedule(&_ping_timer, now + _opts.ping_interval_ms);
    }
}

void RedisLink::command(std::span<const std::string_view> args, Completion done) {
    if (_role != RedisRole::commands) {
        ++_stats.no_replies;
        done(RespValue::failure("a subscriber link takes no commands"));
        return;
    }
    if (_state != State::up) {
        ++_stats.no_replies;
        done(RespValue::failure("the Redis link is down"));
        return;
    }
    ++_stats.commands;
    write(args, Pending{std::move(done)});
}

void RedisLink::subscription(const char* verb, std::string_view name, bool add, bool pattern) {
    auto& set = pattern ? _patterns : _channels;
    if (add ? !set.emplace(name).second : set.erase(std::string(name)) == 0) return;
    if (_state != State::handshake && _state != State::up) return;  // sent when connected
    std::string what = fmt::format("{} {}", verb, name);
    Pending p{[this, what](const RespValue& v) {
        if (v.type == RespValue::Type::error)
            spdlog::warn("{}: Redis refused {}: {}", _opts.name, what, v.str);
    }};
    p.internal = true;
    write(std::initializer_list<std::string_view>{verb, name}, std::move(p));
}

void RedisLink::subscribe(std::string_view channel) {
    if (_role == RedisRole::subscriber) subscription("SUBSCRIBE", channel, true, false);
}
void RedisLink::psubscribe(std::string_view pattern) {
    if (_role == RedisRole::subscriber) subscription("PSUBSCRIBE", pattern, true, true);
}
void RedisLink::unsubscribe(std::string_view channel) {
    if (_role == RedisRole::subscriber) subscription("UNSUBSCRIBE", channel, false, false);
}
void RedisLink::punsubscribe(std::string_view pattern) {
    if (_role == RedisRole::subscriber) subscription("PUNSUBSCRIBE", pattern, false, true);
}

void RedisLink::drop(std::string why) {
    if (_state == State::closing || _state == State::stopped) return;
    const bool was_up = _state == State::up;
    _state = State::closing;
    ++_generation;
    ++_stats.failures;
    _stats.last_error = why;
    TimerWheel& t = _reactor.timers();
    for (TimerNode* n : {&_connect_timer, &_command_timer, &_ping_timer})
        t.cancel(n);
    if (was_up) _stats.down_since_ms = _reactor.now_ms();
    // Whatever a completion does now (a new command: it fails at once) sees
    // the link down.
    std::deque<Pending> unanswered;
    unanswered.swap(_pending);
    for (Pending& p : unanswered) {
        if (!p.internal) ++_stats.no_replies;
        if (p.done) p.done(RespValue::failure(why));
    }
    if (_fd >= 0 && _ops > 0) {
        // Ends the connect, receive or send still in the kernel; they come
        // back (cancelled or done) and maybe_closed() closes once all have.
        if (io_uring_sqe* sqe = _reactor.ring().sqe()) {
            io_uring_prep_cancel_fd(sqe, _fd, IORING_ASYNC_CANCEL_ALL);
            io_uring_sqe_set_data64(sqe, tag(Op::cancel));
        } else {
            ::shutdown(_fd, SHUT_RDWR);  // ends a receive and a send all the same
        }
    }
    if (!_stopping) {
        if (was_up || !_reported) set_up(false, why);
        spdlog::debug("{}: {} ({} attempts)", _opts.name, why, _backoff.attempts() + 1);
    }
    maybe_closed();
}

void RedisLink::maybe_closed() {
    if (_state != State::closing || _ops > 0) return;
    if (_fd >= 0) ::close(_fd);
    _fd = -1;
    _reader.reset();
    _out.clear();
    _wire.clear();
    _wire_sent = 0;
    if (_stopping) {
        _state = State::stopped;
        return;
    }
    _state = State::waiting;
    _reactor.timers().schedule(&_retry_timer, _reactor.now_ms() + _backoff.next());
}

void RedisLink::stop() {
    if (_stopping) return;
    _stopping = true;
    _reactor.timers().cancel(&_retry_timer);
    switch (_state) {
        case State::idle:
        case State::waiting:
        case State::resolving:
            ++_generation;
            _reactor.timers().cancel(&_connect_timer);
            _state = State::stopped;
            break;
        case State::connecting:
        case State::handshake:
        case State::up: drop("the link is stopping"); break;
        case State::closing: maybe_closed(); break;
        case State::stopped: break;
    }
}

void RedisLink::set_up(bool up, std::string_view why) {
    if (up) {
        _state = State::up;
        _reported = false;
        _backoff.reset();
        ++_stats.connects;
        _stats.down_since_ms = 0;
        _reactor.timers().cancel(&_connect_timer);
        if (_opts.ping_interval_ms)
            _reactor.timers().schedule(&_ping_timer, _reactor.now_ms() + _opts.ping_interval_ms);
    } else {
        _reported = true;
    }
    if (_on_state) _on_state(up, why);
}

}  // namespace ringcast

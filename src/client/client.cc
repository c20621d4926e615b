#include "ringcast/client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "client/reply_reader.h"
#include "client/request_writer.h"
#include "client/unix_socket.h"

namespace ringcast::client {

namespace {
constexpr size_t kPadding = simdjson::SIMDJSON_PADDING;
constexpr size_t kMinRead = 16 * 1024;  // never read into less room than this
}  // namespace

Client::Client(ClientOptions opts) : _opts(opts) {}

Client::~Client() {
    close();
}

Client::Client(Client&& o) noexcept
    : _opts(o._opts)
    , _fd(std::exchange(o._fd, -1))
    , _path(std::move(o._path))
    , _error(std::move(o._error))
    , _errno(o._errno)
    , _write_closed(o._write_closed)
    , _eof(o._eof)
    , _broken_code(o._broken_code)
    , _out(std::move(o._out))
    , _out_sent(std::exchange(o._out_sent, 0))
    , _in(std::move(o._in))
    , _in_cap(std::exchange(o._in_cap, 0))
    , _in_begin(std::exchange(o._in_begin, 0))
    , _in_end(std::exchange(o._in_end, 0))
    , _pending(std::move(o._pending))
    , _next_req(o._next_req)
    , _next_reply(o._next_reply)
    , _lines(o._lines)
    , _line_errors(std::move(o._line_errors))
    , _reader(std::move(o._reader)) {
    o._write_closed = o._eof = true;
    o._broken_code = nullptr;
}

Client& Client::operator=(Client&& o) noexcept {
    if (this != &o) {
        close();
        std::swap(_opts, o._opts);
        std::swap(_fd, o._fd);
        std::swap(_path, o._path);
        std::swap(_error, o._error);
        std::swap(_errno, o._errno);
        std::swap(_write_closed, o._write_closed);
        std::swap(_eof, o._eof);
        std::swap(_broken_code, o._broken_code);
        std::swap(_out, o._out);
        std::swap(_out_sent, o._out_sent);
        std::swap(_in, o._in);
        std::swap(_in_cap, o._in_cap);
        std::swap(_in_begin, o._in_begin);
        std::swap(_in_end, o._in_end);
        std::swap(_pending, o._pending);
        std::swap(_next_req, o._next_req);
        std::swap(_next_reply, o._next_reply);
        std::swap(_lines, o._lines);
        std::swap(_line_errors, o._line_errors);
        std::swap(_reader, o._reader);
    }
    return *this;
}

// --- the connection ------------------------------------------------------------------

bool Client::connect(std::string_view path) {
    return connect(SocketLocation{std::string(path), SocketSource::given});
}

bool Client::connect() {
    return connect(locate_socket());
}

bool Client::connect(const SocketLocation& where) {
    close();
    _path = where.path;
    _error.clear();
    _errno = 0;
    int timeout = _opts.timeout.count() > 0 ? int(_opts.timeout.count()) : -1;
    _fd = connect_unix(where, timeout, &_errno, &_error);
    if (_fd < 0) return false;
    _write_closed = _eof = false;
    if (!_reader) _reader = std::make_unique<ReplyReader>();
    if (!_in) {
        _in_cap = std::max(_opts.read_buffer, kMinRead);
        _in.reset(new char[_in_cap + kPadding]);
    }
    return true;
}

// Forgets everything queued or awaited: what was sent may or may not have been
// published. Later send_*() calls each get a not_connected Result.
void Client::close() {
    if (_fd >= 0) ::close(_fd);
    _fd = -1;
    _out.clear();
    _out_sent = 0;
    _in_begin = _in_end = 0;
    _pending.clear();
    _next_req = _next_reply = 1;
    _lines = 0;
    _line_errors.clear();
    _write_closed = _eof = true;
    _broken_code = nullptr;
}

// What broke the connection decides what outstanding requests report. The fd
// stays open for reading after a write error: the daemon may have answered
// (say "forbidden") before it closed, and that answer is worth more than EPIPE.
void Client::fail_connection(const char* code, std::string why, int err, bool stop_reading) {
    if (!_broken_code) {
        _broken_code = code;
        _error = std::move(why);
        _errno = err;
    }
    _write_closed = true;
    if (stop_reading) {
        _eof = true;
        if (_fd >= 0) ::close(_fd);
        _fd = -1;
    }
}

bool Client::wait(short events, short* revents) {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + _opts.timeout;
    for (;;) {
        int ms = -1;
        if (_opts.timeout.count() > 0)
            ms = int(std::max<int64_t>(
                0, std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count()));
        pollfd p{_fd, events, 0};
        int r = ::poll(&p, 1, ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            fail_connection(
                errc::connection_lost,
                fmt::format("waiting for ringcastd at {}: {}", _path, std::strerror(errno)), errno,
                true);
            return false;
        }
        if (r == 0) {
            fail_connection(errc::timeout,
                            fmt::format("ringcastd at {} did not {} within {} ms", _path,
                                        (events & POLLOUT) ? "take the requests" : "answer",
                                        _opts.timeout.count()),
                            ETIMEDOUT, true);
            return false;
        }
        *revents = p.revents;
        return true;
    }
}

// Makes room for at least `need` more bytes after _in_end: first by moving the
// unread bytes to the front, then by growing (a reply larger than the buffer).
void Client::grow_input(size_t need) {
    if (_in_cap - _in_end >= need) return;
    size_t unread = _in_end - _in_begin;
    if (_in_begin > 0) {
        std::memmove(_in.get(), _in.get() + _in_begin, unread);
        _in_begin = 0;
        _in_end = unread;
        if (_in_cap - _in_end >= need) return;
    }
    size_t cap = std::max(_in_cap * 2, unread + need);
    std::unique_ptr<char[]> bigger(new char[cap + kPadding]);
    std::memcpy(bigger.get(), _in.get(), unread);
    _in = std::move(bigger);
    _in_cap = cap;
}

// One non-blocking read of whatever has arrived; returns the bytes read.
size_t Client::read_available() {
    if (_eof || _fd < 0) return 0;
    grow_input(kMinRead);
    for (;;) {
        ssize_t n = ::recv(_fd, _in.get() + _in_end, _in_cap - _in_end, MSG_DONTWAIT);
        if (n > 0) {
            _in_end += size_t(n);
            return size_t(n);
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        if (n == 0)
            fail_connection(errc::connection_lost,
                            fmt::format("ringcastd at {} closed the connection", _path), 0, true);
        else
            fail_connection(
                errc::connection_lost,
                fmt::format("reading from ringcastd at {}: {}", _path, std::strerror(errno)), errno,
                true);
        return 0;
    }
}

bool Client::read_more() {
    while (!_eof && _fd >= 0) {
        if (read_available() > 0) return true;
        if (_eof) return false;
        short revents = 0;
        if (!wait(POLLIN, &revents)) return false;
    }
    return false;
}

bool Client::flush() {
    if (_write_closed || _fd < 0) {
        _out.clear();
        _out_sent = 0;
        return false;
    }
    while (_out_sent < _out.size() && !_write_closed) {
        ssize_t n = ::send(_fd, _out.data() + _out_sent, _out.size() - _out_sent,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            _out_sent += size_t(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            // The daemon stops reading while too many of its replies wait unread:
            // read them now, or both sides would wait for each other.
            short revents = 0;
            if (!wait(_eof ? POLLOUT : POLLOUT | POLLIN, &revents)) break;
            if (revents & (POLLIN | POLLHUP | POLLERR)) read_available();
            continue;
        }
        fail_connection(errc::connection_lost,
                        fmt::format("writing to ringcastd at {}: {}", _path, std::strerror(errno)),
                        errno, false);
        break;
    }
    bool ok = _out_sent == _out.size();
    _out.clear();
    _out_sent = 0;
    return ok;
}

// --- requests -----------------------------------------------------------------------

uint64_t Client::begin_request(Op op, bool answered) {
    ++_lines;
    if (!answered) return 0;
    _pending.push_back({_lines, op});
    return _next_req++;
}

void Client::send_publish(const Message& m) {
    append_publish(_out, m, begin_request(Op::publish, true));
}

void Client::send_publish_batch(std::span<const Message> messages) {
    append_publish_batch(_out, messages, begin_request(Op::publish_batch, true));
}

uint64_t Client::post(const Message& m) {
    begin_request(Op::publish, false);
    append_publish(_out, m, 0);
    return _lines;
}

uint64_t Client::post_batch(std::span<const Message> messages) {
    begin_request(Op::publish_batch, false);
    append_publish_batch(_out, messages, 0);
    return _lines;
}

void Client::queue_simple(Op op, std::string_view key, std::string_view value) {
    append_op(_out, op_name(op), begin_request(op, true), key, value);
}

void Client::send_ping() {
    queue_simple(Op::ping, {}, {});
}
void Client::send_stats() {
    queue_simple(Op::stats, {}, {});
}
void Client::send_connection(std::string_view id) {
    queue_simple(Op::connection, "id", id);
}
void Client::send_user(std::string_view user_id) {
    queue_simple(Op::user, "userId", user_id);
}
void Client::send_connections(uint32_t limit, std::string_view after) {
    std::string members = "{";
    if (limit) members += "\"limit\":" + std::to_string(limit);
    if (!after.empty()) {
        if (limit) members += ',';
        members += "\"after\":";
        append_json_string(members, after);
    }
    members += '}';
    append_object_op(_out, op_name(Op::connections), begin_request(Op::connections, true), members);
}
void Client::send_disconnect_connection(std::string_view id) {
    queue_simple(Op::disconnect, "connectionId", id);
}
void Client::send_disconnect_user(std::string_view user_id) {
    queue_simple(Op::disconnect, "userId", user_id);
}
void Client::send_invalidate(const std::vector<std::string>& channels,
                             const std::vector<std::string>& users) {
    append_invalidate(_out, channels, users, begin_request(Op::invalidate, true));
}
void Client::send_token(const TokenRequest& request) {
    append_token(_out, request, begin_request(Op::token, true));
}
void Client::send_alerts(std::string_view op, std::string_view members) {
    append_object_op(_out, op, begin_request(Op::alerts, true), members);
}

// --- replies ------------------------------------------------------------------------

void Client::fail_result(Result& out, Op op, const char* code, std::string_view message) {
    reset_result(out, op);
    out.code = code;
    out.message.assign(message);
}

bool Client::wait_readable(std::chrono::milliseconds timeout) {
    if (_in_end > _in_begin && std::memchr(_in.get() + _in_begin, '\n', _in_end - _in_begin))
        return true;
    if (_fd < 0 || _eof) return true;  // receive() reports the end without waiting
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + timeout;
    for (;;) {
        if (unflushed()) {
            ssize_t n = ::send(_fd, _out.data() + _out_sent, _out.size() - _out_sent,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) _out_sent += size_t(n);
            if (_out_sent == _out.size()) {
                _out.clear();
                _out_sent = 0;
            }
        }
        if (read_available() > 0 || _eof) {
            if (_eof || std::memchr(_in.get() + _in_begin, '\n', _in_end - _in_begin)) return true;
            continue;
        }
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) return false;
        pollfd p{_fd, short(POLLIN | (unflushed() ? POLLOUT : 0)), 0};
        int r = ::poll(&p, 1, int(left));
        if (r < 0 && errno != EINTR) return true;  // receive() will report the failure
    }
}

bool Client::receive(Result& out) {
    if (_pending.empty()) {
        fail_result(out, Op::ping, errc::busy, "nothing is outstanding");
        return false;
    }
    if (unflushed()) flush();  // failures show as the Results below
    const Pending head = _pending.front();
    Op op = head.op;
    for (;;) {
        const char* begin = _in.get() + _in_begin;
        size_t avail = _in_end - _in_begin;
        const char* nl =
            avail ? static_cast<const char*>(std::memchr(begin, '\n', avail)) : nullptr;
        if (!nl) {
            if (read_more()) continue;
            // Nothing more will come for this request.
            if (!_broken_code)
                fail_result(out, op, errc::not_connected,
                            _path.empty() ? "not connected: call connect() first"
                                          : "not connected to " + _path);
            else
                fail_result(out, op, _broken_code, _error);
            break;
        }
        std::string_view line(begin, size_t(nl - begin));
        _in_begin += line.size() + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        uint64_t req = 0;
        LineError le;
        ReplyKind kind = _reader->parse(line, true, op, out, &req, &le);
        if (kind == ReplyKind::line_error && le.line == head.line) {
            // The daemon could not read this request's line, so not its req
            // either: the failure names the line instead.
            out.code = std::move(le.code);
            out.message = std::move(le.message);
            out.answered = true;
            break;
        }
        if (kind == ReplyKind::line_error) {
            _line_errors.push_back(std::move(le));
            continue;
        }
        if (kind == ReplyKind::answer && req != _next_reply) {
            kind = ReplyKind::malformed;
            out.message =
                fmt::format("a reply to request {} came when {} was expected", req, _next_reply);
        }
        if (kind == ReplyKind::malformed) {
            // Replies can no longer be matched to requests: give up the connection.
            std::string why =
                fmt::format("unreadable reply from ringcastd at {}: {}", _path, out.message);
            fail_connection(errc::bad_reply, why, EPROTO, true);
            fail_result(out, op, errc::bad_reply, why);
            break;
        }
        // An answer, or the daemon's verdict on the whole connection (it closes
        // next; the requests after this one then report connection_lost).
        out.answered = true;
        break;
    }
    _pending.pop_front();
    ++_next_reply;
    return true;
}

Result Client::receive() {
    Result r;
    receive(r);
    return r;
}

std::vector<LineError> Client::take_line_errors() {
    std::vector<LineError> out;
    out.swap(_line_errors);
    return out;
}

bool Client::sync() {
    send_ping();
    Result r;
    while (outstanding() > 0)
        receive(r);
    return r.ok;
}

// --- synchronous calls -----------------------------------------------------------

bool Client::idle_for_call(Result& r, Op op) {
    if (_pending.empty()) return true;
    fail_result(r, op, errc::busy,
                fmt::format("{} pipelined replies are outstanding: receive() them before a "
                            "synchronous call",
                            _pending.size()));
    return false;
}

Result Client::call(Op op, std::string_view key, std::string_view value) {
    Result r;
    if (!idle_for_call(r, op)) return r;
    queue_simple(op, key, value);
    receive(r);
    return r;
}

Result Client::ping() {
    return call(Op::ping, {}, {});
}
Result Client::stats() {
    return call(Op::stats, {}, {});
}
Result Client::cluster_stats() {
    Result r;
    if (!idle_for_call(r, Op::stats)) return r;
    append_op(_out, op_name(Op::stats), begin_request(Op::stats, true));
    // One member more than a plain stats request: the line ends "}\n".
    _out.resize(_out.size() - 2);
    _out += ",\"cluster\":true}\n";
    receive(r);
    return r;
}
Result Client::connection(std::string_view id) {
    return call(Op::connection, "id", id);
}
Result Client::user(std::string_view user_id) {
    return call(Op::user, "userId", user_id);
}
Result Client::connections(uint32_t limit, std::string_view after) {
    Result r;
    if (!idle_for_call(r, Op::connections)) return r;
    send_connections(limit, after);
    receive(r);
    return r;
}
Result Client::disconnect_connection(std::string_view id) {
    return call(Op::disconnect, "connectionId", id);
}
Result Client::disconnect_user(std::string_view user_id) {
    return call(Op::disconnect, "userId", user_id);
}

Result Client::invalidate(const std::vector<std::string>& channels,
                          const std::vector<std::string>& users) {
    Result r;
    if (!idle_for_call(r, Op::invalidate)) return r;
    send_invalidate(channels, users);
    receive(r);
    return r;
}

Result Client::token(const TokenRequest& request) {
    Result r;
    if (!idle_for_call(r, Op::token)) return r;
    send_token(request);
    receive(r);
    return r;
}

Result Client::log_level(std::string_view level) {
    return level.empty() ? call(Op::log_level, {}, {}) : call(Op::log_level, "level", level);
}

Result Client::alerts(std::string_view op, std::string_view members) {
    Result r;
    if (!idle_for_call(r, Op::alerts)) return r;
    send_alerts(op, members);
    receive(r);
    return r;
}

Result Client::publish(const Message& m) {
    Result r;
    if (!idle_for_call(r, Op::publish)) return r;
    send_publish(m);
    receive(r);
    return r;
}

Result Client::publish_batch(std::span<const Message> messages) {
    Result r;
    if (!idle_for_call(r, Op::publish_batch)) return r;
    send_publish_batch(messages);
    receive(r);
    return r;
}

}  // namespace ringcast::client

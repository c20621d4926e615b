// PublishServer: publisher connections, peer checks, reading lines, handing each
// request to its op (socket_ops.h), the ordered replies, backpressure and shutdown.
#include "publish/publish_server.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/json_writer.h"
#include "core/log_event.h"
#include "publish/reply_json.h"
#include "pubsub/event.h"
#include "pubsub/message_json.h"

namespace ringcast {

namespace {

PublishConnection& as_pub(Connection& c) {
    return static_cast<PublishConnection&>(c);
}

constexpr const char* kOps =
    "ping, publish, invalidate, stats, connection, connections, user, disconnect, token, "
    "alerts.list, "
    "alerts.get, alerts.create, alerts.update, alerts.patch, alerts.delete, alerts.preview, "
    "alerts.refresh, log-level";

// A batch holds "op", "req" and "messages", each any number of times (the first
// counts); a message field beside them is a mistake worth an error.
bool only_batch_keys(simdjson::dom::object obj) {
    for (auto field : obj)
        if (field.key != "op" && field.key != "req" && field.key != "messages") return false;
    return true;
}

}  // namespace

using namespace reply_json;

PublishServer::PublishServer(Reactor& reactor, Transport& transport, Hub& hub,
                             StatsCollector& stats, Directory& directory, PublishFlow& flow,
                             const PublishOptions& opts, uint64_t started_ms, uint8_t protocol)
    : _reactor(reactor)
    , _transport(transport)
    , _opts(opts)
    , _protocol(protocol)
    , _ops(*this, reactor, hub, stats, directory, flow, {opts.rate_max, opts.rate_window_ms},
           opts.signer, _opts.alerts, started_ms) {}

PublishServer::~PublishServer() = default;

Connection* PublishServer::create_connection() {
    return new PublishConnection(_opts.max_line);
}

// The transport is done with the connection. Answers still due from other
// shards name it by handle (Transport::find), and so does the flush list: they
// find nothing once it is gone.
void PublishServer::destroy_connection(Connection* base) {
    delete &as_pub(*base);
}

PublishConnection* PublishServer::alive(ConnectionHandle h) const {
    return static_cast<PublishConnection*>(_transport.find(h));
}

void* PublishServer::peer_buffer(Connection& base, uint32_t* len) {
    *len = sizeof(ucred);
    return &as_pub(base)._peer;
}

void PublishServer::on_peer(Connection& base, int result) {
    PublishConnection& c = as_pub(base);
    c._peer_known = result == int(sizeof(ucred));
    if (!c._peer_known)
        spdlog::debug("shard {}: peer credentials of publisher c{}-{} unavailable: {}",
                      _reactor.id(), _reactor.id(), c.serial(),
                      result < 0 ? std::strerror(-result) : "short read");
}

void PublishServer::on_open(Connection& base) {
    PublishConnection& c = as_pub(base);
    bool restricted = !_opts.allow_uids.empty() || !_opts.allow_gids.empty();
    if (!restricted) return;
    std::string why;
    if (!c._peer_known) {
        why =
            "the kernel did not tell who this peer is (SO_PEERCRED through io_uring needs Linux "
            "6.7), and publish.allow_uids/allow_gids is set";
    } else {
        auto in = [](const std::vector<uint32_t>& v, uint32_t x) {
            return std::find(v.begin(), v.end(), x) != v.end();
        };
        if (in(_opts.allow_uids, c._peer.uid) || in(_opts.allow_gids, c._peer.gid)) return;
        why =
            fmt::format("uid {} gid {} is not allowed to publish (publish.allow_uids, allow_gids)",
                        c._peer.uid, c._peer.gid);
    }
    log_event(spdlog::level::info, "publisher refused",
              {{"reason", "not_allowed"},
               {"conn", fmt::format("c{}-{}", _reactor.id(), c.serial())},
               {"pid", c._peer.pid},
               {"uid", c._peer.uid},
               {"message", why}});
    c._replies.push("{\"ok\":false,\"error\":" + error_object("forbidden", why) + "}\n");
    c._finish = true;
    c._linger = true;
    c._stopped = true;
    _transport.pause_reading(c);
    mark_dirty(c);
}

void PublishServer::on_data(Connection& base, const char* data, size_t len) {
    PublishConnection& c = as_pub(base);
    if (c._finish) return;  // refused or closing: nothing more is read
    if (c._stopped) {
        c._held.append(data, len);  // bytes already in flight when reading stopped
        return;
    }
    process(c, data, len);
}

void PublishServer::process(PublishConnection& c, const char* data, size_t len) {
    bool ok = c._reader.feed(data, len, [&](std::string_view line, uint64_t number) {
        return handle_line(c, line, number);
    });
    if (!ok) refuse_long_line(c);
    mark_dirty(c);
}

void PublishServer::end_of_input(PublishConnection& c) {
    if (c._finish) return;  // refused, over-long, shutting down: nothing more is read
    bool ok = c._reader.finish(
        [&](std::string_view line, uint64_t number) { return handle_line(c, line, number); });
    if (!ok) refuse_long_line(c);
    // Stopped by backpressure on that line: flush() comes back here once it
    // has read what the stop kept.
    if (!c._stopped) c._finish = true;
    mark_dirty(c);
}

void PublishServer::refuse_long_line(PublishConnection& c) {
    SocketRequest r;
    r.line = c._reader.lines() + 1;
    reply_error(c, r, "line_too_long",
                fmt::format("a request line is longer than publish.max_line ({} bytes); closing",
                            _opts.max_line));
    c._finish = true;
    c._linger = true;  // the rest of the line, and whatever follows, is never read
    c._stopped = true;
    _transport.pause_reading(c);
}

// Returns false to stop reading this connection for now.
bool PublishServer::handle_line(PublishConnection& c, std::string_view line, uint64_t number) {
    if (line.empty()) return true;
    SocketRequest r;
    r.line = number;
    simdjson::dom::element root;
    simdjson::dom::object obj;
    auto err = _json.parse(line.data(), line.size(), true).get(root);
    bool is_object = !err && root.get_object().get(obj) == simdjson::SUCCESS;
    simdjson::dom::element req;
    if (is_object && obj["req"].get(req) == simdjson::SUCCESS) r.req = simdjson::minify(req);
    if (_shutting_down) {
        // Whatever the line holds, nothing more is acted on: the first line read
        // after shutdown began is refused and the connection finishes.
        reply_error(c, r, "unavailable",
                    "the daemon is shutting down; reconnect to another instance");
        c._finish = true;
        return false;
    }
    if (err) {
        reply_error(c, r, "invalid_json", json_error_text("the line", err));
        return true;
    }
    if (!is_object) {
        reply_error(c, r, "invalid_request", "a request is a JSON object with an \"op\"");
        return true;
    }
    std::string_view op;
    if (obj["op"].get_string().get(op) != simdjson::SUCCESS) {
        reply_error(c, r, "invalid_request", "the request has no \"op\" string");
        return true;
    }
    if (op == "publish") {
        simdjson::dom::element messages;
        if (obj["messages"].get(messages) == simdjson::SUCCESS) {
            simdjson::dom::array arr;
            if (messages.get_array().get(arr) != simdjson::SUCCESS) {
                reply_error(c, r, "invalid_field",
                            "\"messages\" must be an array of message objects");
            } else if (!only_batch_keys(obj)) {
                reply_error(c, r, "invalid_field",
                            "a batch has only \"op\", \"req\" and \"messages\"; message fields go "
                            "inside each message");
            } else {
                _ops.publish_batch(c, r, arr);
            }
        } else {
            _ops.publish(c, r, obj);
        }
    } else if (op == "ping") {
        reply_ok(c, r, fmt::format(",\"version\":\"{}\",\"time\":{}", RINGCAST_VERSION, wall_ms()));
    } else if (op == "invalidate") {
        _ops.invalidate(c, r, obj);
    } else if (op == "stats") {
        _ops.stats(c, r, obj);
    } else if (op == "connection" || op == "user" || op == "connections" || op == "disconnect") {
        _ops.directory(c, r, obj);
    } else if (op == "token") {
        _ops.issue_token(c, r, obj);
    } else if (op == "log-level") {
        _ops.log_level(c, r, obj);
    } else if (SocketOps::is_alert_op(op)) {
        _ops.alerts(c, r, op, obj);
    } else {
        reply_error(c, r, "unknown_op", fmt::format("unknown op \"{}\" (ops: {})", op, kOps));
    }
    if (c._replies.waiting() >= _opts.max_pending ||
        c.queued_bytes() + c._replies.out().size() > _opts.max_reply_backlog) {
        // Too much is waiting on this client: stop reading until it catches up.
        // What is left of the current read stays in the line reader.
        c._stopped = true;
        _transport.pause_reading(c);
        return false;
    }
    return true;
}

// --- replies ---------------------------------------------------------------------

std::string PublishServer::ok_line(const SocketRequest& r, std::string_view body) const {
    std::string line;
    line.reserve(r.req.size() + body.size() + 24);
    line += "{\"req\":";
    line += r.req;
    line += ",\"ok\":true";
    line += body;
    line += "}\n";
    return line;
}

void PublishServer::reply_ok(PublishConnection& c, const SocketRequest& r, std::string_view body) {
    if (r.answered()) c._replies.push(ok_line(r, body));
}

void PublishServer::reply_error(PublishConnection& c, const SocketRequest& r, std::string_view code,
                                std::string_view message) {
    reply_error_object(c, r, error_object(code, message));
}

void PublishServer::reply_error_object(PublishConnection& c, const SocketRequest& r,
                                       std::string_view error) {
    std::string line;
    if (r.answered()) {
        line = "{\"req\":" + r.req + ",\"ok\":false,\"error\":" + std::string(error) + "}\n";
    } else {
        line = fmt::format("{{\"ok\":false,\"line\":{},\"error\":{}}}\n", r.line, error);
    }
    c._replies.push(line);
}

uint64_t PublishServer::reserve(PublishConnection& c, const SocketRequest& r) {
    return r.answered() ? c._replies.reserve(r.req) : c._replies.reserve_silent(r.line);
}

void PublishServer::mark_dirty(PublishConnection& c) {
    if (c._dirty || !c.is_open()) return;
    c._dirty = true;
    _dirty.push_back(Transport::handle(c));
}

void PublishServer::on_drained(Connection& base) {
    mark_dirty(as_pub(base));
}

// A client that sent its requests and shut down its writing side (socat, a
// script) still reads the answers: close once every one is written. Its last
// request needs no "\n" (printf '{...}' | socat ...).
void PublishServer::on_peer_eof(Connection& base) {
    PublishConnection& c = as_pub(base);
    c._eof = true;
    // Requests it sent may still be unread behind a backpressure stop: flush()
    // reads them when it resumes, then ends the input.
    if (!c._stopped) end_of_input(c);
    mark_dirty(c);
}

void PublishServer::flush() {
    while (!_dirty.empty()) {
        std::vector<ConnectionHandle> list;
        list.swap(_dirty);
        for (ConnectionHandle h : list) {
            PublishConnection* cp = alive(h);
            if (!cp) continue;  // closed since it was listed
            PublishConnection& c = *cp;
            c._dirty = false;
            if (!c.is_open()) continue;
            std::string& out = c._replies.out();
            if (!out.empty()) {
                _transport.send_copy(c, out);
                out.clear();
            }
            // Read again once the client has caught up (below half of each limit),
            // counting the replies just handed to the transport: they are unread
            // until the socket takes them. process() puts the connection back on
            // the list, so its new replies leave in the next round of this loop.
            if (c._stopped && !c._finish && c._replies.waiting() * 2 < _opts.max_pending &&
                c.queued_bytes() * 2 < _opts.max_reply_backlog) {
                // Lines already received go first; the socket is read again only
                // if they all fit, else every resume would pull in another
                // receive-ring's worth while answering a line or two.
                c._stopped = false;
                std::string pending = c._reader.take_carry();
                pending += c._held;
                c._held.clear();
                if (!pending.empty()) process(c, pending.data(), pending.size());
                if (!c._stopped) {
                    // After the peer's EOF everything it sent was in `pending`
                    // but an unterminated last line; the socket has no more.
                    if (c._eof) {
                        end_of_input(c);
                    } else {
                        _transport.resume_reading(c);
                    }
                }
                // The replies this produced leave in the next round (the
                // connection is back on the list), before any close.
                if (!c._replies.out().empty()) continue;
            }
            if (c._replies.waiting() > 0) continue;  // answers still due
            // Shutting down, a connection stays open (and refuses what it reads)
            // until its answers have left, then closes. One refused with its
            // input unread lingers, so that its answers are not lost to a reset.
            if (c._finish && c._linger) {
                _transport.close_lingering(c);
            } else if (c._finish || (_shutting_down && c.queued_bytes() == 0)) {
                _transport.close(c, true);
            }
        }
    }
}

void PublishServer::on_closed(Connection& base) {
    PublishConnection& c = as_pub(base);
    c._finish = true;
    // Answers still due arrive later and find nothing (Transport::find).
}

void PublishServer::begin_shutdown() {
    _shutting_down = true;
    _transport.for_each_connection([&](Connection& base) {
        if (base.is_open() && base.protocol() == _protocol) mark_dirty(as_pub(base));
    });
}

}  // namespace ringcast

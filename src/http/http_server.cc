#include "http/http_server.h"

#include <strings.h>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/json_writer.h"
#include "http/api_auth.h"
#include "http/cors.h"
#include "http/query.h"
#include "http/response.h"
#include "http/router.h"
#include "pubsub/channel_name.h"
#include "pubsub/event.h"
#include "pubsub/message_json.h"
#include "pubsub/sse_format.h"

namespace ringcast {

namespace {

HttpConnection& as_http(Connection& c) {
    return static_cast<HttpConnection&>(c);
}

constexpr std::string_view kStreamHeaders =
    "HTTP/1.1 200 OK\r\n"
    "Server: ringcast\r\n"
    "Content-Type: text/event-stream\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: keep-alive\r\n"
    "X-Accel-Buffering: no\r\n"
    "\r\n";

}  // namespace

HttpServer::HttpServer(Reactor& reactor, Transport& transport, ChannelIndex& index,
                       Audience& audience, Hub& hub, StatsCollector& stats, StreamLimit& streams,
                       const HttpOptions& opts, uint64_t started_ms, uint8_t protocol)
    : _reactor(reactor)
    , _transport(transport)
    , _index(index)
    , _audience(audience)
    , _hub(hub)
    , _stats(stats)
    , _limit(streams)
    , _opts(opts)
    , _started_ms(started_ms)
    , _protocol(protocol) {}

HttpServer::~HttpServer() {
    if (_heartbeat) _reactor.frames().drop_user(_heartbeat);
}

Connection* HttpServer::create_connection() {
    return new HttpConnection;
}

void HttpServer::destroy_connection(Connection* c) {
    delete static_cast<HttpConnection*>(c);
}

std::string HttpServer::connection_id(const Connection& c) const {
    return fmt::format("c{}-{}", _reactor.id(), c.serial());
}

void HttpServer::on_open(Connection& base) {
    // A client that connects and says nothing is cut off after the request
    // timeout, like one that sends its headers too slowly.
    _transport.set_deadline(base, _reactor.now_ms() + _opts.request_timeout_ms);
}

void HttpServer::on_data(Connection& base, const char* data, size_t len) {
    HttpConnection& c = as_http(base);
    switch (c._mode) {
        case HttpConnection::Mode::streaming:
            return;  // EventSource clients send nothing after the request; ignore it
        case HttpConnection::Mode::waiting:
            if (!c._held) c._held = std::make_unique<std::string>();
            c._held->append(data, len);
            // Hold at most one more request's worth; beyond that, let TCP push back.
            if (c._held->size() > _opts.limits.max_header_bytes + _opts.limits.max_body)
                _transport.pause_reading(c);
            return;
        case HttpConnection::Mode::reading: process_input(c, data, len); return;
    }
}

void HttpServer::process_input(HttpConnection& c, const char* data, size_t len) {
    while (c.is_open() && c._mode == HttpConnection::Mode::reading && len > 0) {
        if (!c._parser) {
            c._parser = std::make_unique<RequestParser>(_opts.limits);
            // From the first byte of a request, it has request_timeout to arrive.
            _transport.set_deadline(c, _reactor.now_ms() + _opts.request_timeout_ms);
        }
        size_t consumed = 0;
        RequestParser::Result res = c._parser->feed(data, len, &consumed);
        if (res == RequestParser::Result::need_more) {
            if (c._parser->headers_complete() && !c._sent_continue &&
                strcasecmp(std::string(c._parser->request().header("expect")).c_str(),
                           "100-continue") == 0) {
                c._sent_continue = true;
                _transport.send_copy(c, "HTTP/1.1 100 Continue\r\n\r\n");
            }
            return;
        }
        if (res == RequestParser::Result::error) {
            reply_error(c, c._parser->error_status(), c._parser->error_message(), true);
            return;
        }
        data += consumed;
        len -= consumed;
        handle_request(c, c._parser->request());
        if (c._mode == HttpConnection::Mode::waiting) {
            if (len > 0) c._held = std::make_unique<std::string>(data, len);
            return;
        }
        // streaming: the rest is ignored; reading: go on with the next request
    }
}

void HttpServer::reply(HttpConnection& c, std::string response) {
    if (_opts.cors.enabled() && c._parser) {
        std::string_view origin = c._parser->request().header("origin");
        if (!origin.empty())
            response = with_headers(std::move(response), cors_response_headers(_opts.cors, origin));
    }
    _transport.send_copy(c, response);
}

void HttpServer::reply_error(HttpConnection& c, int status, std::string_view message, bool close) {
    bool keep_alive =
        !close && !c._close_after_reply && c._parser && c._parser->request().keep_alive;
    if (status == 503) {
        std::string retry = std::to_string(_opts.retry_after_s);
        reply(c, http_error(status, message, keep_alive, {{"Retry-After", retry}}));
    } else {
        reply(c, http_error(status, message, keep_alive));
    }
    if (!keep_alive) {
        // After a malformed request the byte stream cannot be trusted: stop
        // reading, flush the answer, close.
        _transport.pause_reading(c);
        c._parser.reset();
        _transport.close(c, true);
        return;
    }
    finish_request(c);
}

// The reply for the current request is queued: close, or get ready for the next.
void HttpServer::finish_request(HttpConnection& c) {
    bool keep_alive =
        c._parser && c._parser->request().keep_alive && !c._close_after_reply && !_shutting_down;
    c._parser.reset();
    c._sent_continue = false;
    c._mode = HttpConnection::Mode::reading;
    if (!keep_alive) {
        _transport.close(c, true);
        return;
    }
    _transport.set_deadline(c, _reactor.now_ms() + _opts.keepalive_timeout_ms);
}

void HttpServer::handle_request(HttpConnection& c, HttpRequest& req) {
    if (_shutting_down) {
        reply_error(c, 503, "the server is shutting down", true);
        return;
    }
    std::string_view path = req.path();
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);  // same resource
    const EndpointOptions* ep = find_endpoint(_opts.endpoints, path);
    if (req.method == HTTP_OPTIONS && req.has_header("access-control-request-method")) {
        RouteMatch api = route_request(HTTP_OPTIONS, path);
        const char* methods = ep ? "GET" : api.allow;
        if (methods) {
            // A browser's CORS preflight: answered here, without CORS headers
            // added twice by reply().
            _transport.send_copy(c, cors_preflight_response(_opts.cors, req.header("origin"),
                                                            methods, req.keep_alive));
            finish_request(c);
            return;
        }
    }
    if (ep) {
        if (req.method == HTTP_GET) {
            open_stream(c, req, *ep);
        } else {
            reply(c, http_error(405,
                                fmt::format("{} is not allowed on {}; use GET", req.method_name(),
                                            req.path()),
                                req.keep_alive, {{"Allow", "GET"}}));
            finish_request(c);
        }
        return;
    }
    RouteMatch m = route_request(req.method, path);
    switch (m.route) {
        case Route::publish:
            if (auto r = authorize_api(req, ApiRight::publish, _opts.api, *_opts.verifier,
                                       wall_ms() / 1000, "POST /api/publish")) {
                refuse(c, *r);
                return;
            }
            start_publish(c, req);
            return;
        case Route::stats:
            if (auto r = authorize_api(req, ApiRight::admin, _opts.api, *_opts.verifier,
                                       wall_ms() / 1000, "GET /api/stats")) {
                refuse(c, *r);
                return;
            }
            start_stats(c);
            return;
        case Route::method_not_allowed: {
            bool keep_alive = req.keep_alive;
            reply(c, http_error(405,
                                fmt::format("{} is not allowed on {}; use {}", req.method_name(),
                                            req.path(), m.allow),
                                keep_alive, {{"Allow", m.allow}}));
            finish_request(c);
            return;
        }
        case Route::not_found:
            reply_error(c, 404, fmt::format("no endpoint at {}", req.path()), false);
            return;
    }
}

// --- SSE streams -----------------------------------------------------------------

void HttpServer::open_stream(HttpConnection& c, HttpRequest& req, const EndpointOptions& ep) {
    StreamAdmission a =
        admit_stream(req, ep, *_opts.verifier, _opts.max_channels_per_stream, wall_ms() / 1000);
    if (!a.ok) {
        refuse(c, a.refusal);
        return;
    }
    const std::vector<std::string>& unique = a.channels;

    if (!_limit.try_acquire()) {
        reply_error(c, 503,
                    fmt::format("the limit of {} streams is reached; retry later", _limit.max()),
                    false);
        return;
    }

    std::string connected;
    JsonWriter w(connected);
    w.begin_object().key("connectionId").value(connection_id(c)).key("userId");
    if (a.claims) {
        w.value(a.claims->user);
    } else {
        w.null();
    }
    w.key("channels").begin_array();
    for (const auto& n : unique)
        w.value(n);
    w.end_array().key("timestamp").value(wall_ms()).end_object();

    std::string handshake;
    handshake.reserve(kStreamHeaders.size() + connected.size() + 64);
    handshake += kStreamHeaders;
    if (_opts.cors.enabled())
        handshake = with_headers(std::move(handshake),
                                 cors_response_headers(_opts.cors, req.header("origin")));
    handshake += sse_retry(_opts.retry_ms);
    handshake += sse_event({}, "connected", connected);

    const int64_t expires_at_s = a.claims ? a.claims->expires_at_s : 0;
    if (a.claims) {
        c._identity = std::make_unique<Identity>();
        c._identity->user = std::move(a.claims->user);
        c._identity->authenticated = true;
        c._identity->subscriber = a.claims->subscriber;
        _audience.set_names(*c._identity, a.claims->roles, a.claims->permissions);
    }
    c._endpoint = &ep;
    Member& m = c._member;
    m.connection = &c;
    m.who = c._identity ? c._identity.get() : &kAnonymous;
    m.subs = new Subscription[unique.size()];
    m.nsubs = uint16_t(unique.size());
    for (size_t i = 0; i < unique.size(); ++i) {
        Channel* ch = _index.get_or_create(unique[i], channel_hash(unique[i]));
        m.subs[i].connection = &c;
        m.subs[i].who = m.who;
        _index.subscribe(m.subs[i], *ch);
    }
    _audience.add(m);
    c._mode = HttpConnection::Mode::streaming;
    c._parser.reset();
    c._held.reset();
    c._stream_started_ms = _reactor.now_ms();
    // A stream ends cleanly when its endpoint's lifetime runs out or its token
    // expires, whichever is first: the browser reconnects, with a fresh token.
    if (ep.connection_timeout_ms)
        c._stream_ends_ms = c._stream_started_ms + ep.connection_timeout_ms;
    if (expires_at_s > 0) {
        int64_t left_ms = std::max<int64_t>(0, expires_at_s * 1000 - wall_ms());
        uint64_t token_end = c._stream_started_ms + uint64_t(left_ms);
        if (!c._stream_ends_ms || token_end < c._stream_ends_ms) c._stream_ends_ms = token_end;
    }
    ++_streams;
    _transport.send_copy(c, handshake);
    _transport.set_deadline(c, stream_deadline(c, _reactor.now_ms()));
}

uint64_t HttpServer::stream_deadline(const HttpConnection& c, uint64_t now_ms) const {
    uint64_t next = now_ms + c._endpoint->heartbeat_interval_ms;
    if (c._stream_ends_ms) next = std::min(next, c._stream_ends_ms);
    return next;
}

// 401 answers say how to authenticate (RFC 6750 §3), every refusal why.
// Refusals of a well-formed request keep the connection.
void HttpServer::refuse(HttpConnection& c, const Refusal& r) {
    bool keep_alive = !c._close_after_reply && c._parser && c._parser->request().keep_alive;
    std::string body = json_error_body(r.code, r.message, r.reason);
    if (r.status == 401) {
        std::string challenge = "Bearer realm=\"ringcast\"";
        if (r.code == "invalid_token") challenge += ", error=\"invalid_token\"";
        reply(c, http_response(401, "application/json", body, keep_alive,
                               {{"WWW-Authenticate", challenge}}));
    } else {
        reply(c, http_response(r.status, "application/json", body, keep_alive));
    }
    spdlog::debug("shard {}: request refused: {} {} {}", _reactor.id(), r.status, r.code,
                  r.message);
    finish_request(c);
}

LocalFrame* HttpServer::heartbeat_frame() {
    int64_t now = wall_ms();
    if (_heartbeat && _heartbeat_ms == now) return _heartbeat;
    LocalFramePool& frames = _reactor.frames();
    if (_heartbeat) frames.drop_user(_heartbeat);
    std::string bytes;
    if (_opts.heartbeat_as_comment) {
        bytes = sse_comment("heartbeat");
    } else {
        std::string data;
        JsonWriter w(data);
        w.begin_object().key("timestamp").value(now).key("status").value("alive").end_object();
        bytes = sse_event({}, "heartbeat", data);
    }
    _heartbeat = frames.wrap(SharedFrame::copy_of(bytes));
    frames.add_user(_heartbeat);  // the server's own hold, dropped when replaced
    _heartbeat_ms = now;
    return _heartbeat;
}

void HttpServer::send_heartbeat(HttpConnection& c) {
    _transport.enqueue(c, heartbeat_frame());
}

// --- publish and stats (answered once every shard has replied) -------------------

void HttpServer::start_publish(HttpConnection& c, HttpRequest& req) {
    Message msg;
    std::string error;
    if (!parse_message_text(_json, req.body, &msg, &error)) {
        reply_error(c, 400, error, false);
        return;
    }
    Event* e = Event::build(msg, wall_ms());
    auto* t = new PublishTicket;
    t->done = on_publish_done;
    t->ctx = &c;
    t->owner = this;
    c._waiting_ctx = &t->ctx;
    c._mode = HttpConnection::Mode::waiting;
    _transport.set_deadline(c, 0);
    _hub.publish(e, t);  // may complete synchronously (single shard)
}

void HttpServer::on_publish_done(PublishTicket& t, void* ctx) {
    if (!ctx) return;  // the publisher went away; the event was still delivered
    auto& c = *static_cast<HttpConnection*>(ctx);
    auto* self = static_cast<HttpServer*>(t.owner);
    std::string body;
    JsonWriter w(body);
    w.begin_object()
        .key("id")
        .value(t.event->id())
        .key("sent")
        .value(t.sent)
        .key("failed")
        .value(t.failed)
        .end_object();
    bool keep_alive = c._parser && c._parser->request().keep_alive && !c._close_after_reply;
    self->complete_async(c, http_response(200, "application/json", body, keep_alive));
}

void HttpServer::start_stats(HttpConnection& c) {
    auto* r = new StatsRequest;
    r->done = on_stats_done;
    r->ctx = &c;
    r->owner = this;
    c._waiting_ctx = &r->ctx;
    c._mode = HttpConnection::Mode::waiting;
    _transport.set_deadline(c, 0);
    _stats.collect(r);
}

void HttpServer::on_stats_done(StatsRequest& r, void* ctx) {
    if (!ctx) return;
    auto& c = *static_cast<HttpConnection*>(ctx);
    auto* self = static_cast<HttpServer*>(r.owner);
    double uptime = double(self->_reactor.now_ms() - self->_started_ms) / 1000.0;
    std::string body = render_stats_json(r, uptime, read_process_stats());
    bool keep_alive = c._parser && c._parser->request().keep_alive && !c._close_after_reply;
    self->complete_async(c, http_response(200, "application/json", body, keep_alive));
}

void HttpServer::complete_async(HttpConnection& c, std::string response) {
    c._waiting_ctx = nullptr;
    reply(c, std::move(response));
    finish_request(c);
    std::unique_ptr<std::string> held = std::move(c._held);
    _transport.resume_reading(c);
    if (held && c._mode == HttpConnection::Mode::reading)
        process_input(c, held->data(), held->size());
}

// --- lifecycle -------------------------------------------------------------------

void HttpServer::on_drained(Connection&) {}

void HttpServer::on_peer_eof(Connection& base) {
    HttpConnection& c = as_http(base);
    if (c._mode == HttpConnection::Mode::waiting) {
        c._close_after_reply = true;  // answer what it asked, then close
        c._held.reset();              // nothing after it will be answered
    } else {
        _transport.close(c, true);  // flush what is queued (a stream's events, a reply)
    }
}

void HttpServer::on_deadline(Connection& base, uint64_t now_ms) {
    HttpConnection& c = as_http(base);
    switch (c._mode) {
        case HttpConnection::Mode::streaming:
            if (c._stream_ends_ms && now_ms >= c._stream_ends_ms) {
                // The endpoint's maximum lifetime, or the token's: flush what is
                // queued and close cleanly; the browser reconnects.
                _transport.close(c, true);
                return;
            }
            send_heartbeat(c);
            _transport.set_deadline(c, stream_deadline(c, now_ms));
            return;
        case HttpConnection::Mode::reading:
            if (c._parser && c._parser->started()) {
                reply_error(c, 408,
                            fmt::format("the request did not arrive within {} ms",
                                        _opts.request_timeout_ms),
                            true);
            } else {
                _transport.close(c, true);  // idle: just close
            }
            return;
        case HttpConnection::Mode::waiting: return;
    }
}

void HttpServer::on_closed(Connection& base) {
    HttpConnection& c = as_http(base);
    if (c._waiting_ctx) {
        *c._waiting_ctx = nullptr;
        c._waiting_ctx = nullptr;
    }
    Member& m = c._member;
    if (m.subs) {
        _audience.remove(m);
        for (uint16_t i = 0; i < m.nsubs; ++i)
            _index.unsubscribe(m.subs[i]);
        delete[] m.subs;
        m.subs = nullptr;
        m.nsubs = 0;
    }
    if (c._mode == HttpConnection::Mode::streaming) {
        --_streams;
        _limit.release();
    }
    c._parser.reset();
    c._held.reset();
}

void HttpServer::begin_shutdown() {
    _shutting_down = true;
    _transport.for_each_connection([&](Connection& base) {
        if (base.protocol() != _protocol) return;
        HttpConnection& c = as_http(base);
        if (c._mode == HttpConnection::Mode::waiting) {
            c._close_after_reply = true;  // answer what was accepted, then close
        } else {
            _transport.close(c, true);  // streams: flush what is queued, then close
        }
    });
}

bool HttpServer::describe(const Connection& base, JsonWriter& w) const {
    if (base.protocol() != _protocol) return false;
    const auto& c = static_cast<const HttpConnection&>(base);
    if (c._mode != HttpConnection::Mode::streaming) return false;
    // Connection times are kept on the monotonic clock; show them as wall time.
    const int64_t wall_now = wall_ms();
    const uint64_t mono_now = mono_ms();
    auto wall = [&](uint64_t mono) {
        return wall_now - int64_t(mono_now - std::min(mono, mono_now));
    };
    w.begin_object();
    w.key("connectionId").value(connection_id(c));
    w.key("userId");
    const Identity& who = *c._member.who;
    if (who.user.empty()) {
        w.null();
    } else {
        w.value(who.user);
    }
    w.key("channels").begin_array();
    for (uint16_t i = 0; i < c._member.nsubs; ++i)
        if (c._member.subs[i].channel) w.value(c._member.subs[i].channel->name);
    w.end_array();
    w.key("connectedAt").value(wall(c._stream_started_ms));
    w.key("lastActivity").value(wall(c.last_activity_ms()));
    w.key("queuedBytes").value(c.queued_bytes());
    w.end_object();
    return true;
}

std::string_view HttpServer::user_of(const Connection& base) const {
    if (base.protocol() != _protocol) return {};
    return static_cast<const HttpConnection&>(base)._member.who->user;
}

}  // namespace ringcast

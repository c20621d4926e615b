// HttpServer, part 1 of 4: connections, reading and parsing requests, routing,
// replies and the connection lifecycle. SSE streams are in sse_streams.cc,
// publish and stats in api_requests.cc, what slow readers lose in slow_readers.cc.
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

// Every idle stream is one of these: at 257 bytes mimalloc would give it 320.
static_assert(sizeof(HttpConnection) <= 256, "HttpConnection outgrew its allocation class");
// Authenticated, limited and proxied streams hold one of these: 160 is mimalloc's
// class for it (the client address filled what would otherwise be rounding).
static_assert(sizeof(StreamExtras) <= 160, "StreamExtras outgrew its allocation class");

HttpConnection& as_http(Connection& c) {
    return static_cast<HttpConnection&>(c);
}

}  // namespace

HttpServer::HttpServer(Reactor& reactor, Transport& transport, ChannelIndex& index,
                       Audience& audience, Limiter& limiter, Hub& hub, StatsCollector& stats,
                       Directory& directory, StreamLimit& streams, const HttpOptions& opts,
                       uint64_t started_ms, uint8_t protocol)
    : _reactor(reactor)
    , _transport(transport)
    , _index(index)
    , _audience(audience)
    , _limiter(limiter)
    , _hub(hub)
    , _stats(stats)
    , _directory(directory)
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

PeerAddress HttpServer::client_of(const HttpConnection& c) const {
    if (c._extras && !c._extras->client.empty()) return c._extras->client;
    if (c._parser && c._mode != HttpConnection::Mode::streaming)
        return client_address(c.peer(), c._parser->request(), _opts.proxies);
    return c.peer();
}

void HttpServer::note_untrusted_forwarding(const HttpConnection& c, const HttpRequest& req) {
    if (_untrusted_forwarding_noted || c.peer().empty()) return;
    if (!req.has_header(_opts.proxies.header_name()) || _opts.proxies.trusts(c.peer())) return;
    _untrusted_forwarding_noted = true;
    const std::string peer = c.peer().text();
    spdlog::info(
        "shard {}: a request from {} carries {}, but {} is not in http.trusted_proxies: "
        "the header is ignored and the request counts as coming from {} (if that is "
        "your reverse proxy, list it there: docs/operations.md, \"Behind a reverse "
        "proxy\"). Said once per shard.",
        _reactor.id(), peer,
        _opts.proxies.header == ForwardedHeader::forwarded ? "Forwarded" : "X-Forwarded-For", peer,
        peer);
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
        // After a malformed request the byte stream cannot be trusted: nothing
        // more is parsed; the answer is flushed, then the connection closed.
        // The rest of the request may still be on its way (a body over
        // max_body, a slow request cut at 408): the close lingers, reading and
        // discarding it, since a close with unread input is a reset that can
        // destroy the answer before the client reads it (net/transport.h).
        c._parser.reset();
        _transport.close_lingering(c);
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
    note_untrusted_forwarding(c, req);
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
        case Route::publish: {
            std::string publisher;
            if (auto r = authorize_api(req, ApiRight::publish, _opts.api, *_opts.verifier,
                                       wall_ms() / 1000, "POST /api/publish", &publisher)) {
                refuse(c, *r);
                return;
            }
            start_publish(c, req, std::move(publisher));
            return;
        }
        case Route::invalidate:
            if (auto r = authorize_api(req, ApiRight::publish, _opts.api, *_opts.verifier,
                                       wall_ms() / 1000, "POST /api/invalidate")) {
                refuse(c, *r);
                return;
            }
            start_invalidate(c, req);
            return;
        case Route::stats:
            if (auto r = authorize_api(req, ApiRight::admin, _opts.api, *_opts.verifier,
                                       wall_ms() / 1000, "GET /api/stats")) {
                refuse(c, *r);
                return;
            }
            start_stats(c);
            return;
        case Route::ping:
        case Route::connection:
        case Route::user:
        case Route::disconnect:
        case Route::tokens: {
            // Operator queries and stream tokens (mints a user's identity): admin.
            static constexpr const char* kWhat[] = {"GET /api/ping", "GET /api/connections",
                                                    "GET /api/users", "POST /api/disconnect",
                                                    "POST /api/tokens"};
            const char* what = kWhat[int(m.route) - int(Route::ping)];
            // A token is an identity: minting one always takes credentials, also
            // where publish.http_require_auth = false leaves the rest of the API open.
            ApiAuthOptions api = _opts.api;
            if (m.route == Route::tokens) api.require_auth = true;
            if (auto r =
                    authorize_api(req, m.route == Route::ping ? ApiRight::publish : ApiRight::admin,
                                  api, *_opts.verifier, wall_ms() / 1000, what)) {
                refuse(c, *r);
                return;
            }
            if (m.route == Route::ping) {
                answer_ping(c);
            } else if (m.route == Route::tokens) {
                issue_token(c, req);
            } else {
                start_directory(c, req, m.route, m.rest);
            }
            return;
        }
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
            if (c._lifetime_ms && now_ms >= c._stream_started_ms + c._lifetime_ms) {
                // The endpoint's maximum lifetime, or the token's: flush what is
                // queued and close cleanly; the browser reconnects. A token's
                // end is announced first, so that a client can fetch a new token
                // before it reconnects rather than retry with the same one.
                if (c._extras && c._extras->ends_with_token) send_token_expired(c);
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
    if (c._extras) {
        for (const std::string& key : c._extras->limit_holds)
            _limiter.release(key);
        // The identity lives in the extras: a closed connection stays listed
        // (directory queries read user_of) until the transport frees it.
        m.who = &kAnonymous;
        c._extras.reset();
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
    w.key("ip").value(client_of(c).text());
    // Behind a trusted proxy: the proxy's own address too.
    if (c._extras && !c._extras->client.empty()) w.key("via").value(c.peer().text());
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

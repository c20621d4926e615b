// HttpServer: connections, reading and parsing requests, routing them to the
// streams (sse_streams.cc), the API (api_publish.cc, api_queries.cc) or the
// pages (web/), writing every answer, and the connection lifecycle.
#include "http/http_server.h"

#include <strings.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/log_event.h"
#include "http/cors.h"
#include "http/response.h"
#include "http/router.h"
#include "web/web_response.h"

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

// RFC 9113 §3.4: how an HTTP/2 client with prior knowledge starts.
constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace

HttpServer::HttpServer(Reactor& reactor, Transport& transport, ChannelIndex& index,
                       Audience& audience, Limiter& limiter, Hub& hub, StatsCollector& stats,
                       Directory& directory, PublishFlow& flow, StreamLimit& streams,
                       BlockingWorker& worker, const HttpOptions& opts, uint64_t started_ms,
                       uint8_t protocol)
    : _reactor(reactor)
    , _transport(transport)
    , _opts(opts)
    , _protocol(protocol)
    , _streams(*this, reactor, transport, index, audience, limiter, hub, streams, _opts)
    , _api(*this, reactor, audience, hub, stats, directory, flow, _opts, started_ms)
    , _web(_opts.web, &worker, reactor.id())
    , _export(reactor, transport, _streams, protocol) {}

HttpServer::~HttpServer() = default;

void HttpServer::apply(const HttpOptions& next) {
    // The streams point into the old endpoint list: it stays until each has
    // moved to the new one.
    const std::vector<EndpointOptions> old = std::move(_opts.endpoints);
    _opts = next;
    _streams.follow_endpoints();
    _web.apply(_opts.web);
    // HTTP/2 connections keep the settings they started with: GOAWAY sends
    // their clients' next requests to a new connection, which gets the new
    // ones; the streams open on them go on.
    for (auto& [serial, session] : _h2)
        session->shutdown();
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
    if (log_enabled(spdlog::level::debug))  // fields cost a few allocations: only when written
        log_event(spdlog::level::debug, "connection accepted",
                  {{"ip", base.peer().text()}, {"conn", connection_id(base)}});
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
        case HttpConnection::Mode::reading:
            if (!c._parser && take_h2_preface(c, data, len)) return;
            process_input(c, data, len);
            return;
        case HttpConnection::Mode::h2: h2_session(c)->on_data(data, len); return;
    }
}

bool HttpServer::take_h2_preface(HttpConnection& c, const char* data, size_t len) {
    if (Transport::is_virtual(c)) return false;
    if (!_opts.http2.enabled || on_metrics_listener(c)) {
        // llhttp would refuse it too, as "Pause on PRI/Upgrade": say why.
        if (!std::string_view(data, len).starts_with("PRI * HTTP/2.0")) return false;
        reply_error(c, 400,
                    on_metrics_listener(c)
                        ? "HTTP/2 is not served on the metrics listener: use HTTP/1.1"
                        : "HTTP/2 is turned off here ([http2] enabled = false): use HTTP/1.1",
                    true);
        return true;
    }
    std::string joined;
    std::string_view in(data, len);
    if (c._held) {  // the start of a preface came before
        joined = *c._held + std::string(in);
        in = joined;
    }
    const size_t n = std::min(in.size(), kH2Preface.size());
    if (in.substr(0, n) != kH2Preface.substr(0, n)) {
        if (!c._held) return false;
        c._held.reset();
        process_input(c, joined.data(), joined.size());  // not HTTP/2 after all
        return true;
    }
    if (in.size() < kH2Preface.size()) {
        c._held = std::make_unique<std::string>(in);
        return true;
    }
    c._held.reset();
    c._mode = HttpConnection::Mode::h2;
    auto session = std::make_unique<H2Session>(_reactor, _transport, *this, c.protocol(), c,
                                               _opts.http2, _h2_stats, _opts.keepalive_timeout_ms);
    H2Session* s = session.get();
    _h2.emplace(c.serial(), std::move(session));
    if (log_enabled(spdlog::level::debug))
        log_event(spdlog::level::debug, "http2 connection",
                  {{"ip", c.peer().text()}, {"conn", connection_id(c)}});
    if (_shutting_down) s->shutdown();
    s->on_data(in.data(), in.size());
    return true;
}

H2Session* HttpServer::h2_session(const Connection& c) const {
    auto it = _h2.find(c.serial());
    return it == _h2.end() ? nullptr : it->second.get();
}

void HttpServer::process_input(HttpConnection& c, const char* data, size_t len) {
    while (c.is_open() && c._mode == HttpConnection::Mode::reading && len > 0) {
        if (!c._parser) {
            c._parser = std::make_unique<RequestParser>(_opts.limits);
            // From the first byte of a request, it has request_timeout to arrive.
            _transport.set_deadline(c, _reactor.now_ms() + _opts.request_timeout_ms);
            c._stream_started_ms = _reactor.now_ms();  // the request's, until it is a stream
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
            log_event(spdlog::level::info, "request malformed",
                      {{"status", c._parser->error_status()},
                       {"reason", "parse_error"},
                       {"ip", client_of(c).text()},
                       {"conn", connection_id(c)},
                       {"message", c._parser->error_message()}});
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
    if (access_log_enabled() && c._parser) log_request(c, response);
    if (_opts.cors.enabled() && c._parser) {
        std::string_view origin = c._parser->request().header("origin");
        if (!origin.empty())
            response = with_headers(std::move(response), cors_response_headers(_opts.cors, origin));
    }
    _transport.send_copy(c, response);
}

// The access log's line for an answered request: "HTTP/1.1 200 OK..." gives the status.
void HttpServer::log_request(const HttpConnection& c, std::string_view response) const {
    int status = 0;
    if (response.size() > 12) std::from_chars(response.data() + 9, response.data() + 12, status);
    const HttpRequest& req = c._parser->request();
    log_access("request", {{"method", req.method_name()},
                           {"path", req.path()},
                           {"status", status},
                           {"ip", client_of(c).text()},
                           {"conn", connection_id(c)},
                           {"duration_ms", _reactor.now_ms() - c._stream_started_ms}});
}

bool HttpServer::keeps_alive(const HttpConnection& c) const {
    // The client's wish (HTTP/1.1 default, or keep-alive in 1.0), unless this
    // side already decided to close: a request it could not read whole, or the
    // daemon shutting down (an answer then says close, and closes).
    return c._parser && c._parser->request().keep_alive && !c._close_after_reply && !_shutting_down;
}

HttpConnection* HttpServer::alive(ConnectionHandle h) const {
    return static_cast<HttpConnection*>(_transport.find(h));
}

void HttpServer::reply_error(HttpConnection& c, int status, std::string_view message, bool close) {
    const bool keep_alive = !close && keeps_alive(c);
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
    const bool keep_alive = keeps_alive(c);
    c._parser.reset();
    c._sent_continue = false;
    c._mode = HttpConnection::Mode::reading;
    if (!keep_alive) {
        _transport.close(c, true);
        return;
    }
    _transport.set_deadline(c, _reactor.now_ms() + _opts.keepalive_timeout_ms);
}

// 401 answers say how to authenticate (RFC 6750 §3), every refusal why.
// Refusals of a well-formed request keep the connection.
void HttpServer::count_refusal(int status) {
    switch (status) {
        case 400: ++_refused.bad_request; break;
        case 401: ++_refused.unauthorized; break;
        case 403: ++_refused.forbidden; break;
        case 429: ++_refused.rate_limited; break;
        case 503: ++_refused.unavailable; break;
        default: break;
    }
}

void HttpServer::refuse(HttpConnection& c, const Refusal& r, std::string_view what) {
    count_refusal(r.status);
    const bool keep_alive = keeps_alive(c);
    std::string body = json_error_body(r.code, r.message, r.reason);
    if (r.status == 401) {
        std::string challenge = "Bearer realm=\"ringcast\"";
        if (r.code == "invalid_token") challenge += ", error=\"invalid_token\"";
        reply(c, http_response(401, "application/json", body, keep_alive,
                               {{"WWW-Authenticate", challenge}}));
    } else {
        reply(c, http_response(r.status, "application/json", body, keep_alive));
    }
    if (log_enabled(spdlog::level::info)) {
        const HttpRequest& req = c._parser->request();
        log_event(spdlog::level::info, what,
                  {{"status", r.status},
                   {"code", r.code},
                   {"reason", r.reason.empty() ? r.code : r.reason},
                   {"ip", client_of(c).text()},
                   {"conn", connection_id(c)},
                   {"method", req.method_name()},
                   {"path", req.path()},
                   {"message", r.message}});
    }
    finish_request(c);
}

void HttpServer::wait_for_answer(HttpConnection& c) {
    c._mode = HttpConnection::Mode::waiting;
    _transport.set_deadline(c, 0);
}

void HttpServer::complete_async(ConnectionHandle h,
                                const std::function<std::string(HttpConnection&)>& answer) {
    if (HttpConnection* c = alive(h)) complete_async(*c, answer(*c));
}

void HttpServer::complete_async(HttpConnection& c, std::string response) {
    reply(c, std::move(response));
    finish_request(c);
    std::unique_ptr<std::string> held = std::move(c._held);
    _transport.resume_reading(c);
    if (held && c._mode == HttpConnection::Mode::reading)
        process_input(c, held->data(), held->size());
}

void HttpServer::handle_request(HttpConnection& c, HttpRequest& req) {
    std::string_view path = req.path();
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);  // same resource
    if (on_metrics_listener(c) || path.starts_with("/healthz/")) {
        // The health checks answer while draining too: ready says it drains.
        RouteMatch m = route_request(req.method, path);
        switch (m.route) {
            case Route::metrics:
            case Route::health_live:
            case Route::health_ready:
                if (!_shutting_down || m.route != Route::metrics) {
                    _api.handle(c, req, m);
                    return;
                }
                break;
            case Route::method_not_allowed:
                reply(c, http_error(405,
                                    fmt::format("{} is not allowed on {}; use {}",
                                                req.method_name(), req.path(), m.allow),
                                    keeps_alive(c), {{"Allow", m.allow}}));
                finish_request(c);
                return;
            default:
                if (on_metrics_listener(c)) {
                    reply_error(c, 404,
                                fmt::format("no endpoint at {}: this listener ([metrics] listen) "
                                            "serves only /metrics, /healthz/live and "
                                            "/healthz/ready",
                                            req.path()),
                                false);
                    return;
                }
        }
    }
    if (_shutting_down) {
        reply_error(c, 503, "the server is shutting down", true);
        return;
    }
    note_untrusted_forwarding(c, req);
    if (log_enabled(spdlog::level::debug))
        log_event(spdlog::level::debug, "request",
                  {{"method", req.method_name()},
                   {"path", req.path()},
                   {"ip", client_of(c).text()},
                   {"conn", connection_id(c)}});
    const EndpointOptions* ep = find_endpoint(_opts.endpoints, path);
    if (req.method == HTTP_OPTIONS && req.has_header("access-control-request-method")) {
        RouteMatch api = route_request(HTTP_OPTIONS, path);
        const char* methods = ep ? "GET" : api.allow;
        if (methods) {
            // A browser's CORS preflight: answered here, without CORS headers
            // added twice by reply().
            _transport.send_copy(c, cors_preflight_response(_opts.cors, req.header("origin"),
                                                            methods, keeps_alive(c)));
            finish_request(c);
            return;
        }
    }
    if (ep) {
        if (req.method == HTTP_GET) {
            _streams.open(c, req, *ep);
        } else {
            reply(c, http_error(405,
                                fmt::format("{} is not allowed on {}; use GET", req.method_name(),
                                            req.path()),
                                keeps_alive(c), {{"Allow", "GET"}}));
            finish_request(c);
        }
        return;
    }
    RouteMatch m = route_request(req.method, path);
    switch (m.route) {
        case Route::method_not_allowed:
            reply(c, http_error(405,
                                fmt::format("{} is not allowed on {}; use {}", req.method_name(),
                                            req.path(), m.allow),
                                keeps_alive(c), {{"Allow", m.allow}}));
            finish_request(c);
            return;
        case Route::not_found:
            if (_web.enabled()) {
                WebPath page = parse_web_path(req.path());
                if (page.kind != WebPath::Kind::not_pages) {
                    serve_page(c, req, page);
                    return;
                }
            }
            reply_error(c, 404, fmt::format("no endpoint at {}", req.path()), false);
            return;
        default: _api.handle(c, req, m); return;
    }
}

void HttpServer::serve_page(HttpConnection& c, HttpRequest& req, const WebPath& path) {
    if (!_web.reads_disk(path)) {
        reply(c, web_response(req, _web.find(path), keeps_alive(c)));
        finish_request(c);
        return;
    }
    wait_for_answer(c);
    _web.read(path, accepts_gzip(req.header("accept-encoding")),
              [this, h = Transport::handle(c)](WebLookup&& found) {
                  complete_async(h, [&](HttpConnection& c) {
                      return web_response(c._parser->request(), found, keeps_alive(c));
                  });
              });
}

// --- lifecycle -------------------------------------------------------------------

void HttpServer::on_drained(Connection& base) {
    if (as_http(base)._mode == HttpConnection::Mode::h2) h2_session(base)->on_drained();
}

void HttpServer::on_peer_eof(Connection& base) {
    HttpConnection& c = as_http(base);
    if (c._mode == HttpConnection::Mode::h2) {
        c._end = HttpConnection::End::client;
        h2_session(c)->on_peer_eof();
        return;
    }
    if (c._mode == HttpConnection::Mode::waiting) {
        c._close_after_reply = true;  // answer what it asked, then close
        c._held.reset();              // nothing after it will be answered
    } else {
        c._end = HttpConnection::End::client;
        _transport.close(c, true);  // flush what is queued (a stream's events, a reply)
    }
}

void HttpServer::on_deadline(Connection& base, uint64_t now_ms) {
    HttpConnection& c = as_http(base);
    switch (c._mode) {
        case HttpConnection::Mode::streaming: _streams.on_deadline(c, now_ms); return;
        case HttpConnection::Mode::reading:
            if (c._parser && c._parser->started()) {
                log_event(spdlog::level::info, "request timed out",
                          {{"status", 408},
                           {"reason", "request_timeout"},
                           {"ip", client_of(c).text()},
                           {"conn", connection_id(c)},
                           {"timeout_ms", _opts.request_timeout_ms}});
                reply_error(c, 408,
                            fmt::format("the request did not arrive within {} ms",
                                        _opts.request_timeout_ms),
                            true);
            } else {
                if (log_enabled(spdlog::level::debug))
                    log_event(
                        spdlog::level::debug, "connection idle",
                        {{"reason", "idle"}, {"ip", c.peer().text()}, {"conn", connection_id(c)}});
                _transport.close(c, true);  // idle: just close
            }
            return;
        case HttpConnection::Mode::waiting: _api.ready_deadline(c); return;
        case HttpConnection::Mode::h2: h2_session(c)->on_deadline(); return;
    }
}

void HttpServer::on_closed(Connection& base) {
    HttpConnection& c = as_http(base);
    // A stream's close is logged by SseStreams, with more to say.
    if (c._mode != HttpConnection::Mode::streaming && log_enabled(spdlog::level::debug))
        log_event(spdlog::level::debug, "connection closed",
                  {{"reason", c._end == HttpConnection::End::client ? "client_closed" : "other"},
                   {"ip", c.peer().text()},
                   {"conn", connection_id(c)}});
    _streams.on_closed(c);
    if (c._mode == HttpConnection::Mode::waiting) _api.forget(c);
    if (c._mode == HttpConnection::Mode::h2) {
        h2_session(c)->on_closed();
        _h2.erase(c.serial());
    }
    c._parser.reset();
    c._held.reset();
}

void HttpServer::on_frames_dropped(Connection& c, std::span<LocalFrame* const> frames,
                                   DropReason why) {
    _streams.on_frames_dropped(as_http(c), frames, why);
}

void HttpServer::on_slow_reader_closed(Connection& c, SlowReaderClose why, uint64_t queued) {
    _streams.on_slow_reader_closed(as_http(c), why, queued);
}

void HttpServer::begin_handover() {
    _shutting_down = true;
    _transport.for_each_connection([&](Connection& base) {
        if (base.protocol() != _protocol) return;
        HttpConnection& c = as_http(base);
        if (c._mode == HttpConnection::Mode::h2) {
            h2_session(c)->shutdown();  // its streams end with a retry (stream_export.cc)
        } else if (c._mode == HttpConnection::Mode::waiting) {
            c._close_after_reply = true;  // answer what was accepted, then close
        } else if (c._mode == HttpConnection::Mode::reading) {
            _transport.close(c, true);
        }
    });
}

void HttpServer::on_fd_installed(Connection& c, int fd) {
    _export.on_fd_installed(as_http(c), fd);
}

void HttpServer::adopt_stream(Connection& base, const HandedStream& s,
                              const std::string& resume_id) {
    HttpConnection& c = as_http(base);
    if (!_streams.adopt(c, s, resume_id)) {
        spdlog::warn(
            "a stream handed over on {} cannot be served here (endpoint gone or the "
            "stream limit reached): it reconnects",
            s.endpoint);
        _export.end_with_retry(c);
    }
}

void HttpServer::begin_shutdown() {
    _shutting_down = true;
    _transport.for_each_connection([&](Connection& base) {
        if (base.protocol() != _protocol && base.protocol() != _metrics_protocol) return;
        HttpConnection& c = as_http(base);
        if (c._mode == HttpConnection::Mode::h2) {
            h2_session(c)->shutdown();  // GOAWAY; closes when its streams have ended
        } else if (c._mode == HttpConnection::Mode::waiting) {
            c._close_after_reply = true;  // answer what was accepted, then close
        } else {
            c._end = HttpConnection::End::shutdown;
            _transport.close(c, true);  // streams: flush what is queued, then close
        }
    });
}

}  // namespace ringcast

#include "http/http_server.h"

#include <strings.h>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
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
                       Audience& audience, Limiter& limiter, Hub& hub, StatsCollector& stats,
                       StreamLimit& streams, const HttpOptions& opts, uint64_t started_ms,
                       uint8_t protocol)
    : _reactor(reactor)
    , _transport(transport)
    , _index(index)
    , _audience(audience)
    , _limiter(limiter)
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
        {
            std::string publisher;
            if (auto r = authorize_api(req, ApiRight::publish, _opts.api, *_opts.verifier,
                                       wall_ms() / 1000, "POST /api/publish", &publisher)) {
                refuse(c, *r);
                return;
            }
            start_publish(c, req, std::move(publisher));
            return;
        }
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

// A stream waiting for the limiter's answers (per-IP, per-user owner shards).
struct HttpServer::PendingOpen {
    HttpServer* server = nullptr;
    HttpConnection* conn = nullptr;  // cleared if the connection closes meanwhile
    const EndpointOptions* ep = nullptr;
    StreamAdmission admission;
    std::string origin;
    LimitTicket tickets[2];
    unsigned count = 0;
    unsigned answered = 0;
};

void HttpServer::open_stream(HttpConnection& c, HttpRequest& req, const EndpointOptions& ep) {
    StreamAdmission a =
        admit_stream(req, ep, *_opts.verifier, _opts.max_channels_per_stream, wall_ms() / 1000);
    if (!a.ok) {
        refuse(c, a.refusal);
        return;
    }
    if (!_limit.try_acquire()) {
        count_refusal(503);
        reply_error(c, 503,
                    fmt::format("the limit of {} streams is reached; retry later", _limit.max()),
                    false);
        return;
    }
    // The limits that need counts kept on other shards (ops/limiter.h).
    auto p = std::make_unique<PendingOpen>();
    const PeerAddress& ip = c.peer();
    if ((ep.max_connections_per_ip || ep.rate_limit_max) &&
        ip.family != PeerAddress::Family::none) {
        LimitTicket& t = p->tickets[p->count++];
        t.key = fmt::format("ip:{}@{}", ip.text(), ep.path);
        t.rule = LimitRule{ep.max_connections_per_ip, ep.rate_limit_max, ep.rate_limit_window_ms};
    }
    if (ep.max_connections_per_user && a.claims) {
        LimitTicket& t = p->tickets[p->count++];
        t.key = "user:" + a.claims->user;
        t.rule = LimitRule{ep.max_connections_per_user, 0, 0};
    }
    if (p->count == 0) {
        start_stream(c, ep, a, req.header("origin"));
        return;
    }
    p->server = this;
    p->conn = &c;
    p->ep = &ep;
    p->admission = std::move(a);
    p->origin.assign(req.header("origin"));
    c._mode = HttpConnection::Mode::waiting;
    c._waiting_ctx = reinterpret_cast<void**>(&p->conn);
    PendingOpen* raw = p.release();
    const unsigned count = raw->count;  // answers may complete (and free) it below
    for (unsigned i = 0; i < count; ++i) {
        raw->tickets[i].done = on_limit_answer;
        raw->tickets[i].ctx = raw;
        _limiter.acquire(&raw->tickets[i]);
    }
}

void HttpServer::on_limit_answer(LimitTicket&, void* ctx) {
    auto* p = static_cast<PendingOpen*>(ctx);
    if (++p->answered < p->count) return;
    std::unique_ptr<PendingOpen> done(p);
    HttpServer& self = *p->server;
    HttpConnection* c = p->conn;
    bool all = true;
    uint64_t retry_ms = 0;
    const LimitTicket* refused = nullptr;
    for (unsigned i = 0; i < p->count; ++i) {
        const LimitTicket& t = p->tickets[i];
        if (t.granted) continue;
        all = false;
        if (!refused || t.retry_after_ms > retry_ms) refused = &t;
        retry_ms = std::max(retry_ms, t.retry_after_ms);
    }
    // Whatever was granted is given back unless the stream opens now.
    auto release_granted = [&] {
        for (unsigned i = 0; i < p->count; ++i)
            if (p->tickets[i].granted && p->tickets[i].rule.max_open)
                self._limiter.release(p->tickets[i].key);
    };
    if (!c) {  // the connection went away while we asked
        release_granted();
        self._limit.release();
        return;
    }
    c->_waiting_ctx = nullptr;
    if (self._shutting_down) {  // began while we asked: no new streams
        release_granted();
        self._limit.release();
        self.count_refusal(503);
        self.reply_error(*c, 503, "the server is shutting down", true);
        return;
    }
    if (!all) {
        release_granted();
        self._limit.release();
        const bool by_user = refused->key.starts_with("user:");
        std::string message =
            by_user ? fmt::format("user {} already has {} streams open (the most allowed)",
                                  p->admission.claims->user, refused->rule.max_open)
            : refused->by_window
                ? fmt::format("more than {} new streams from {} on {} within {} ms",
                              refused->rule.window_max, c->peer().text(), p->ep->path,
                              refused->rule.window_ms)
                : fmt::format("{} already has {} streams open on {} (the most allowed)",
                              c->peer().text(), refused->rule.max_open, p->ep->path);
        const uint64_t retry_s = std::max<uint64_t>(1, (retry_ms + 999) / 1000);
        bool keep_alive = c->_parser && c->_parser->request().keep_alive;
        self.count_refusal(429);
        self.reply(*c, http_response(429, "application/json",
                                     json_error_body("rate_limited", message,
                                                     by_user              ? "user_connections"
                                                     : refused->by_window ? "ip_rate"
                                                                          : "ip_connections"),
                                     keep_alive, {{"Retry-After", std::to_string(retry_s)}}));
        self.finish_request(*c);
        std::unique_ptr<std::string> held = std::move(c->_held);
        self._transport.resume_reading(*c);
        if (held && c->_mode == HttpConnection::Mode::reading)
            self.process_input(*c, held->data(), held->size());
        return;
    }
    for (unsigned i = 0; i < p->count; ++i) {
        if (!p->tickets[i].rule.max_open) continue;
        if (!c->_extras) c->_extras = std::make_unique<StreamExtras>();
        c->_extras->limit_holds.push_back(std::move(p->tickets[i].key));
    }
    self.start_stream(*c, *p->ep, p->admission, p->origin);
    self._transport.resume_reading(*c);  // reading watches for the client leaving
}

void HttpServer::start_stream(HttpConnection& c, const EndpointOptions& ep, StreamAdmission& a,
                              std::string_view origin) {
    const std::vector<std::string>& unique = a.channels;
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
        handshake = with_headers(std::move(handshake), cors_response_headers(_opts.cors, origin));
    handshake += sse_retry(_opts.retry_ms);
    handshake += sse_event({}, "connected", connected);

    const int64_t expires_at_s = a.claims ? a.claims->expires_at_s : 0;
    if (a.claims) {
        if (!c._extras) c._extras = std::make_unique<StreamExtras>();
        Identity& who = c._extras->identity;
        who.user = std::move(a.claims->user);
        who.authenticated = true;
        who.subscriber = a.claims->subscriber;
        _audience.set_names(who, a.claims->roles, a.claims->permissions);
        c._extras->authenticated = true;
    }
    c._endpoint = &ep;
    Member& m = c._member;
    m.connection = &c;
    m.who = c._extras && c._extras->authenticated ? &c._extras->identity : &kAnonymous;
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
    uint64_t lifetime = ep.connection_timeout_ms;
    if (expires_at_s > 0) {
        // At least 1 ms: 0 means "no end".
        uint64_t left = uint64_t(std::max<int64_t>(1, expires_at_s * 1000 - wall_ms()));
        if (!lifetime || left < lifetime) lifetime = left;
    }
    c._lifetime_ms = uint32_t(std::min<uint64_t>(lifetime, UINT32_MAX));
    ++_streams;
    _transport.send_copy(c, handshake);
    _transport.set_deadline(c, stream_deadline(c, _reactor.now_ms()));
}

uint64_t HttpServer::stream_deadline(const HttpConnection& c, uint64_t now_ms) const {
    uint64_t next = now_ms + c._endpoint->heartbeat_interval_ms;
    if (c._lifetime_ms) next = std::min(next, c._stream_started_ms + c._lifetime_ms);
    return next;
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

void HttpServer::refuse(HttpConnection& c, const Refusal& r) {
    count_refusal(r.status);
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

// A publish waiting for the limiter's answers (publish.rate_limit, user_rate_limit).
struct HttpServer::PendingPublish {
    PublishCheck check;  // check.ctx: the connection, cleared if it goes away
    Message msg;
    HttpServer* self = nullptr;
};

void HttpServer::start_publish(HttpConnection& c, HttpRequest& req, std::string publisher) {
    Message msg;
    std::string error;
    if (!parse_message_text(_json, req.body, &msg, &error)) {
        reply_error(c, 400, error, false);
        return;
    }
    c._mode = HttpConnection::Mode::waiting;
    _transport.set_deadline(c, 0);
    const bool by_publisher = _opts.publish_rule.active();
    const bool by_user =
        _opts.publish_user_rule.active() && msg.target.kind == Target::Kind::users;
    if (!by_publisher && !by_user) {  // no limits (the default): no message to anyone
        publish_now(&c, msg, {});
        return;
    }
    auto* p = new PendingPublish;
    p->self = this;
    p->msg = std::move(msg);
    PublishCheck& k = p->check;
    if (by_publisher) {
        // Credentials not read (http_require_auth = false): the client's address.
        k.publisher_key = publisher.empty() ? "pubip:" + c.peer().text() : std::move(publisher);
        k.publisher_rule = _opts.publish_rule;
    }
    if (by_user) {
        k.users = p->msg.target.users;
        k.user_rule = _opts.publish_user_rule;
    }
    k.done = on_publish_checked;
    k.ctx = &c;
    k.owner = p;
    c._waiting_ctx = &k.ctx;
    check_publish(_limiter, &k);  // may answer synchronously (keys this shard owns)
}

void HttpServer::on_publish_checked(PublishCheck& k, void* ctx) {
    std::unique_ptr<PendingPublish> p(static_cast<PendingPublish*>(k.owner));
    HttpServer& self = *p->self;
    auto* c = static_cast<HttpConnection*>(ctx);  // null: the publisher went away
    if (c) c->_waiting_ctx = nullptr;
    auto refuse_429 = [&](std::string_view reason, std::string message) {
        if (!c) return;
        self.count_refusal(429);
        const uint64_t retry_s = std::max<uint64_t>(1, (k.retry_after_ms + 999) / 1000);
        bool keep_alive = c->_parser && c->_parser->request().keep_alive && !c->_close_after_reply;
        self.complete_async(*c, http_response(429, "application/json",
                                              json_error_body("rate_limited", message, reason),
                                              keep_alive,
                                              {{"Retry-After", std::to_string(retry_s)}}));
    };
    if (k.publisher_refused) {
        refuse_429("publisher_rate",
                   fmt::format("more than {} publishes from this publisher within {} ms "
                               "(publish.rate_limit)",
                               k.publisher_rule.window_max, k.publisher_rule.window_ms));
        return;
    }
    std::vector<std::string>& users = p->msg.target.users;
    if (!k.limited.empty()) {
        std::erase_if(users, [&](const std::string& u) {
            return std::find(k.limited.begin(), k.limited.end(), u) != k.limited.end();
        });
        if (users.empty()) {
            refuse_429("user_rate",
                       fmt::format("every target user already had {} events within {} ms "
                                   "(publish.user_rate_limit): {}",
                                   k.user_rule.window_max, k.user_rule.window_ms,
                                   fmt::join(k.limited, ", ")));
            return;
        }
    }
    self.publish_now(c, p->msg, std::move(k.limited));
}

// Builds the event and hands it to the hub; the reply (if `c`) comes when every
// shard has reported. `limited`: target users left out by user_rate_limit.
void HttpServer::publish_now(HttpConnection* c, Message& msg, std::vector<std::string> limited) {
    Event* e = Event::build(msg, wall_ms());
    if (!c) {
        _hub.publish(e, nullptr);
        return;
    }
    auto* t = new PublishTicket;
    t->done = on_publish_done;
    t->ctx = c;
    t->owner = this;
    if (!limited.empty())
        t->cookie = uint64_t(reinterpret_cast<uintptr_t>(
            new std::vector<std::string>(std::move(limited))));
    c->_waiting_ctx = &t->ctx;
    _hub.publish(e, t);  // may complete synchronously (single shard)
}

void HttpServer::on_publish_done(PublishTicket& t, void* ctx) {
    std::unique_ptr<std::vector<std::string>> limited(
        reinterpret_cast<std::vector<std::string>*>(uintptr_t(t.cookie)));
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
        .value(t.failed);
    if (limited) {
        w.key("limited").begin_array();
        for (const std::string& u : *limited)
            w.value(u);
        w.end_array();
    }
    w.end_object();
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
            if (c._lifetime_ms && now_ms >= c._stream_started_ms + c._lifetime_ms) {
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
    if (c._extras) {
        for (const std::string& key : c._extras->limit_holds)
            _limiter.release(key);
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
    w.key("ip").value(c.peer().text());
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

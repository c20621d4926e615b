// SseStreams: admission, the limiter round trip, the stream's first bytes,
// catching up, heartbeats and lifetimes, and what operators see of a stream
// (describe). What slow readers lose is in slow_readers.cc.
#include "http/sse_streams.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "alerts/alert_feed.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "core/log_event.h"
#include "http/cors.h"
#include "http/http_server.h"
#include "http/query.h"
#include "http/response.h"
#include "http/sse_streams.h"
#include "pubsub/channel_name.h"
#include "pubsub/event.h"
#include "pubsub/sse_format.h"
#include "pubsub/target.h"

namespace ringcast {

namespace {

constexpr std::string_view kStreamHeaders =
    "HTTP/1.1 200 OK\r\n"
    "Server: ringcast\r\n"
    "Content-Type: text/event-stream\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: keep-alive\r\n"
    "X-Accel-Buffering: no\r\n"
    "\r\n";

}  // namespace

SseStreams::SseStreams(HttpServer& http, Reactor& reactor, Transport& transport,
                       ChannelIndex& index, Audience& audience, Limiter& limiter, Hub& hub,
                       StreamLimit& limit, const HttpOptions& opts)
    : _http(http)
    , _reactor(reactor)
    , _transport(transport)
    , _index(index)
    , _audience(audience)
    , _limiter(limiter)
    , _hub(hub)
    , _limit(limit)
    , _opts(opts) {}

SseStreams::~SseStreams() {
    if (_heartbeat) _reactor.frames().drop_user(_heartbeat);
}

void SseStreams::open(HttpConnection& c, HttpRequest& req, const EndpointOptions& ep) {
    StreamAdmission a = admit_stream(req, ep, *_opts.verifier, _opts.channel_rules,
                                     _opts.max_channels_per_stream, wall_ms() / 1000);
    if (!a.ok) {
        _http.refuse(c, a.refusal, "stream refused");
        return;
    }
    if (!_limit.try_acquire()) {
        _http.count_refusal(503);
        log_event(spdlog::level::info, "stream refused",
                  {{"status", 503},
                   {"reason", "max_connections"},
                   {"ip", _http.client_of(c).text()},
                   {"conn", _http.connection_id(c)},
                   {"path", ep.path}});
        _http.reply_error(
            c, 503, fmt::format("the limit of {} streams is reached; retry later", _limit.max()),
            false);
        return;
    }
    // The limits that need counts kept on other shards (ops/limiter.h). Without
    // any (the default), the stream opens here, allocating nothing more.
    const PeerAddress ip = _http.client_of(c);
    const bool per_ip =
        (ep.max_connections_per_ip || ep.rate_limit_max) && ip.family != PeerAddress::Family::none;
    const bool per_user = ep.max_connections_per_user && a.claims;
    if (!per_ip && !per_user) {
        start(c, ep, a, req.header("origin"));
        return;
    }
    PendingOpen p;
    if (per_ip)
        p.asks.push_back(
            {fmt::format("ip:{}@{}", ip.text(), ep.path),
             LimitRule{ep.max_connections_per_ip, ep.rate_limit_max, ep.rate_limit_window_ms}});
    if (per_user)
        p.asks.push_back({"user:" + a.claims->user, LimitRule{ep.max_connections_per_user, 0, 0}});
    p.path = ep.path;
    p.client = ip;
    p.admission = std::move(a);
    p.origin.assign(req.header("origin"));
    c._mode = HttpConnection::Mode::waiting;
    std::vector<LimitAsk> asks = p.asks;
    _limiter.acquire(std::move(asks),
                     [this, h = Transport::handle(c), p = std::move(p)](
                         std::vector<LimitVerdict>& v) mutable { on_limit_answer(h, p, v); });
}

void SseStreams::on_limit_answer(ConnectionHandle h, PendingOpen& p,
                                 std::vector<LimitVerdict>& verdicts) {
    auto* c = static_cast<HttpConnection*>(_transport.find(h));
    bool all = true;
    uint64_t retry_ms = 0;
    size_t refused = verdicts.size();
    for (size_t i = 0; i < verdicts.size(); ++i) {
        const LimitVerdict& v = verdicts[i];
        if (v.granted) continue;
        all = false;
        if (refused == verdicts.size() || v.retry_after_ms > retry_ms) refused = i;
        retry_ms = std::max(retry_ms, v.retry_after_ms);
    }
    if (all && c && !_http.shutting_down() && ask_cluster_cap(h, p, verdicts)) return;
    // Whatever was granted is given back unless the stream opens now.
    auto release_granted = [&] {
        for (size_t i = 0; i < verdicts.size(); ++i)
            if (verdicts[i].granted && p.asks[i].rule.max_open) _limiter.release(p.asks[i].key);
        if (p.cluster_held) _user_caps->release(p.admission.claims->user);
    };
    if (!c) {  // the connection went away while we asked
        release_granted();
        _limit.release();
        return;
    }
    if (_http.shutting_down()) {  // began while we asked: no new streams
        release_granted();
        _limit.release();
        _http.count_refusal(503);
        _http.reply_error(*c, 503, "the server is shutting down", true);
        return;
    }
    if (!all) {
        release_granted();
        _limit.release();
        const LimitAsk& ask = p.asks[refused];
        const LimitVerdict& v = verdicts[refused];
        const bool by_user = ask.key.starts_with("user:");
        std::string message =
            by_user ? fmt::format("user {} already has {} streams open (the most allowed)",
                                  p.admission.claims->user, ask.rule.max_open)
            : v.by_window
                ? fmt::format("more than {} new streams from {} on {} within {} ms",
                              ask.rule.window_max, p.client.text(), p.path, ask.rule.window_ms)
                : fmt::format("{} already has {} streams open on {} (the most allowed)",
                              p.client.text(), ask.rule.max_open, p.path);
        const uint64_t retry_s = std::max<uint64_t>(1, (retry_ms + 999) / 1000);
        const char* reason = by_user       ? "user_connections"
                             : v.by_window ? "ip_rate"
                                           : "ip_connections";
        _http.count_refusal(429);
        log_event(spdlog::level::info, "stream refused",
                  {{"status", 429},
                   {"reason", reason},
                   {"ip", p.client.text()},
                   {"conn", _http.connection_id(*c)},
                   {"path", p.path},
                   {"user", by_user ? p.admission.claims->user : std::string()},
                   {"message", message}});
        _http.complete_async(
            *c,
            http_response(429, "application/json", json_error_body("rate_limited", message, reason),
                          _http.keeps_alive(*c), {{"Retry-After", std::to_string(retry_s)}}));
        return;
    }
    const EndpointOptions* ep = find_endpoint(_opts.endpoints, p.path);
    if (!ep) {  // a reload removed it while we asked
        release_granted();
        _limit.release();
        _http.complete_async(*c, http_response(404, "application/json",
                                               json_error_body("not_found",
                                                               "this endpoint was removed by a "
                                                               "configuration reload"),
                                               _http.keeps_alive(*c)));
        return;
    }
    for (size_t i = 0; i < p.asks.size(); ++i) {
        if (!p.asks[i].rule.max_open) continue;
        if (!c->_extras) c->_extras = std::make_unique<StreamExtras>();
        c->_extras->limit_holds.push_back(std::move(p.asks[i].key));
    }
    if (p.cluster_held) c->_extras->limit_holds.push_back(cluster_hold(p.admission.claims->user));
    start(*c, *ep, p.admission, p.origin);
    _transport.resume_reading(*c);  // reading watches for the client leaving
}

void SseStreams::start(HttpConnection& c, const EndpointOptions& ep, StreamAdmission& a,
                       std::string_view origin) {
    const std::vector<std::string>& unique = a.channels;
    std::string connected;
    JsonWriter w(connected);
    w.begin_object().key("connectionId").value(_http.connection_id(c)).key("userId");
    if (a.claims) {
        w.value(a.claims->user);
    } else {
        w.null();
    }
    w.key("channels").begin_array();
    for (const auto& n : unique)
        w.value(n);
    w.end_array().key("timestamp").value(wall_ms());
    w.key("cacheEnabled").value(_opts.cache_enabled).end_object();

    std::string handshake;
    handshake.reserve(kStreamHeaders.size() + connected.size() + 64);
    handshake += kStreamHeaders;
    if (_opts.cors.enabled())
        handshake = with_headers(std::move(handshake), cors_response_headers(_opts.cors, origin));
    handshake += sse_retry(_opts.retry_ms);
    handshake += sse_event({}, "connected", connected);

    const int64_t token_ends_ms = a.claims ? a.claims->accepted_until_ms : 0;
    if (a.claims) {
        if (!c._extras) c._extras = std::make_unique<StreamExtras>();
        Identity& who = c._extras->identity;
        who.user = std::move(a.claims->user);
        who.authenticated = true;
        who.subscriber = a.claims->subscriber;
        _audience.set_names(who, a.claims->roles, a.claims->permissions);
        c._extras->authenticated = true;
    }
    // Behind a trusted proxy the connection is this client's for its life: its
    // address outlives the request that named it.
    if (const PeerAddress client = _http.client_of(c); !(client == c.peer())) {
        if (!c._extras) c._extras = std::make_unique<StreamExtras>();
        c._extras->client = client;
    }
    c._endpoint = &ep;
    std::unique_ptr<CatchUpWaiter> catch_up = hold_channels(c, unique, std::move(a.last_event_id));
    const Member& m = c._member;
    c._mode = HttpConnection::Mode::streaming;
    c._parser.reset();
    c._held.reset();
    c._stream_started_ms = _reactor.now_ms();
    // A stream ends cleanly when its endpoint's lifetime runs out or when the
    // verifier would no longer accept its token (exp + leeway: the rule that
    // admitted it), whichever is first: the browser reconnects, with a fresh
    // token, or is refused once (401) instead of looping through streams that
    // end as soon as they open.
    uint64_t lifetime = ep.connection_timeout_ms;
    if (token_ends_ms > 0) {
        // At least 1 ms: 0 means "no end". The lifetime counts from the loop's
        // clock, which may be behind by however long this turn has run: that
        // time is added, so that the stream never ends before the verifier
        // stops admitting its token (a reconnect then would be admitted).
        const uint64_t behind = mono_ms() - c._stream_started_ms;
        uint64_t left = uint64_t(std::max<int64_t>(1, token_ends_ms - wall_ms())) + behind;
        if (!lifetime || left < lifetime) {
            lifetime = left;
            c._extras->ends_with_token = true;
        }
    }
    c._lifetime_ms = uint32_t(std::min<uint64_t>(lifetime, UINT32_MAX));
    ++_streams;
    log_stream_opened(c);
    _transport.send_copy(c, handshake);
    // Right after `connected`: its alerts, the list for its identity (one frame
    // per distinct list, alerts/alert_feed.h).
    if (_opts.alerts.enabled &&
        std::find(unique.begin(), unique.end(), _opts.alerts.channel) != unique.end())
        _transport.enqueue(c, _reactor.local<AlertFeed>().first_frame(*m.who));
    _transport.set_deadline(c, deadline(c, _reactor.now_ms()));
    ask_catch_up(c, std::move(catch_up));
}

std::unique_ptr<CatchUpWaiter> SseStreams::hold_channels(HttpConnection& c,
                                                         const std::vector<std::string>& unique,
                                                         std::optional<std::string> last_id) {
    Member& m = c._member;
    m.connection = &c;
    m.who = c._extras && c._extras->authenticated ? &c._extras->identity : &kAnonymous;
    m.subs = new Subscription[unique.size()];
    m.nsubs = uint16_t(unique.size());
    // Every stream catches up before it goes live (pubsub/catch_up.h): it holds
    // its channels now and subscribes once the log has answered.
    std::vector<Channel*> held;
    held.reserve(unique.size());
    for (size_t i = 0; i < unique.size(); ++i) {
        Channel* ch = _index.get_or_create(unique[i], channel_hash(unique[i]));
        m.subs[i].connection = &c;
        m.subs[i].who = m.who;
        // Known (describe() lists it) but not in the channel's list until go_live.
        m.subs[i].channel = ch;
        m.subs[i].index = Subscription::kHeld;
        _index.hold(*ch);
        held.push_back(ch);
    }
    auto catch_up = std::make_unique<CatchUpWaiter>();
    catch_up->channels = unique;
    catch_up->last_id = std::move(last_id);
    catch_up->user = m.who->user;
    catch_up->channels_held = std::move(held);
    return catch_up;
}

void SseStreams::ask_catch_up(HttpConnection& c, std::unique_ptr<CatchUpWaiter> catch_up) {
    if (catch_up->last_id) ++_catch_up_stats.resumes;
    catch_up->member = &c._member;
    catch_up->stream = Transport::handle(c);
    catch_up->listener = this;
    _hub.catch_up(std::move(catch_up));
}

void SseStreams::go_live(Member& m, const std::vector<Channel*>& held) {
    for (size_t i = 0; i < held.size(); ++i) {
        _index.subscribe(m.subs[i], *held[i]);
        _index.release(*held[i]);
    }
    _audience.add(m);
}

// The log's answer to a stream that caught up: what it gets first, then it goes live.
void SseStreams::on_catch_up_answer(CatchUpWaiter& w) {
    auto* c = static_cast<HttpConnection*>(_transport.find(w.stream));
    if (!c) {  // the stream went away meanwhile
        _hub.abandon(w);
        for (Channel* ch : w.channels_held)
            _index.release(*ch);
        return;
    }
    queue_catch_up(*c, w);
    go_live(c->_member, w.channels_held);
}

void SseStreams::queue_catch_up(HttpConnection& c, CatchUpWaiter& w) {
    const Identity& who = *c._member.who;
    bool gap = w.gap;
    const std::string high_id = std::move(w.high_id);
    // Targeting as in the live fan-out (pubsub/recipients.h), for one stream.
    std::vector<Event*> events = merge_catch_up(w, wall_ms());
    std::erase_if(events, [&](Event* e) {
        if (e->for_everyone() || matches(_audience.resolve(e->target()), who)) return false;
        e->release();
        return true;
    });
    // A catch-up larger than a queue may hold (several channels' full
    // histories, say) would cut the stream and loop it: it gets the newest
    // part that fits, and is told of the gap before it.
    uint64_t bytes = 0;
    size_t first = events.size();
    while (first > 0 && bytes + events[first - 1]->size() <= _opts.catch_up_max_bytes)
        bytes += events[--first]->size();
    if (first > 0) {
        ++_catch_up_stats.trimmed;
        gap = true;
        for (size_t i = 0; i < first; ++i)
            events[i]->release();
        events.erase(events.begin(), events.begin() + ptrdiff_t(first));
    }
    if (gap) {
        ++_catch_up_stats.gaps;
        _transport.send_copy(c, sse_event({}, "refresh", R"({"reason":"history-gap"})"));
    }
    LocalFramePool& frames = _reactor.frames();
    uint64_t last_sent = 0;  // the sequence of the last event queued
    uint64_t replayed = 0;
    for (Event* e : events) {
        LocalFrame* lf = frames.wrap(e);  // takes the reference the answer carried
        if (_transport.enqueue(c, lf)) {
            ++replayed;
            last_sent = e->sequence();
        }
        frames.drop_if_unused(lf);
    }
    _catch_up_stats.replayed += replayed;
    // Every stream catches up (it may be owed something); only those that got
    // something are counted, the id-only block below not being an event.
    if (gap || replayed) ++_catch_up_stats.streams;
    // The stream now has everything up to the log's last event on its channels:
    // an id-only block (not an event: EventSource just records the id) moves its
    // Last-Event-ID there, so that its next resume starts from here. Not when
    // the last event queued is at or past that position: live events buffered
    // while the answer travelled can be newer than the answer (a stream on the
    // log's own shard gets those numbered between the answer and its
    // delivery), and moving the id back behind them would replay them on the
    // next resume.
    if (w.high_sequence > last_sent) _transport.send_copy(c, "id: " + high_id + "\n\n");
}

uint64_t SseStreams::deadline(const HttpConnection& c, uint64_t now_ms) const {
    uint64_t next = now_ms + c._endpoint->heartbeat_interval_ms;
    if (c._lifetime_ms) next = std::min(next, c._stream_started_ms + c._lifetime_ms);
    return next;
}

LocalFrame* SseStreams::heartbeat_frame() {
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
    // Priority 0: the first thing a slow reader loses (the next beat replaces it).
    _heartbeat = frames.wrap(SharedFrame::copy_of(bytes, 0));
    frames.add_user(_heartbeat);  // the server's own hold, dropped when replaced
    _heartbeat_ms = now;
    return _heartbeat;
}

void SseStreams::send_heartbeat(HttpConnection& c) {
    _transport.enqueue(c, heartbeat_frame());
}

void SseStreams::send_token_expired(HttpConnection& c) {
    std::string data;
    JsonWriter w(data);
    w.begin_object()
        .key("reason")
        .value("token-expired")
        .key("timestamp")
        .value(wall_ms())
        .end_object();
    _transport.send_copy(c, sse_event({}, "token-expired", data));
}

void SseStreams::on_deadline(HttpConnection& c, uint64_t now_ms) {
    if (c._lifetime_ms && now_ms >= c._stream_started_ms + c._lifetime_ms) {
        // The endpoint's maximum lifetime, or the token's: flush what is
        // queued and close cleanly; the browser reconnects. A token's
        // end is announced first, so that a client can fetch a new token
        // before it reconnects rather than retry with the same one.
        const bool token = c._extras && c._extras->ends_with_token;
        if (token) send_token_expired(c);
        c._end = token ? HttpConnection::End::token_expired : HttpConnection::End::lifetime;
        _transport.close(c, true);
        return;
    }
    send_heartbeat(c);
    _transport.set_deadline(c, deadline(c, now_ms));
}

void SseStreams::leave_channels(HttpConnection& c) {
    Member& m = c._member;
    if (!m.subs) return;
    _audience.remove(m);
    for (uint16_t i = 0; i < m.nsubs; ++i)
        _index.unsubscribe(m.subs[i]);
    delete[] m.subs;
    m.subs = nullptr;
    m.nsubs = 0;
}

void SseStreams::on_closed(HttpConnection& c) {
    if (c._mode == HttpConnection::Mode::streaming) log_stream_closed(c);
    leave_channels(c);
    if (c._mode == HttpConnection::Mode::streaming) {
        --_streams;
        _limit.release();
    }
    if (c._extras) {
        for (const std::string& key : c._extras->limit_holds)
            if (!release_cluster_hold(key)) _limiter.release(key);
        // The identity lives in the extras: a closed connection stays listed
        // (directory queries read user_of) until the transport frees it.
        c._member.who = &kAnonymous;
        c._extras.reset();
    }
}

bool SseStreams::describe(const Connection& base, JsonWriter& w) const {
    const HttpConnection* stream = stream_of(base);
    if (!stream) return false;
    const HttpConnection& c = *stream;
    w.begin_object();
    w.key("connectionId").value(_http.connection_id(c));
    w.key("ip").value(_http.client_of(c).text());
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
    w.key("connectedAt").value(wall_ms_of(c._stream_started_ms));
    w.key("lastActivity").value(wall_ms_of(c.last_activity_ms()));
    w.key("queuedBytes").value(c.queued_bytes());
    w.end_object();
    return true;
}

std::string_view SseStreams::user_of(const Connection& base) const {
    const HttpConnection* c = stream_of(base);
    return c ? c->_member.who->user : std::string_view();
}

void SseStreams::follow_endpoints() {
    _transport.for_each_connection([&](Connection& base) {
        if (base.protocol() != _http.protocol()) return;
        auto& c = static_cast<HttpConnection&>(base);
        if (!c._endpoint) return;
        const std::string& path = c._endpoint->path;
        if (const EndpointOptions* now = find_endpoint(_opts.endpoints, path)) {
            const bool beat_changed =
                now->heartbeat_interval_ms != c._endpoint->heartbeat_interval_ms;
            c._endpoint = now;
            // The next beat by the new interval, counted from now.
            if (beat_changed && c._mode == HttpConnection::Mode::streaming)
                _transport.set_deadline(c, deadline(c, _reactor.now_ms()));
            return;
        }
        // Removed: the stream keeps the options it had until it ends, from a
        // copy kept here (one per removed path, not per stream).
        auto kept = std::find_if(_removed_endpoints.begin(), _removed_endpoints.end(),
                                 [&](const EndpointOptions& e) { return e.path == path; });
        if (kept == _removed_endpoints.end()) {
            _removed_endpoints.push_back(*c._endpoint);
            kept = std::prev(_removed_endpoints.end());
        }
        c._endpoint = &*kept;
    });
}

StreamCensus SseStreams::census() const {
    StreamCensus census;
    census.by_endpoint.assign(_opts.endpoints.size(), 0);
    const EndpointOptions* first = _opts.endpoints.data();
    _transport.for_each_connection([&](Connection& c) {
        census.queued_bytes += c.queued_bytes();
        // A stream on an endpoint a reload removed is in no endpoint's count.
        const HttpConnection* s = stream_of(c);
        if (s && s->_endpoint >= first && s->_endpoint < first + census.by_endpoint.size())
            ++census.by_endpoint[size_t(s->_endpoint - first)];
    });
    return census;
}

const HttpConnection* SseStreams::stream_of(const Connection& base) const {
    if (base.protocol() != _http.protocol()) return nullptr;
    const auto& c = static_cast<const HttpConnection&>(base);
    return c._mode == HttpConnection::Mode::streaming ? &c : nullptr;
}

}  // namespace ringcast

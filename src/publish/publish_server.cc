#include "publish/publish_server.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/json_writer.h"
#include "pubsub/event.h"
#include "pubsub/message_json.h"

namespace ringcast {

namespace {

PublishConnection& as_pub(Connection& c) {
    return static_cast<PublishConnection&>(c);
}

constexpr const char* kOps = "ping, publish, stats, connection, user, disconnect";

std::string json_string(std::string_view s) {
    std::string out = "\"";
    JsonWriter::escape_into(out, s);
    out += '"';
    return out;
}

std::string error_object(std::string_view code, std::string_view message) {
    return "{\"code\":" + json_string(code) + ",\"message\":" + json_string(message) + "}";
}

// A rate_limited error: when a retry may succeed, in ms.
std::string rate_error_object(std::string_view message, uint64_t retry_ms) {
    return "{\"code\":\"rate_limited\",\"message\":" + json_string(message) +
           ",\"retryAfterMs\":" + std::to_string(retry_ms) + "}";
}

// ,"limited":["u1",...] (nothing when empty).
std::string limited_member(const std::vector<std::string>& limited) {
    if (limited.empty()) return {};
    std::string out = ",\"limited\":[";
    for (size_t i = 0; i < limited.size(); ++i) {
        if (i) out += ',';
        out += json_string(limited[i]);
    }
    out += ']';
    return out;
}

// Drops the users the limiter refused; false if nobody is left.
bool drop_limited(Message& m, const std::vector<std::string>& limited) {
    if (limited.empty()) return true;
    std::erase_if(m.target.users, [&](const std::string& u) {
        return std::find(limited.begin(), limited.end(), u) != limited.end();
    });
    return !m.target.users.empty();
}


}  // namespace

// What a reply needs to know about its request.
struct PublishServer::Request {
    std::string req;  // "req" as compact JSON; empty: fire-and-forget
    uint64_t line = 0;
    bool answered() const { return !req.empty(); }
};

// A publish with "messages": one reply when every message is accounted for.
struct PublishServer::Batch {
    PublishServer* server = nullptr;
    PublishConnection* conn = nullptr;
    Request request;
    uint64_t slot = 0;
    uint32_t remaining = 0;
    uint64_t sent = 0;
    uint64_t failed = 0;
    std::vector<std::string> results;  // per message; deferred: its error line, if any
    std::vector<std::string> limited;  // per message (sized when needed): ,"limited":[...]
    bool deferred = false;  // fire-and-forget, waiting on the limiter: errors go in `slot`
};

// One message waiting for publish.user_rate_limit, then for its publish.
struct PublishServer::PendingOne {
    PublishCheck check;
    Message msg;
    PublishServer* server = nullptr;
    PublishConnection* conn = nullptr;
    uint64_t slot = 0;
    bool answered = false;
};

// A batch's message waiting for publish.user_rate_limit.
struct PublishServer::PendingItem {
    PublishCheck check;
    Message msg;
    Batch* batch = nullptr;
    size_t index = 0;
};

PublishServer::PublishServer(Reactor& reactor, Transport& transport, Hub& hub,
                             StatsCollector& stats, Directory& directory, Limiter& limiter,
                             const PublishOptions& opts, uint64_t started_ms, uint8_t protocol)
    : _reactor(reactor)
    , _transport(transport)
    , _hub(hub)
    , _stats(stats)
    , _directory(directory)
    , _limiter(limiter)
    , _opts(opts)
    , _started_ms(started_ms)
    , _protocol(protocol) {}

PublishServer::~PublishServer() = default;

Connection* PublishServer::create_connection() {
    return new PublishConnection(_opts.max_line);
}

// The transport is done with the connection. If answers are still due from
// other shards, the object lives on until the last one arrives (answer_arrived).
void PublishServer::destroy_connection(Connection* base) {
    PublishConnection& c = as_pub(*base);
    c._closed = true;
    maybe_free(c);
}

// Answers still due from other shards, or a place on the flush list, keep the
// object alive after the transport is done with it.
void PublishServer::maybe_free(PublishConnection& c) {
    if (c._closed && c._inflight == 0 && !c._dirty) delete &c;
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
    spdlog::info("shard {}: publisher refused (pid {}): {}", _reactor.id(), c._peer.pid, why);
    c._replies.push("{\"ok\":false,\"error\":" + error_object("forbidden", why) + "}\n");
    c._finish = true;
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
    if (!ok) {
        Request r;
        r.line = c._reader.lines() + 1;
        reply_error(
            c, r, "line_too_long",
            fmt::format("a request line is longer than publish.max_line ({} bytes); closing",
                        _opts.max_line));
        c._finish = true;
        c._stopped = true;
        _transport.pause_reading(c);
    }
    mark_dirty(c);
}

// Returns false to stop reading this connection for now.
bool PublishServer::handle_line(PublishConnection& c, std::string_view line, uint64_t number) {
    if (line.empty()) return true;
    Request r;
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
            } else if (obj.size() > 1 + (r.answered() ? 1 : 0) + 1) {
                reply_error(c, r, "invalid_field",
                            "a batch has only \"op\", \"req\" and \"messages\"; message fields go "
                            "inside each message");
            } else {
                publish_batch(c, r, arr);
            }
        } else {
            publish_one(c, r, obj);
        }
    } else if (op == "ping") {
        reply_ok(c, r, fmt::format(",\"version\":\"{}\",\"time\":{}", RINGCAST_VERSION, wall_ms()));
    } else if (op == "stats") {
        start_stats(c, r);
    } else if (op == "connection" || op == "user" || op == "disconnect") {
        start_directory(c, r, obj);
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

// --- publish ---------------------------------------------------------------------

bool PublishServer::over_rate(PublishConnection& c, uint64_t* retry_ms) {
    if (!_opts.rate_max) return false;
    const uint64_t now = _reactor.now_ms();
    if (c._rate_count == 0 || now >= c._rate_start_ms + _opts.rate_window_ms) {
        c._rate_start_ms = now;
        c._rate_count = 0;
    }
    if (c._rate_count >= _opts.rate_max) {
        *retry_ms = std::max<uint64_t>(1, c._rate_start_ms + _opts.rate_window_ms - now);
        ++_refused.rate_limited;
        return true;
    }
    ++c._rate_count;
    return false;
}

std::string PublishServer::rate_message() const {
    return fmt::format("more than {} publishes on this connection within {} ms "
                       "(publish.rate_limit)",
                       _opts.rate_max, _opts.rate_window_ms);
}

bool PublishServer::needs_user_check(const Message& m) const {
    return _opts.user_rule.active() && m.target.kind == Target::Kind::users;
}

std::string PublishServer::user_rate_message(const PublishCheck& k) {
    return fmt::format("every target user already had {} events within {} ms "
                       "(publish.user_rate_limit): {}",
                       k.user_rule.window_max, k.user_rule.window_ms, fmt::join(k.limited, ", "));
}

void PublishServer::publish_one(PublishConnection& c, const Request& r, simdjson::dom::object obj) {
    Message m;
    std::string error;
    if (!parse_message(obj, &m, &error, {"op", "req"})) {
        reply_error(c, r, "invalid_field", error);
        return;
    }
    uint64_t retry_ms = 0;
    if (over_rate(c, &retry_ms)) {
        reply_error_object(c, r, rate_error_object(rate_message(), retry_ms));
        return;
    }
    if (needs_user_check(m)) {
        // The reply's place is taken now, so it keeps its order among the replies.
        auto* p = new PendingOne;
        p->server = this;
        p->conn = &c;
        p->answered = r.answered();
        p->slot = r.answered() ? reserve(c, r) : c._replies.reserve_silent(r.line);
        p->msg = std::move(m);
        p->check.users = p->msg.target.users;
        p->check.user_rule = _opts.user_rule;
        p->check.done = on_one_checked;
        p->check.owner = p;
        ++c._inflight;
        check_publish(_limiter, &p->check);  // may answer at once
        return;
    }
    Event* e = Event::build(m, wall_ms());
    if (!r.answered()) {
        _hub.publish(e, nullptr);  // fire-and-forget: nobody waits for the counts
        return;
    }
    auto* t = new PublishTicket;
    t->done = on_publish_done;
    t->ctx = &c;
    t->owner = this;
    t->cookie = reserve(c, r);
    ++c._inflight;
    _hub.publish(e, t);
}

void PublishServer::on_one_checked(PublishCheck& k, void* /*ctx*/) {
    std::unique_ptr<PendingOne> p(static_cast<PendingOne*>(k.owner));
    PublishServer* self = p->server;
    PublishConnection& c = *p->conn;
    const bool someone_left = drop_limited(p->msg, k.limited);
    const bool alive = self->answer_arrived(c);  // may free c
    if (!someone_left) {
        if (!alive) return;
        ++self->_refused.rate_limited;
        c._replies.fill_error(p->slot, rate_error_object(user_rate_message(k), k.retry_after_ms));
        self->mark_dirty(c);
        return;
    }
    Event* e = Event::build(p->msg, wall_ms());
    if (!alive || !p->answered) {
        self->_hub.publish(e, nullptr);
        if (alive) {
            c._replies.fill_ok(p->slot, {});  // silent: nothing to say
            self->mark_dirty(c);
        }
        return;
    }
    auto* t = new PublishTicket;
    t->done = on_checked_publish_done;
    t->ctx = &c;
    t->owner = self;
    ++c._inflight;
    t->cookie = uint64_t(reinterpret_cast<uintptr_t>(p.release()));
    self->_hub.publish(e, t);
}

void PublishServer::on_checked_publish_done(PublishTicket& t, void* ctx) {
    std::unique_ptr<PendingOne> p(reinterpret_cast<PendingOne*>(uintptr_t(t.cookie)));
    auto* self = static_cast<PublishServer*>(t.owner);
    auto& c = *static_cast<PublishConnection*>(ctx);
    if (!self->answer_arrived(c)) return;
    c._replies.fill_ok(p->slot, fmt::format(",\"id\":{},\"sent\":{},\"failed\":{}{}",
                                            json_string(t.event->id()), t.sent, t.failed,
                                            limited_member(p->check.limited)));
    self->mark_dirty(c);
}

void PublishServer::on_publish_done(PublishTicket& t, void* ctx) {
    auto* self = static_cast<PublishServer*>(t.owner);
    auto& c = *static_cast<PublishConnection*>(ctx);
    if (!self->answer_arrived(c)) return;
    c._replies.fill_ok(t.cookie, fmt::format(",\"id\":{},\"sent\":{},\"failed\":{}",
                                             json_string(t.event->id()), t.sent, t.failed));
    self->mark_dirty(c);
}

// Records a message that did not go: its result, or (no "req") its error line,
// written at once or, while the batch waits on the limiter, in the batch's slot.
// `retry_ms` >= 0: a rate_limited error, with "retryAfterMs".
void PublishServer::batch_fail(Batch& b, size_t index, std::string_view code,
                               const std::string& message, int64_t retry_ms) {
    auto make = [&](std::string_view text) {
        return retry_ms >= 0 ? rate_error_object(text, uint64_t(retry_ms))
                             : error_object(code, text);
    };
    if (b.request.answered()) {
        b.results[index] = "{\"ok\":false,\"error\":" + make(message) + "}";
        return;
    }
    // Nobody reads a per-message result: each failed message is an error line.
    std::string line = fmt::format("{{\"ok\":false,\"line\":{},\"error\":{}}}\n",
                                   b.request.line,
                                   make(fmt::format("messages[{}]: {}", index, message)));
    if (b.deferred) {
        b.results[index] = std::move(line);
    } else {
        b.conn->_replies.push(line);
    }
}

void PublishServer::publish_batch(PublishConnection& c, const Request& r,
                                  simdjson::dom::array messages) {
    auto* b = new Batch;
    b->server = this;
    b->conn = &c;
    b->request = r;
    b->results.resize(messages.size());
    if (r.answered()) b->slot = reserve(c, r);
    ++c._inflight;  // the batch itself, until its last message is accounted for
    b->remaining = 1;
    size_t i = 0;
    for (simdjson::dom::element item : messages) {
        size_t index = i++;
        simdjson::dom::object obj;
        Message m;
        std::string error;
        if (item.get_object().get(obj) != simdjson::SUCCESS) {
            error = "a message must be a JSON object";
        } else if (!parse_message(obj, &m, &error)) {
        } else {
            uint64_t retry_ms = 0;
            if (over_rate(c, &retry_ms)) {  // a batch counts each message
                batch_fail(*b, index, "rate_limited", rate_message(), int64_t(retry_ms));
                continue;
            }
            if (needs_user_check(m)) {
                if (!r.answered() && !b->deferred) {
                    // Later failures wait with this message, to keep their order.
                    b->deferred = true;
                    b->slot = c._replies.reserve_silent(r.line);
                }
                auto* p = new PendingItem;
                p->batch = b;
                p->index = index;
                p->msg = std::move(m);
                p->check.users = p->msg.target.users;
                p->check.user_rule = _opts.user_rule;
                p->check.done = on_item_checked;
                p->check.owner = p;
                ++b->remaining;
                check_publish(_limiter, &p->check);  // may answer at once
                continue;
            }
            Event* e = Event::build(m, wall_ms());
            if (!r.answered()) {
                _hub.publish(e, nullptr);
                continue;
            }
            auto* t = new PublishTicket;
            t->done = on_batch_item_done;
            t->ctx = b;
            t->owner = this;
            t->cookie = index;
            ++b->remaining;
            _hub.publish(e, t);
            continue;
        }
        batch_fail(*b, index, "invalid_field", error);
    }
    // Drop the batch's own count; completes it if every message was answered already.
    batch_step_done(*b);
}

void PublishServer::on_item_checked(PublishCheck& k, void* /*ctx*/) {
    std::unique_ptr<PendingItem> p(static_cast<PendingItem*>(k.owner));
    Batch& b = *p->batch;
    PublishServer* self = b.server;
    if (!drop_limited(p->msg, k.limited)) {
        ++self->_refused.rate_limited;
        self->batch_fail(b, p->index, "rate_limited", user_rate_message(k),
                         int64_t(k.retry_after_ms));
        batch_step_done(b);
        return;
    }
    if (!k.limited.empty()) {
        b.limited.resize(b.results.size());
        b.limited[p->index] = limited_member(k.limited);
    }
    Event* e = Event::build(p->msg, wall_ms());
    if (!b.request.answered()) {
        self->_hub.publish(e, nullptr);
    } else {
        auto* t = new PublishTicket;
        t->done = on_batch_item_done;
        t->ctx = &b;
        t->owner = self;
        t->cookie = p->index;
        ++b.remaining;
        self->_hub.publish(e, t);
    }
    batch_step_done(b);
}

void PublishServer::on_batch_item_done(PublishTicket& t, void* ctx) {
    auto* b = static_cast<Batch*>(ctx);
    b->sent += t.sent;
    b->failed += t.failed;
    const std::string_view limited =
        b->limited.empty() ? std::string_view() : std::string_view(b->limited[t.cookie]);
    b->results[t.cookie] = fmt::format("{{\"ok\":true,\"id\":{},\"sent\":{},\"failed\":{}{}}}",
                                       json_string(t.event->id()), t.sent, t.failed, limited);
    batch_step_done(*b);
}

// One of the batch's outstanding parts is accounted for; the last one replies.
void PublishServer::batch_step_done(Batch& b) {
    if (--b.remaining > 0) return;
    PublishServer* self = b.server;
    PublishConnection& c = *b.conn;
    if (self->answer_arrived(c)) {
        if (b.request.answered()) {
            std::string body =
                fmt::format(",\"sent\":{},\"failed\":{},\"results\":[", b.sent, b.failed);
            for (size_t i = 0; i < b.results.size(); ++i) {
                if (i) body += ',';
                body += b.results[i];
            }
            body += ']';
            c._replies.fill_ok(b.slot, body);
            self->mark_dirty(c);
        } else if (b.deferred) {
            std::string lines;
            for (const std::string& l : b.results)
                lines += l;
            c._replies.fill_lines(b.slot, std::move(lines));
            self->mark_dirty(c);
        }
    }
    delete &b;
}

// --- stats and the directory -------------------------------------------------------

void PublishServer::start_stats(PublishConnection& c, const Request& r) {
    if (!r.answered()) return;  // nothing to do for a stats request nobody reads
    auto* s = new StatsRequest;
    s->done = on_stats_done;
    s->ctx = &c;
    s->owner = this;
    s->cookie = reserve(c, r);
    ++c._inflight;
    _stats.collect(s);
}

void PublishServer::on_stats_done(StatsRequest& s, void* ctx) {
    auto* self = static_cast<PublishServer*>(s.owner);
    auto& c = *static_cast<PublishConnection*>(ctx);
    if (!self->answer_arrived(c)) return;
    double uptime = double(self->_reactor.now_ms() - self->_started_ms) / 1000.0;
    c._replies.fill_ok(s.cookie,
                       ",\"stats\":" + render_stats_json(s, uptime, read_process_stats()));
    self->mark_dirty(c);
}

void PublishServer::start_directory(PublishConnection& c, const Request& r,
                                    simdjson::dom::object obj) {
    std::string_view op;
    if (obj["op"].get_string().get(op) != simdjson::SUCCESS) return;  // checked by the caller
    auto* q = new DirectoryRequest;
    unsigned shard = _reactor.id();
    std::string_view id;
    simdjson::dom::element user;
    bool has_id = obj["connectionId"].get_string().get(id) == simdjson::SUCCESS ||
                  (op == "connection" && obj["id"].get_string().get(id) == simdjson::SUCCESS);
    bool has_user = obj["userId"].get(user) == simdjson::SUCCESS;
    std::string error;
    if (op == "connection") {
        q->kind = DirectoryRequest::Kind::connection;
        if (!has_id) error = "\"id\" (the connection id, like \"c1-42\") is required";
    } else if (op == "user") {
        q->kind = DirectoryRequest::Kind::user;
        if (!has_user || !read_user_id(user, &q->user))
            error = "\"userId\" (a non-empty string or an integer) is required";
    } else {
        if (has_id == has_user) {
            error = "give exactly one of \"connectionId\" and \"userId\"";
        } else if (has_id) {
            q->kind = DirectoryRequest::Kind::disconnect_connection;
        } else {
            q->kind = DirectoryRequest::Kind::disconnect_user;
            if (!read_user_id(user, &q->user))
                error = "\"userId\" must be a non-empty string or an integer";
        }
    }
    if (error.empty() && has_id && q->kind != DirectoryRequest::Kind::user) {
        if (!parse_connection_id(id, &shard, &q->serial) || shard >= _reactor.shards()) {
            if (op == "connection") {
                delete q;
                reply_error(c, r, "not_found", fmt::format("no connection \"{}\"", id));
                return;
            }
            q->kind = DirectoryRequest::Kind::disconnect_connection;
            q->serial = 0;  // no such connection: answers 0
            shard = _reactor.id();
        }
    }
    if (!error.empty()) {
        delete q;
        reply_error(c, r, "invalid_field", error);
        return;
    }
    q->done = on_directory_done;
    q->ctx = &c;
    q->owner = this;
    // A fire-and-forget query still reports a failure (not_found), in order.
    q->cookie = r.answered() ? reserve(c, r) : c._replies.reserve_silent(r.line);
    ++c._inflight;
    q->label.assign(id);  // quoted by a not_found answer
    _directory.query(q, shard);
}

void PublishServer::on_directory_done(DirectoryRequest& q, void* ctx) {
    auto* self = static_cast<PublishServer*>(q.owner);
    auto& c = *static_cast<PublishConnection*>(ctx);
    if (!self->answer_arrived(c)) return;
    std::string body;
    switch (q.kind) {
        case DirectoryRequest::Kind::connection:
            if (q.result.connections.empty()) {
                c._replies.fill_error(
                    q.cookie,
                    error_object("not_found", fmt::format("no connection \"{}\"", q.label)));
                self->mark_dirty(c);
                return;
            }
            body = ",\"connection\":" + q.result.connections.front();
            break;
        case DirectoryRequest::Kind::user:
            body = ",\"userId\":" + json_string(q.user) +
                   ",\"connected\":" + (q.result.connections.empty() ? "false" : "true") +
                   ",\"connections\":[";
            for (size_t i = 0; i < q.result.connections.size(); ++i) {
                if (i) body += ',';
                body += q.result.connections[i];
            }
            body += ']';
            break;
        case DirectoryRequest::Kind::disconnect_connection:
        case DirectoryRequest::Kind::disconnect_user:
            body = fmt::format(",\"disconnected\":{}", q.result.closed);
            break;
    }
    c._replies.fill_ok(q.cookie, body);
    self->mark_dirty(c);
}

// --- replies ---------------------------------------------------------------------

std::string PublishServer::ok_line(const Request& r, std::string_view body) const {
    std::string line;
    line.reserve(r.req.size() + body.size() + 24);
    line += "{\"req\":";
    line += r.req;
    line += ",\"ok\":true";
    line += body;
    line += "}\n";
    return line;
}

void PublishServer::reply_ok(PublishConnection& c, const Request& r, std::string_view body) {
    if (r.answered()) c._replies.push(ok_line(r, body));
}

void PublishServer::reply_error(PublishConnection& c, const Request& r, std::string_view code,
                                std::string_view message) {
    reply_error_object(c, r, error_object(code, message));
}

void PublishServer::reply_error_object(PublishConnection& c, const Request& r,
                                       std::string_view error) {
    std::string line;
    if (r.answered()) {
        line = "{\"req\":" + r.req + ",\"ok\":false,\"error\":" + std::string(error) + "}\n";
    } else {
        line = fmt::format("{{\"ok\":false,\"line\":{},\"error\":{}}}\n", r.line, error);
    }
    c._replies.push(line);
}

uint64_t PublishServer::reserve(PublishConnection& c, const Request& r) {
    return c._replies.reserve(r.req);
}

bool PublishServer::answer_arrived(PublishConnection& c) {
    --c._inflight;
    if (!c._closed) return true;
    maybe_free(c);
    return false;
}

void PublishServer::mark_dirty(PublishConnection& c) {
    if (c._dirty || c._closed) return;
    c._dirty = true;
    _dirty.push_back(&c);
}

void PublishServer::on_drained(Connection& base) {
    mark_dirty(as_pub(base));
}

// A client that sent its requests and shut down its writing side (socat, a
// script) still reads the answers: close once every one is written.
void PublishServer::on_peer_eof(Connection& base) {
    PublishConnection& c = as_pub(base);
    if (c._stopped && !c._finish) {
        // Requests it sent are still unread behind the backpressure stop: let
        // flush() resume and answer them before finishing.
        c._eof = true;
    } else {
        c._finish = true;
    }
    mark_dirty(c);
}

void PublishServer::flush() {
    while (!_dirty.empty()) {
        std::vector<PublishConnection*> list;
        list.swap(_dirty);
        for (PublishConnection* cp : list) {
            PublishConnection& c = *cp;
            c._dirty = false;
            if (c._closed) {
                maybe_free(c);
                continue;
            }
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
                if (!c._stopped) _transport.resume_reading(c);
            }
            if (c._eof && !c._stopped) c._finish = true;  // everything it sent has been read
            if (c._replies.waiting() > 0 || c._inflight > 0) continue;
            // Shutting down, a connection stays open (and refuses what it reads)
            // until its answers have left, then closes.
            if (c._finish || (_shutting_down && c.queued_bytes() == 0)) _transport.close(c, true);
        }
    }
}

void PublishServer::on_closed(Connection& base) {
    PublishConnection& c = as_pub(base);
    c._finish = true;
    // Answers still due (c._inflight) arrive later and are dropped; the object is
    // freed by destroy_connection() or by the last of them.
}

void PublishServer::begin_shutdown() {
    _shutting_down = true;
    _transport.for_each_connection([&](Connection& base) {
        if (base.is_open() && base.protocol() == _protocol) mark_dirty(as_pub(base));
    });
}

}  // namespace ringcast

// PublishServer, part 3 of 3: the queries answered by other shards: stats,
// invalidate (the log shard), and connection / user / disconnect through the
// directory (ops/directory).
#include "publish/publish_server.h"

#include <fmt/format.h>

#include "core/json_writer.h"
#include "pubsub/message_json.h"
#include "publish/publish_request.h"
#include "publish/reply_json.h"

namespace ringcast {

using namespace reply_json;

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

void PublishServer::start_invalidate(PublishConnection& c, const Request& r,
                                     simdjson::dom::object obj) {
    auto q = std::make_unique<InvalidateRequest>();
    std::string error;
    if (!parse_invalidation(obj, &q->what, &error, {"op", "req"})) {
        reply_error(c, r, "invalid_field", error);
        return;
    }
    q->done = on_invalidate_done;
    q->ctx = &c;
    q->owner = this;
    // Nothing can fail from here: a fire-and-forget one needs no slot.
    q->cookie = r.answered() ? reserve(c, r) : UINT64_MAX;
    ++c._inflight;
    _hub.invalidate(q.release());  // may answer synchronously (this shard is the log)
}

void PublishServer::on_invalidate_done(InvalidateRequest& q, void* ctx) {
    std::unique_ptr<InvalidateRequest> owned(&q);
    auto* self = static_cast<PublishServer*>(q.owner);
    auto& c = *static_cast<PublishConnection*>(ctx);
    if (!self->answer_arrived(c) || q.cookie == UINT64_MAX) return;
    c._replies.fill_ok(q.cookie, fmt::format(",\"removed\":{}", q.removed));
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

}  // namespace ringcast

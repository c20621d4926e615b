// PublishServer, part 3 of 3: the queries answered by other shards: stats,
// invalidate (the log shard), and connection / user / disconnect through the
// directory (ops/directory); and the token op, answered here.
#include <fmt/format.h>

#include "auth/token_request.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "ops/directory_json.h"
#include "publish/publish_request.h"
#include "publish/publish_server.h"
#include "publish/reply_json.h"
#include "pubsub/message_json.h"

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

void PublishServer::issue_token(PublishConnection& c, const Request& r, simdjson::dom::object obj) {
    if (!_opts.signer) {
        reply_error(c, r, "not_configured",
                    "stream tokens are off (auth.token_key_file = \"\"): ringcastd signs none");
        return;
    }
    StreamTokenRequest t;
    std::string error;
    std::optional<StreamToken> token;
    if (!read_token_request(obj, &t, &error, {"op", "req"}) ||
        !(token = _opts.signer->sign(t, wall_ms(), &error))) {
        reply_error(c, r, "invalid_field", error);
        return;
    }
    reply_ok(c, r,
             fmt::format(",\"token\":\"{}\",\"expiresAt\":{}", token->token, token->expires_at_ms));
}

void PublishServer::start_directory(PublishConnection& c, const Request& r,
                                    simdjson::dom::object obj) {
    std::string_view op;
    if (obj["op"].get_string().get(op) != simdjson::SUCCESS) return;  // checked by the caller
    auto q = std::make_unique<DirectoryRequest>();
    unsigned shard = 0;
    std::string error;
    switch (read_directory_request(op, obj, _reactor.id(), _reactor.shards(), q.get(), &shard,
                                   &error)) {
        case DirectoryAsk::invalid_field: reply_error(c, r, "invalid_field", error); return;
        case DirectoryAsk::not_found: reply_error(c, r, "not_found", error); return;
        case DirectoryAsk::ok: break;
    }
    q->done = on_directory_done;
    q->ctx = &c;
    q->owner = this;
    // A fire-and-forget query still reports a failure (not_found), in order.
    q->cookie = r.answered() ? reserve(c, r) : c._replies.reserve_silent(r.line);
    ++c._inflight;
    _directory.query(q.release(), shard);
}

void PublishServer::on_directory_done(DirectoryRequest& q, void* ctx) {
    auto* self = static_cast<PublishServer*>(q.owner);
    auto& c = *static_cast<PublishConnection*>(ctx);
    if (!self->answer_arrived(c)) return;
    std::string members;
    if (write_directory_answer(q, &members)) {
        c._replies.fill_ok(q.cookie, members);
    } else {
        c._replies.fill_error(
            q.cookie, error_object("not_found", fmt::format("no connection \"{}\"", q.label)));
    }
    self->mark_dirty(c);
}

}  // namespace ringcast

// SocketOps: the queries answered by other shards — stats, invalidate (the log
// shard), and connection / user / connections / disconnect through the directory
// (ops/directory) — and the token and log-level ops, answered here.
#include <fmt/format.h>

#include "auth/token_request.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "ops/directory_json.h"
#include "ops/log_level_request.h"
#include "publish/publish_server.h"
#include "publish/reply_json.h"
#include "publish/socket_ops.h"
#include "pubsub/message_json.h"

namespace ringcast {

using namespace reply_json;

void SocketOps::stats(PublishConnection& c, const SocketRequest& r, simdjson::dom::object obj) {
    bool cluster = false;
    if (simdjson::dom::element e; obj["cluster"].get(e) == simdjson::SUCCESS &&
                                  e.get_bool().get(cluster) != simdjson::SUCCESS) {
        _server.reply_error(c, r, "invalid_field", "\"cluster\" must be true or false");
        return;
    }
    if (!r.answered()) return;  // nothing to do for a stats request nobody reads
    if (cluster && !_stats.cluster_stats_enabled()) {
        _server.reply_error(c, r, "no_cluster",
                            "this node is not in a cluster ([cluster] redis is empty): ask "
                            "without \"cluster\"");
        return;
    }
    const uint64_t slot = _server.reserve(c, r);
    if (cluster) {
        _stats.cluster_stats([this, h = Transport::handle(c), slot](const std::string* json,
                                                                    std::string_view error) {
            PublishConnection* conn = _server.alive(h);
            if (!conn) return;
            if (json)
                conn->_replies.fill_ok(slot, ",\"stats\":" + *json);
            else
                conn->_replies.fill_error(
                    slot, error_object("redis_unavailable",
                                       fmt::format("the cluster's nodes are listed in Redis, "
                                                   "which did not answer: {}",
                                                   error)));
            _server.mark_dirty(*conn);
        });
        return;
    }
    _stats.collect([this, h = Transport::handle(c), slot](std::vector<ShardSnapshot>& shards) {
        PublishConnection* conn = _server.alive(h);
        if (!conn) return;
        const double uptime = double(_reactor.now_ms() - _started_ms) / 1000.0;
        conn->_replies.fill_ok(
            slot, ",\"stats\":" + render_stats_json(shards, uptime, read_process_stats()));
        _server.mark_dirty(*conn);
    });
}

void SocketOps::invalidate(PublishConnection& c, const SocketRequest& r,
                           simdjson::dom::object obj) {
    CacheInvalidation what;
    std::string error;
    if (!parse_invalidation(obj, &what, &error, {"op", "req"})) {
        _server.reply_error(c, r, "invalid_field", error);
        return;
    }
    if (!r.answered()) {  // nothing can fail from here: a fire-and-forget one needs no slot
        _hub.invalidate(std::move(what), [](InvalidateResult&) {});
        return;
    }
    const uint64_t slot = _server.reserve(c, r);
    _hub.invalidate(std::move(what), [this, h = Transport::handle(c), slot](InvalidateResult& res) {
        PublishConnection* conn = _server.alive(h);
        if (!conn) return;  // gone: the cache was still invalidated
        if (!res.error.empty()) {
            conn->_replies.fill_error(slot, error_object("cluster_unavailable", res.error));
        } else {
            std::string nodes;
            if (res.nodes >= 0)
                nodes = fmt::format(",\"nodes\":{},\"nodesAnswered\":{}", res.nodes,
                                    res.nodes_answered);
            conn->_replies.fill_ok(slot, fmt::format(",\"removed\":{}{}", res.removed, nodes));
        }
        _server.mark_dirty(*conn);
    });
}

void SocketOps::issue_token(PublishConnection& c, const SocketRequest& r,
                            simdjson::dom::object obj) {
    if (!_signer) {
        _server.reply_error(
            c, r, "not_configured",
            "stream tokens are off (auth.token_key_file = \"\"): ringcastd signs none");
        return;
    }
    StreamTokenRequest t;
    std::string error;
    std::optional<StreamToken> token;
    if (!read_token_request(obj, &t, &error, {"op", "req"}) ||
        !(token = _signer->sign(t, wall_ms(), &error))) {
        _server.reply_error(c, r, "invalid_field", error);
        return;
    }
    _server.reply_ok(
        c, r,
        fmt::format(",\"token\":\"{}\",\"expiresAt\":{}", token->token, token->expires_at_ms));
}

void SocketOps::log_level(PublishConnection& c, const SocketRequest& r, simdjson::dom::object obj) {
    std::string members, error;
    if (!apply_log_level_request(obj, &members, &error, {"op", "req"})) {
        _server.reply_error(c, r, "invalid_field", error);
        return;
    }
    _server.reply_ok(c, r, "," + members);
}

void SocketOps::directory(PublishConnection& c, const SocketRequest& r, simdjson::dom::object obj) {
    std::string_view op;
    if (obj["op"].get_string().get(op) != simdjson::SUCCESS) return;  // checked by the caller
    DirectoryRequest q;
    unsigned shard = 0;
    std::string error;
    switch (read_directory_request(op, obj, _reactor.id(), _reactor.shards(), &q, &shard, &error)) {
        case DirectoryAsk::invalid_field: _server.reply_error(c, r, "invalid_field", error); return;
        case DirectoryAsk::not_found: _server.reply_error(c, r, "not_found", error); return;
        case DirectoryAsk::ok: break;
    }
    // A fire-and-forget query still reports a failure (not_found), in order.
    const uint64_t slot = _server.reserve(c, r);
    _directory.query(
        std::move(q), shard, [this, h = Transport::handle(c), slot](DirectoryRequest& answered) {
            PublishConnection* conn = _server.alive(h);
            if (!conn) return;  // gone: a disconnect still happened
            std::string members;
            if (write_directory_answer(answered, &members)) {
                conn->_replies.fill_ok(slot, members);
            } else {
                conn->_replies.fill_error(
                    slot,
                    error_object("not_found", fmt::format("no connection \"{}\"", answered.label)));
            }
            _server.mark_dirty(*conn);
        });
}

}  // namespace ringcast

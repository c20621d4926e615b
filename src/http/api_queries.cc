// ApiRequests: who may use each route, and the requests beside publishing —
// GET /api/stats, GET /api/ping, POST /api/tokens (answered here), and the
// directory's GET /api/connections, GET /api/connections/{id}, GET
// /api/users/{userId} and POST /api/disconnect (answered by the shards that hold the streams),
// and GET/PUT /api/log-level (answered here). The
// answers carry the same members as the socket's replies (docs/protocol.md), so a client can use
// either protocol alike.
#include <fmt/format.h>

#include "auth/jwt_claims.h"
#include "auth/token_request.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "http/api_requests.h"
#include "http/http_server.h"
#include "http/query.h"
#include "http/response.h"
#include "ops/directory_json.h"
#include "ops/log_level_request.h"
#include "pubsub/message_json.h"

namespace ringcast {

ApiRequests::ApiRequests(HttpServer& http, Reactor& reactor, Audience& audience, Hub& hub,
                         StatsCollector& stats, Directory& directory, PublishFlow& flow,
                         const HttpOptions& opts, uint64_t started_ms)
    : _http(http)
    , _reactor(reactor)
    , _audience(audience)
    , _hub(hub)
    , _stats(stats)
    , _directory(directory)
    , _flow(flow)
    , _opts(opts)
    , _started_ms(started_ms) {}

void ApiRequests::handle(HttpConnection& c, HttpRequest& req, const RouteMatch& m) {
    switch (m.route) {
        case Route::publish: {
            std::string publisher;
            if (auto r = authorize_api(req, ApiRight::publish, _opts.api, *_opts.verifier,
                                       wall_ms() / 1000, "POST /api/publish", &publisher)) {
                _http.refuse(c, *r);
                return;
            }
            publish(c, req, std::move(publisher));
            return;
        }
        case Route::invalidate:
            if (auto r = authorize_api(req, ApiRight::publish, _opts.api, *_opts.verifier,
                                       wall_ms() / 1000, "POST /api/invalidate")) {
                _http.refuse(c, *r);
                return;
            }
            invalidate(c, req);
            return;
        case Route::stats:
            if (auto r = authorize_api(req, ApiRight::admin, _opts.api, *_opts.verifier,
                                       wall_ms() / 1000, "GET /api/stats")) {
                _http.refuse(c, *r);
                return;
            }
            stats(c, req);
            return;
        case Route::ping:
        case Route::connection:
        case Route::user:
        case Route::disconnect:
        case Route::tokens:
        case Route::connections: {
            // Operator queries and stream tokens (mints a user's identity): admin.
            static constexpr const char* kWhat[] = {"GET /api/ping",    "GET /api/connections",
                                                    "GET /api/users",   "POST /api/disconnect",
                                                    "POST /api/tokens", "GET /api/connections"};
            const char* what = kWhat[int(m.route) - int(Route::ping)];
            // A token is an identity: minting one always takes credentials, also
            // where publish.http_require_auth = false leaves the rest of the API open.
            ApiAuthOptions api = _opts.api;
            if (m.route == Route::tokens) api.require_auth = true;
            if (auto r =
                    authorize_api(req, m.route == Route::ping ? ApiRight::publish : ApiRight::admin,
                                  api, *_opts.verifier, wall_ms() / 1000, what)) {
                _http.refuse(c, *r);
                return;
            }
            if (m.route == Route::ping) {
                ping(c);
            } else if (m.route == Route::tokens) {
                issue_token(c, req);
            } else {
                directory(c, req, m.route, m.rest);
            }
            return;
        }
        case Route::health_live: live(c); return;
        case Route::metrics:
        case Route::health_ready:
            // The metrics listener is open; the main one asks for admin
            // credentials unless [metrics] open = true.
            if (!_opts.metrics.open && !_http.on_metrics_listener(c)) {
                if (auto r = authorize_api(
                        req, ApiRight::admin, _opts.api, *_opts.verifier, wall_ms() / 1000,
                        m.route == Route::metrics ? "GET /metrics" : "GET /healthz/ready")) {
                    _http.refuse(c, *r);
                    return;
                }
            }
            if (m.route == Route::metrics) {
                metrics(c);
            } else {
                ready(c);
            }
            return;
        case Route::alerts_list:
        case Route::alerts_create:
        case Route::alerts_active:
        case Route::alerts_preview:
        case Route::alerts_refresh:
        case Route::alert_get:
        case Route::alert_replace:
        case Route::alert_patch:
        case Route::alert_delete:
        case Route::alert_dismiss: alerts(c, req, m); return;
        case Route::log_level:
        case Route::log_level_set:
            // Changes what the daemon writes: the operator's, like the queries.
            if (auto r = authorize_api(
                    req, ApiRight::admin, _opts.api, *_opts.verifier, wall_ms() / 1000,
                    m.route == Route::log_level ? "GET /api/log-level" : "PUT /api/log-level")) {
                _http.refuse(c, *r);
                return;
            }
            log_level(c, req, m.route == Route::log_level_set);
            return;
        default: return;  // not an API route (HttpServer answers those)
    }
}

void ApiRequests::stats(HttpConnection& c, const HttpRequest& req) {
    bool malformed = false;
    auto cluster = query_param(req.query(), "cluster", &malformed);
    if (malformed || (cluster && *cluster != "1" && *cluster != "0")) {
        reply_bad_request(c, "", "cluster takes 1 (every node of the cluster) or 0 (this node)");
        return;
    }
    if (cluster && *cluster == "1") {
        cluster_stats(c);
        return;
    }
    _http.wait_for_answer(c);
    _stats.collect([this, h = Transport::handle(c)](std::vector<ShardSnapshot>& shards) {
        _http.complete_async(h, [&](HttpConnection& c) {
            const double uptime = double(_reactor.now_ms() - _started_ms) / 1000.0;
            return http_response(200, "application/json",
                                 render_stats_json(shards, uptime, read_process_stats()),
                                 _http.keeps_alive(c));
        });
    });
}

void ApiRequests::cluster_stats(HttpConnection& c) {
    if (!_stats.cluster_stats_enabled()) {
        reply_bad_request(c, "no_cluster",
                          "this node is not in a cluster ([cluster] redis is empty): ask "
                          "without ?cluster=1");
        return;
    }
    _http.wait_for_answer(c);
    _stats.cluster_stats([this, h = Transport::handle(c)](const std::string* json,
                                                          std::string_view error) {
        _http.complete_async(h, [&](HttpConnection& c) {
            if (json) return http_response(200, "application/json", *json, _http.keeps_alive(c));
            _http.count_refusal(503);
            return http_response(
                503, "application/json",
                json_error_body("redis_unavailable",
                                fmt::format("the cluster's nodes are listed in Redis, which did "
                                            "not answer: {}",
                                            error)),
                _http.keeps_alive(c), {{"Retry-After", "1"}});
        });
    });
}

void ApiRequests::reply_bad_request(HttpConnection& c, std::string_view reason,
                                    std::string_view message) {
    _http.count_refusal(400);
    _http.reply(
        c, http_response(400, "application/json", json_error_body("bad_request", message, reason),
                         _http.keeps_alive(c)));
    _http.finish_request(c);
}

bool ApiRequests::body_object(HttpConnection& c, const HttpRequest& req,
                              simdjson::dom::object* out) {
    simdjson::dom::element root;
    if (auto err = _json.parse(req.body.data(), req.body.size()).get(root)) {
        reply_bad_request(c, "invalid_json", json_error_text("the request body", err));
        return false;
    }
    if (root.get_object().get(*out) != simdjson::SUCCESS) {
        reply_bad_request(c, "invalid_json", "the request body must be a JSON object");
        return false;
    }
    return true;
}

// GET answers the level in force; PUT {"level": NAME} changes it at once.
void ApiRequests::log_level(HttpConnection& c, HttpRequest& req, bool change) {
    std::string members = log_level_members(), error;
    if (change) {
        simdjson::dom::object obj;
        if (!body_object(c, req, &obj)) return;
        if (!apply_log_level_request(obj, &members, &error)) {
            reply_bad_request(c, "invalid_field", error);
            return;
        }
    }
    _http.reply(c,
                http_response(200, "application/json", "{" + members + "}", _http.keeps_alive(c)));
    _http.finish_request(c);
}

void ApiRequests::ping(HttpConnection& c) {
    std::string body;
    JsonWriter(body)
        .begin_object()
        .key("version")
        .value(RINGCAST_VERSION)
        .key("time")
        .value(wall_ms())
        .end_object();
    _http.reply(c, http_response(200, "application/json", body, _http.keeps_alive(c)));
    _http.finish_request(c);
}

void ApiRequests::issue_token(HttpConnection& c, HttpRequest& req) {
    if (!_opts.signer) {
        _http.reply(
            c, http_error(501, "not_configured",
                          "stream tokens are off (auth.token_key_file = \"\"): ringcastd signs "
                          "none",
                          _http.keeps_alive(c)));
        _http.finish_request(c);
        return;
    }
    simdjson::dom::object obj;
    if (!body_object(c, req, &obj)) return;
    StreamTokenRequest t;
    std::string error;
    std::optional<StreamToken> token;
    if (!read_token_request(obj, &t, &error) ||
        !(token = _opts.signer->sign(t, wall_ms(), &error))) {
        reply_bad_request(c, "invalid_field", error);
        return;
    }
    std::string body;
    JsonWriter(body)
        .begin_object()
        .key("token")
        .value(token->token)
        .key("expiresAt")
        .value(token->expires_at_ms)
        .end_object();
    // A credential: never cached (every API answer carries Cache-Control:
    // no-store already; a second header would only repeat it).
    _http.reply(c, http_response(200, "application/json", body, _http.keeps_alive(c)));
    _http.finish_request(c);
}

void ApiRequests::directory(HttpConnection& c, HttpRequest& req, Route route,
                            std::string_view name) {
    auto q = std::make_unique<DirectoryRequest>();
    unsigned shard = _reactor.id();
    const auto not_found = [&](std::string_view id) {
        _http.reply_error(c, 404, fmt::format("no connection \"{}\"", id), false);
    };
    if (route == Route::connection) {
        std::optional<std::string> id = percent_decode(name, /*plus_is_space=*/false);
        if (!id || !connection_request(*id, _reactor.shards(), q.get(), &shard)) {
            not_found(id ? *id : std::string(name));
            return;
        }
    } else if (route == Route::connections) {
        q->kind = DirectoryRequest::Kind::list;
        bool malformed = false;
        std::optional<std::string> limit = query_param(req.query(), "limit", &malformed);
        std::optional<std::string> after = query_param(req.query(), "after", &malformed);
        std::string error;
        if (malformed) {
            reply_bad_request(c, "invalid_field",
                              "the query string has a malformed %-escape (parameters: limit, "
                              "after)");
            return;
        }
        if ((limit && !read_list_limit(*limit, q.get(), &error)) ||
            (after && !read_list_after(*after, _reactor.shards(), q.get(), &error))) {
            reply_bad_request(c, "invalid_field", error);
            return;
        }
    } else if (route == Route::user) {
        std::optional<std::string> user = percent_decode(name, /*plus_is_space=*/false);
        if (!user || user->empty() || user->size() > kMaxUserIdBytes) {
            reply_bad_request(c, "invalid_field",
                              fmt::format("the user id in the path must be %-encoded text of at "
                                          "most {} bytes",
                                          kMaxUserIdBytes));
            return;
        }
        q->kind = DirectoryRequest::Kind::user;
        q->user = std::move(*user);
    } else {
        simdjson::dom::object obj;
        if (!body_object(c, req, &obj)) return;
        std::string error;
        switch (read_directory_request("disconnect", obj, _reactor.id(), _reactor.shards(), q.get(),
                                       &shard, &error)) {
            case DirectoryAsk::invalid_field: reply_bad_request(c, "invalid_field", error); return;
            case DirectoryAsk::not_found: not_found(q->label); return;
            case DirectoryAsk::ok: break;
        }
    }
    _http.wait_for_answer(c);
    _directory.query(std::move(*q), shard, [this, h = Transport::handle(c)](DirectoryRequest& r) {
        _http.complete_async(h, [&](HttpConnection& c) {
            std::string members;
            if (!write_directory_answer(r, &members))
                return http_error(404, fmt::format("no connection \"{}\"", r.label),
                                  _http.keeps_alive(c));
            members[0] = '{';  // ",a,b" -> "{a,b"
            members += '}';
            return http_response(200, "application/json", members, _http.keeps_alive(c));
        });
    });
}

}  // namespace ringcast

#pragma once
// The HTTP API on one shard, behind its credentials (api_auth.h): publishing,
// one message or a batch, and cache invalidation (api_publish.cc, through the
// publish flow shared with the socket: ops/publish_flow.h); statistics, ping,
// stream tokens and the directory's queries (api_queries.cc); alerts
// (api_alerts.cc). Answers that need
// other shards come back by connection handle, and are written by HttpServer.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <simdjson.h>

#include "alerts/alert_service.h"
#include "http/http_connection.h"
#include "http/http_options.h"
#include "http/router.h"
#include "net/transport.h"
#include "ops/directory.h"
#include "ops/publish_flow.h"
#include "ops/stats.h"
#include "pubsub/hub.h"

namespace ringcast {

class HttpServer;
struct ReadyProbe;

class ApiRequests {
public:
    ApiRequests(HttpServer& http, Reactor& reactor, Audience& audience, Hub& hub,
                StatsCollector& stats, Directory& directory, PublishFlow& flow,
                const HttpOptions& opts, uint64_t started_ms);
    ApiRequests(const ApiRequests&) = delete;
    ApiRequests& operator=(const ApiRequests&) = delete;

    // A request for an API route: its credentials, then the route's work.
    void handle(HttpConnection& c, HttpRequest& req, const RouteMatch& m);
    // The deadline of a waiting request passed: true if it was a readiness
    // probe, now answered with the shards still silent (api_health.cc).
    bool ready_deadline(HttpConnection& c);
    // c closed: a readiness probe it waited for is forgotten.
    void forget(HttpConnection& c);

private:
    // api_publish.cc. `publisher`: the limiter key of who publishes.
    void publish(HttpConnection& c, HttpRequest& req, std::string publisher);
    void publish_batch(HttpConnection& c, simdjson::dom::object obj, const std::string& publisher);
    void invalidate(HttpConnection& c, HttpRequest& req);
    // api_queries.cc
    void stats(HttpConnection& c, const HttpRequest& req);
    // ?cluster=1: every live node's summary (cluster/cluster_stats.h).
    void cluster_stats(HttpConnection& c);
    void ping(HttpConnection& c);
    void log_level(HttpConnection& c, HttpRequest& req, bool change);
    void issue_token(HttpConnection& c, HttpRequest& req);
    void directory(HttpConnection& c, HttpRequest& req, Route route, std::string_view name);
    // api_health.cc
    void metrics(HttpConnection& c);
    void live(HttpConnection& c);
    void ready(HttpConnection& c);
    void finish_ready(HttpConnection& c);
    void answer_ready(HttpConnection& c, const ReadyProbe* probe);
    std::string ready_response(HttpConnection& c, const ReadyProbe* probe);
    // api_alerts.cc
    void alerts(HttpConnection& c, HttpRequest& req, const RouteMatch& m);
    void alerts_list(HttpConnection& c, HttpRequest& req);
    void alert_get(HttpConnection& c, uint64_t id);
    void alerts_active(HttpConnection& c, HttpRequest& req);
    void alert_dismiss(HttpConnection& c, HttpRequest& req, std::string_view name);
    void alerts_preview(HttpConnection& c, HttpRequest& req);
    // Sends a change to the home shard; answers when it is committed or refused.
    void change_alert(HttpConnection& c, AlertRequest r);
    // The request body as a JSON object; otherwise a 400 (reason invalid_json) is
    // answered and false returned.
    bool body_object(HttpConnection& c, const HttpRequest& req, simdjson::dom::object* out);
    // 400 bad_request with the socket protocol's code as its reason
    // (invalid_json, invalid_field), so both protocols name a mistake alike.
    void reply_bad_request(HttpConnection& c, std::string_view reason, std::string_view message);

    HttpServer& _http;
    Reactor& _reactor;
    Audience& _audience;
    Hub& _hub;
    StatsCollector& _stats;
    Directory& _directory;
    PublishFlow& _flow;
    const HttpOptions& _opts;
    uint64_t _started_ms;
    simdjson::dom::parser _json;
    // Readiness probes in flight, by the serial of the connection that waits.
    std::unordered_map<uint64_t, std::shared_ptr<ReadyProbe>> _probes;
};

}  // namespace ringcast

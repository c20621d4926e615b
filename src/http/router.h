#pragma once
// Which API handler a request goes to (the fixed routes; SSE endpoints are
// configured, see http/endpoint.h).
#include <string_view>

#include <llhttp.h>

namespace ringcast {

enum class Route {
    publish,         // POST /api/publish: one message, or {"messages": [...]}
    invalidate,      // POST /api/invalidate
    stats,           // GET /api/stats
    ping,            // GET /api/ping
    connection,      // GET /api/connections/{id}
    user,            // GET /api/users/{userId}
    disconnect,      // POST /api/disconnect
    tokens,          // POST /api/tokens
    connections,     // GET /api/connections: every stream, a page at a time
    alerts_list,     // GET /api/alerts
    alerts_create,   // POST /api/alerts
    alerts_active,   // GET /api/alerts/active: the caller's own
    alerts_preview,  // POST /api/alerts/preview: whom an alert would reach now
    alerts_refresh,  // POST /api/alerts/refresh: alerts-refresh to every alerts stream
    alert_get,       // GET /api/alerts/{id}
    alert_replace,   // PUT /api/alerts/{id}
    alert_patch,     // PATCH /api/alerts/{id} (JSON merge patch)
    alert_delete,    // DELETE /api/alerts/{id}
    alert_dismiss,   // POST /api/alerts/{id}/dismiss
    metrics,         // GET /metrics: Prometheus text (ops/metrics.h)
    health_live,     // GET /healthz/live: the process answers
    health_ready,    // GET /healthz/ready: every check passes (ops/health.h)
    log_level,       // GET /api/log-level
    log_level_set,   // PUT /api/log-level {"level": "debug"}
    not_found,
    method_not_allowed,
};

struct RouteMatch {
    Route route;
    const char* allow = nullptr;  // for method_not_allowed: the Allow header value
    std::string_view rest;  // connection, user, alert_*: the name in the path, still %-encoded
};

// A trailing slash names the same resource ("/api/stats/"); a route with a name
// ("/api/users/{userId}", "/api/alerts/{id}/dismiss") takes one non-empty segment
// there. A path with several methods answers the others 405 with all of them.
RouteMatch route_request(llhttp_method_t method, std::string_view path);

}  // namespace ringcast

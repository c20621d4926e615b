#include "http/router.h"

namespace ringcast {

namespace {

struct Entry {
    std::string_view path;  // with `prefix`, the part before the name
    llhttp_method_t method;
    Route route;
    const char* allow;
    bool prefix = false;           // a path segment follows `path`: a name
    std::string_view suffix = {};  // with `prefix`: what follows the name
};

// The API. SSE endpoints come from the configuration (http/endpoint.h) and are
// matched before these.
constexpr Entry kRoutes[] = {
    {"/api/publish", HTTP_POST, Route::publish, "POST"},
    {"/api/invalidate", HTTP_POST, Route::invalidate, "POST"},
    {"/api/stats", HTTP_GET, Route::stats, "GET"},
    {"/api/ping", HTTP_GET, Route::ping, "GET"},
    {"/api/disconnect", HTTP_POST, Route::disconnect, "POST"},
    {"/api/tokens", HTTP_POST, Route::tokens, "POST"},
    {"/api/connections", HTTP_GET, Route::connections, "GET"},
    {"/api/connections/", HTTP_GET, Route::connection, "GET", true},
    {"/api/users/", HTTP_GET, Route::user, "GET", true},
    {"/api/alerts", HTTP_GET, Route::alerts_list, "GET, POST"},
    {"/api/alerts", HTTP_POST, Route::alerts_create, "GET, POST"},
    {"/api/alerts/active", HTTP_GET, Route::alerts_active, "GET"},
    {"/api/alerts/preview", HTTP_POST, Route::alerts_preview, "POST"},
    {"/api/alerts/refresh", HTTP_POST, Route::alerts_refresh, "POST"},
    {"/api/alerts/", HTTP_GET, Route::alert_get, "GET, PUT, PATCH, DELETE", true},
    {"/api/alerts/", HTTP_PUT, Route::alert_replace, "GET, PUT, PATCH, DELETE", true},
    {"/api/alerts/", HTTP_PATCH, Route::alert_patch, "GET, PUT, PATCH, DELETE", true},
    {"/api/alerts/", HTTP_DELETE, Route::alert_delete, "GET, PUT, PATCH, DELETE", true},
    {"/api/alerts/", HTTP_POST, Route::alert_dismiss, "POST", true, "/dismiss"},
    {"/metrics", HTTP_GET, Route::metrics, "GET"},
    {"/healthz/live", HTTP_GET, Route::health_live, "GET"},
    {"/healthz/ready", HTTP_GET, Route::health_ready, "GET"},
    {"/api/log-level", HTTP_GET, Route::log_level, "GET, PUT"},
    {"/api/log-level", HTTP_PUT, Route::log_level_set, "GET, PUT"},
};

}  // namespace

RouteMatch route_request(llhttp_method_t method, std::string_view path) {
    // A trailing slash names the same resource.
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    // Exact paths first: "/api/alerts/active" is not an alert named "active".
    const char* allow = nullptr;  // the path exists, with other methods
    for (const Entry& e : kRoutes) {
        if (e.prefix || e.path != path) continue;
        if (e.method == method) return {e.route, nullptr, {}};
        allow = e.allow;
    }
    if (allow) return {Route::method_not_allowed, allow, {}};
    for (const Entry& e : kRoutes) {
        if (!e.prefix || !path.starts_with(e.path) || !path.ends_with(e.suffix) ||
            path.size() < e.path.size() + e.suffix.size())
            continue;
        std::string_view rest =
            path.substr(e.path.size(), path.size() - e.path.size() - e.suffix.size());
        if (rest.empty() || rest.find('/') != std::string_view::npos) continue;
        if (e.method == method) return {e.route, nullptr, rest};
        if (!allow) allow = e.allow;
    }
    if (allow) return {Route::method_not_allowed, allow, {}};
    return {Route::not_found, nullptr, {}};
}

}  // namespace ringcast

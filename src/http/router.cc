#include "http/router.h"

namespace ringcast {

namespace {

struct Entry {
    std::string_view path;  // with `prefix`, the part before the name
    llhttp_method_t method;
    Route route;
    const char* allow;
    bool prefix = false;  // the route ends in one path segment: a name
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
    {"/api/connections/", HTTP_GET, Route::connection, "GET", true},
    {"/api/users/", HTTP_GET, Route::user, "GET", true},
};

}  // namespace

RouteMatch route_request(llhttp_method_t method, std::string_view path) {
    // A trailing slash names the same resource.
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    for (const Entry& e : kRoutes) {
        std::string_view rest;
        if (e.prefix) {
            if (!path.starts_with(e.path)) continue;
            rest = path.substr(e.path.size());
            if (rest.empty() || rest.find('/') != std::string_view::npos) continue;
        } else if (e.path != path) {
            continue;
        }
        if (e.method == method) return {e.route, nullptr, rest};
        return {Route::method_not_allowed, e.allow, {}};
    }
    return {Route::not_found, nullptr, {}};
}

}  // namespace ringcast

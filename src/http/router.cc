#include "http/router.h"

namespace ringcast {

namespace {

struct Entry {
    std::string_view path;
    llhttp_method_t method;
    Route route;
    const char* allow;
};

// The API. SSE endpoints come from the configuration (http/endpoint.h) and are
// matched before these.
constexpr Entry kRoutes[] = {
    {"/api/publish", HTTP_POST, Route::publish, "POST"},
    {"/api/invalidate", HTTP_POST, Route::invalidate, "POST"},
    {"/api/stats", HTTP_GET, Route::stats, "GET"},
};

}  // namespace

RouteMatch route_request(llhttp_method_t method, std::string_view path) {
    // A trailing slash names the same resource.
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    for (const Entry& e : kRoutes) {
        if (e.path != path) continue;
        if (e.method == method) return {e.route, nullptr};
        return {Route::method_not_allowed, e.allow};
    }
    return {Route::not_found, nullptr};
}

}  // namespace ringcast

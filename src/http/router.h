#pragma once
// Which API handler a request goes to (the fixed routes; SSE endpoints are
// configured, see http/endpoint.h).
#include <string_view>

#include <llhttp.h>

namespace ringcast {

enum class Route {
    publish,     // POST /api/publish: one message, or {"messages": [...]}
    invalidate,  // POST /api/invalidate
    stats,       // GET /api/stats
    ping,        // GET /api/ping
    connection,  // GET /api/connections/{id}
    user,        // GET /api/users/{userId}
    disconnect,  // POST /api/disconnect
    tokens,      // POST /api/tokens
    not_found,
    method_not_allowed,
};

struct RouteMatch {
    Route route;
    const char* allow = nullptr;  // for method_not_allowed: the Allow header value
    std::string_view rest;        // connection, user: the path after the prefix, still %-encoded
};

// A trailing slash names the same resource ("/api/stats/"); a route that ends in
// a name ("/api/users/{userId}") takes one non-empty segment.
RouteMatch route_request(llhttp_method_t method, std::string_view path);

}  // namespace ringcast

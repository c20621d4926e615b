#pragma once
// Which API handler a request goes to (the fixed routes; SSE endpoints are
// configured, see http/endpoint.h).
#include <string_view>

#include <llhttp.h>

namespace ringcast {

enum class Route { publish, invalidate, stats, not_found, method_not_allowed };

struct RouteMatch {
    Route route;
    const char* allow = nullptr;  // for method_not_allowed: the Allow header value
};

RouteMatch route_request(llhttp_method_t method, std::string_view path);

}  // namespace ringcast

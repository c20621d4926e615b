#pragma once
// Which handler a request goes to. The table is fixed in this release; later
// releases read endpoints from the configuration.
#include <string_view>

#include <llhttp.h>

namespace ringcast {

enum class Route { sse_stream, publish, stats, not_found, method_not_allowed };

struct RouteMatch {
    Route route;
    const char* allow = nullptr;  // for method_not_allowed: the Allow header value
};

RouteMatch route_request(llhttp_method_t method, std::string_view path);

}  // namespace ringcast

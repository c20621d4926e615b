#pragma once
// An SSE endpoint as the operator configured it ([[endpoint]], like the seeds'
// createSSEHandler): where it is, which channels a stream may pick there, who may
// open one, and its streams' heartbeat and lifetime.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast {

struct EndpointOptions {
    std::string path;
    std::vector<std::string> channels;  // allowed; empty: any valid name
    std::vector<std::string>
        default_channels;  // without ?channels=: `channels`, or sse.default_channels
    bool require_auth = false;
    std::vector<std::string> allowed_roles;        // non-empty: the token holds one of them
    std::vector<std::string> allowed_permissions;  // non-empty: the token holds one of them
    uint64_t heartbeat_interval_ms = 30'000;
    uint64_t connection_timeout_ms = 0;  // maximum lifetime, then a clean close; 0: none
    uint64_t rate_limit_max = 0;         // new streams per IP per window; 0: off
    uint64_t rate_limit_window_ms = 0;
    uint32_t max_connections_per_ip = 0;    // 0: off
    uint32_t max_connections_per_user = 0;  // 0: off
};

// The endpoint at exactly `path`, or nullptr.
inline const EndpointOptions* find_endpoint(const std::vector<EndpointOptions>& endpoints,
                                            std::string_view path) {
    for (const EndpointOptions& e : endpoints)
        if (e.path == path) return &e;
    return nullptr;
}

}  // namespace ringcast

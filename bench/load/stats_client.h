#pragma once
// Reads the daemon's GET /api/stats: the figures the load generator needs to
// compute memory per connection and CPU per delivery. One short-lived
// connection per read, with a hard deadline, so a wedged daemon turns into an
// error message instead of a hang.
#include <cstdint>
#include <optional>
#include <string>

#include "endpoint.h"

namespace ringcast::load {

struct DaemonStats {
    uint64_t taken_ns = 0;  // CLOCK_MONOTONIC when the reply arrived
    uint64_t total_connections = 0;
    uint64_t deliveries = 0;
    uint64_t events_published = 0;
    uint64_t rss_bytes = 0;
    double cpu_user_s = 0;
    double cpu_system_s = 0;

    double cpu_s() const { return cpu_user_s + cpu_system_s; }
};

// GET path from target (with X-API-Key: api_key when non-empty) and return the
// status and body; false with *error on a network failure, a timeout or an
// unparseable HTTP response.
bool http_get(const Endpoint& target, const std::string& path, const std::string& api_key,
              uint32_t timeout_ms, int* status, std::string* body, std::string* error);

std::optional<DaemonStats> read_stats(const Endpoint& target, const std::string& api_key,
                                      uint32_t timeout_ms, std::string* error);

}  // namespace ringcast::load

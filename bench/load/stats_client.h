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

// The stats' "catchUp" object (docs/protocol.md, "Statistics"): streams that
// caught up, of which resumes (Last-Event-ID), resumes told of a gap, events
// replayed, catch-ups trimmed to the queue limit, live events buffered at the
// seam, catch-ups deferred for pending mail.
struct CatchUpCounters {
    uint64_t streams = 0, resumes = 0, gaps = 0, replayed = 0, trimmed = 0, buffered = 0,
             deferred = 0;

    CatchUpCounters operator-(const CatchUpCounters& o) const {
        return {streams - o.streams,   resumes - o.resumes, gaps - o.gaps,
                replayed - o.replayed, trimmed - o.trimmed, buffered - o.buffered,
                deferred - o.deferred};
    }
};

struct DaemonStats {
    uint64_t taken_ns = 0;  // CLOCK_MONOTONIC when the reply arrived
    uint64_t total_connections = 0;
    uint64_t deliveries = 0;
    uint64_t events_published = 0;
    uint64_t rss_bytes = 0;
    double cpu_user_s = 0;
    double cpu_system_s = 0;

    // ringcastd's log (absent from naive-sse's stats: then has_log is false).
    // What the keeps hold, what the store wrote, what catch-ups did.
    bool has_log = false;
    uint64_t history_events = 0;
    uint64_t cache_events = 0;
    bool store_enabled = false;
    uint64_t store_written = 0;  // records committed
    uint64_t store_commits = 0;
    uint64_t store_pending = 0;  // records waiting for the writer
    CatchUpCounters catch_up;

    double cpu_s() const { return cpu_user_s + cpu_system_s; }
};

// GET path from target (with X-API-Key: api_key when non-empty) and return the
// status and body; false with *error on a network failure, a timeout or an
// unparseable HTTP response.
bool http_get(const Endpoint& target, const std::string& path, const std::string& api_key,
              uint32_t timeout_ms, int* status, std::string* body, std::string* error);
// The same with any method, and a JSON body when json_body is not empty.
bool http_request(const Endpoint& target, const std::string& method, const std::string& path,
                  const std::string& api_key, const std::string& json_body, uint32_t timeout_ms,
                  int* status, std::string* body, std::string* error);

std::optional<DaemonStats> read_stats(const Endpoint& target, const std::string& api_key,
                                      uint32_t timeout_ms, std::string* error);

}  // namespace ringcast::load

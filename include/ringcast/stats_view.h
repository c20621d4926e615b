#pragma once
// The product documents' figures of a stats reply, typed: what a backend or
// `ringcast top` reads from Client::stats()'s Result::json (docs/protocol.md,
// "Statistics"). The document has more (history, cache, store, shards...);
// read Result::json for those.
//
// Depends on the standard library alone.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::client {

// One of the busiest channels: messages published to it in the last minute,
// and its subscribers now.
struct ChannelRate {
    std::string channel;
    uint64_t messages_per_minute = 0;
    uint64_t connections = 0;
};

struct UserConnections {
    std::string user;
    uint64_t connections = 0;
};

struct StatsView {
    uint64_t total_connections = 0;  // open SSE streams
    uint64_t sockets = 0;            // every open connection
    uint64_t unique_users = 0;
    uint64_t active_channels = 0;      // channels with a subscriber
    uint64_t events_published = 0;     // ever
    uint64_t messages_per_minute = 0;  // published in the last 60 s (sliding window)
    uint64_t deliveries = 0;           // frames queued to subscribers, ever
    uint64_t delivery_failures = 0;    // ever
    uint64_t events_dropped = 0;       // from slow readers' queues, ever
    uint64_t events_expired_in_queue = 0;
    uint64_t slow_disconnects = 0;  // droppedSlowReaders + droppedStalledWriters +
                                    // slowReaderDisconnects: streams cut, ever
    uint64_t cache_size = 0;
    double uptime_s = 0;
    // memoryUsage, in bytes; the heap figures only from a daemon on mimalloc.
    uint64_t rss = 0, peak_rss = 0;
    bool has_heap = false;
    uint64_t heap_committed = 0, heap_peak_committed = 0;
    // Busiest first, at most the daemon's N (20); the rest summed.
    std::vector<ChannelRate> busiest_channels;
    uint64_t other_channels = 0, other_messages_per_minute = 0;
    std::vector<UserConnections> connections_by_user;
    uint64_t other_users = 0, other_user_connections = 0;
};

// Reads a stats document (Result::json of a stats call, or GET /api/stats's
// body). False, with the reason in *error, for text that is not one; a figure
// the daemon did not send (an older daemon) reads 0.
bool read_stats(std::string_view json, StatsView* out, std::string* error);

}  // namespace ringcast::client

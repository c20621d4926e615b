#include "ringcast/stats_view.h"

#include <algorithm>

#include <simdjson.h>

namespace ringcast::client {

namespace {

using simdjson::SUCCESS;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

uint64_t number(object o, std::string_view key) {
    uint64_t n = 0;
    if (o[key].get_uint64().get(n) != SUCCESS) return 0;
    return n;
}

}  // namespace

bool read_stats(std::string_view json, StatsView* out, std::string* error) {
    simdjson::dom::parser parser;
    element doc;
    object s;
    if (parser.parse(json.data(), json.size()).get(doc) != SUCCESS ||
        doc.get_object().get(s) != SUCCESS) {
        *error = "the stats are not a JSON object";
        return false;
    }
    StatsView v;
    v.total_connections = number(s, "totalConnections");
    v.sockets = number(s, "sockets");
    v.unique_users = number(s, "uniqueUsers");
    v.active_channels = number(s, "activeChannels");
    v.events_published = number(s, "eventsPublished");
    v.messages_per_minute = number(s, "messagesPerMinute");
    v.deliveries = number(s, "deliveries");
    v.delivery_failures = number(s, "deliveryFailures");
    v.events_dropped = number(s, "eventsDropped");
    v.events_expired_in_queue = number(s, "eventsExpiredInQueue");
    v.slow_disconnects = number(s, "droppedSlowReaders") + number(s, "droppedStalledWriters") +
                         number(s, "slowReaderDisconnects");
    v.cache_size = number(s, "cacheSize");
    double uptime = 0;
    if (s["uptime"].get_double().get(uptime) == SUCCESS) v.uptime_s = uptime;
    object o;
    if (s["memoryUsage"].get_object().get(o) == SUCCESS) {
        v.rss = number(o, "rss");
        v.peak_rss = number(o, "peakRss");
        element e;
        v.has_heap = o["heapCommitted"].get(e) == SUCCESS;
        v.heap_committed = number(o, "heapCommitted");
        v.heap_peak_committed = number(o, "heapPeakCommitted");
    }
    array channels;
    if (s["busiestChannels"].get_array().get(channels) == SUCCESS) {
        for (element e : channels) {
            object ch;
            std::string_view name;
            if (e.get_object().get(ch) != SUCCESS || ch["channel"].get_string().get(name)) continue;
            v.busiest_channels.push_back(
                {std::string(name), number(ch, "messagesPerMinute"), number(ch, "connections")});
        }
    }
    if (s["otherChannels"].get_object().get(o) == SUCCESS) {
        v.other_channels = number(o, "channels");
        v.other_messages_per_minute = number(o, "messagesPerMinute");
    }
    if (s["connectionsByUser"].get_object().get(o) == SUCCESS) {
        for (auto field : o) {
            uint64_t n = 0;
            if (field.value.get_uint64().get(n) == SUCCESS)
                v.connections_by_user.push_back({std::string(field.key), n});
        }
        // Busiest first whatever order the object came in.
        std::stable_sort(v.connections_by_user.begin(), v.connections_by_user.end(),
                         [](const UserConnections& a, const UserConnections& b) {
                             return a.connections > b.connections;
                         });
    }
    if (s["otherUsers"].get_object().get(o) == SUCCESS) {
        v.other_users = number(o, "users");
        v.other_user_connections = number(o, "connections");
    }
    *out = std::move(v);
    return true;
}

}  // namespace ringcast::client

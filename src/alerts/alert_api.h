#pragma once
// What the alert operations answer, the same over HTTP (http/api_alerts.cc) and
// the Unix socket (publish/socket_alerts.cc): the refusal each outcome of a
// change is (its code, and its HTTP status), the error object, a page of the
// alert list, and the reach of a preview gathered from every shard. Each
// protocol only frames these (a status line and headers, or "req" and "ok").
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "alerts/alert_service.h"
#include "alerts/alert_set.h"
#include "core/json_writer.h"
#include "core/reactor.h"

namespace ringcast {

// A refused change: its error code (docs/alerts.md) and HTTP status, and whether
// the answer carries "current" (the alert as it stands, to merge and send again).
struct AlertRefusal {
    int http_status = 500;
    const char* code = "internal_error";
    bool with_current = false;
};
// Every status but done and created is a refusal.
AlertRefusal alert_refusal(AlertOutcome::Status status);

// {"code", "message", "field"?}: the "error" member of a refused change.
void write_alert_error(JsonWriter& w, const AlertOutcome& o);
// The same for a request refused before it reached the home shard.
void write_alert_error(JsonWriter& w, std::string_view code, std::string_view message,
                       std::string_view field = {});

// The list (GET /api/alerts, alerts.list): filters and a page, newest first.
struct AlertPage {
    static constexpr size_t kDefaultLimit = 50;
    static constexpr size_t kMaxLimit = 500;
    std::optional<bool> active;  // only the alerts shown now (true) or not (false)
    std::optional<std::string> type;
    size_t limit = kDefaultLimit;  // 1..kMaxLimit
    size_t offset = 0;
};
// Writes the members "alerts", "total", "offset" and "limit" into an open object.
void write_alert_page(JsonWriter& w, const AlertSet& set, const AlertPage& page, int64_t now_ms);

// How many streams on the alerts channel, on every shard, and how many distinct
// users among them, an alert with this targeting reaches now (the preview).
struct AlertReach {
    uint64_t streams = 0;
    uint64_t users = 0;
};
// Asks every shard's AlertFeed; `done` runs on this shard, never inside the call.
void gather_alert_reach(Reactor& reactor, const Target& target,
                        std::function<void(const AlertReach&)> done);

}  // namespace ringcast

#pragma once
// Every alert and every dismissal at one moment, immutable: the home shard makes
// a new one for each committed change and hands the same one to every shard
// (AlertSnapshot), which reads it without locks. A connecting stream gets its
// list from it at once, never waiting on SQLite.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "alerts/alert.h"

namespace ringcast {

struct AlertSet {
    std::vector<Alert> alerts;  // by id, ascending
    // Per alert id, the users who dismissed it.
    std::unordered_map<uint64_t, std::unordered_set<std::string>> dismissed;
    // Per alert id, the expires_at admins were told had passed (as alerts.db
    // keeps it): an alert whose expires_at is past and not this one is still to
    // be announced, also after a restart. Only the home shard's service reads it.
    std::unordered_map<uint64_t, int64_t> expiry_announced;

    const Alert* find(uint64_t id) const;
    Alert* find(uint64_t id) {
        return const_cast<Alert*>(static_cast<const AlertSet*>(this)->find(id));
    }
    bool dismissed_by(uint64_t id, std::string_view user) const;
    // Alerts not yet expired at `now_ms` (active or scheduled): what max_active bounds.
    size_t live_count(int64_t now_ms) const;
    // The first starts_at or expires_at after `now_ms`, or 0 if none: when some
    // stream's list changes without anyone acting.
    int64_t next_change_after(int64_t now_ms) const;
};

using AlertSnapshot = std::shared_ptr<const AlertSet>;

// Shown first: higher priority, then newer (created later), then higher id.
bool shown_before(const Alert& a, const Alert& b);

// An alert list as the `alerts` and `alerts-update` events and GET
// /api/alerts/active carry it: a JSON array of alerts as their viewers see them
// (write_alert_for_viewer), in shown_before order.
std::string alert_list_json(const std::vector<const Alert*>& list);

}  // namespace ringcast

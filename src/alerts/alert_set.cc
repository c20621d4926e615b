#include "alerts/alert_set.h"

#include <algorithm>

#include "alerts/alert_json.h"
#include "core/json_writer.h"

namespace ringcast {

const Alert* AlertSet::find(uint64_t id) const {
    auto it = std::lower_bound(alerts.begin(), alerts.end(), id,
                               [](const Alert& a, uint64_t v) { return a.id < v; });
    return it != alerts.end() && it->id == id ? &*it : nullptr;
}

bool AlertSet::dismissed_by(uint64_t id, std::string_view user) const {
    if (user.empty()) return false;
    auto it = dismissed.find(id);
    return it != dismissed.end() && it->second.contains(std::string(user));
}

size_t AlertSet::live_count(int64_t now_ms) const {
    return size_t(std::count_if(alerts.begin(), alerts.end(), [&](const Alert& a) {
        return a.expires_at_ms == 0 || now_ms < a.expires_at_ms;
    }));
}

int64_t AlertSet::next_change_after(int64_t now_ms) const {
    int64_t next = 0;
    auto consider = [&](int64_t t) {
        if (t > now_ms && (next == 0 || t < next)) next = t;
    };
    for (const Alert& a : alerts) {
        consider(a.starts_at_ms);
        consider(a.expires_at_ms);
    }
    return next;
}

bool shown_before(const Alert& a, const Alert& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.created_at_ms != b.created_at_ms) return a.created_at_ms > b.created_at_ms;
    return a.id > b.id;
}

std::string alert_list_json(const std::vector<const Alert*>& list) {
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    for (const Alert* a : list)
        write_alert_for_viewer(w, *a);
    w.end_array();
    return out;
}

}  // namespace ringcast

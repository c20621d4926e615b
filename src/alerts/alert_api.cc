#include "alerts/alert_api.h"

#include <algorithm>
#include <vector>

#include "alerts/alert_feed.h"
#include "alerts/alert_json.h"
#include "core/shard_gather.h"

namespace ringcast {

AlertRefusal alert_refusal(AlertOutcome::Status status) {
    using S = AlertOutcome::Status;
    switch (status) {
        case S::not_found: return {404, "not_found", false};
        case S::conflict: return {409, "version_conflict", true};
        case S::invalid: return {400, "invalid_field", false};
        case S::too_many: return {409, "too_many_alerts", false};
        case S::forbidden: return {403, "not_dismissible", false};
        case S::failed: return {503, "store_failed", false};
        case S::unavailable: return {503, "cluster_unavailable", false};
        case S::done:
        case S::created: break;  // not refusals
    }
    return {};
}

void write_alert_error(JsonWriter& w, std::string_view code, std::string_view message,
                       std::string_view field) {
    w.begin_object().key("code").value(code).key("message").value(message);
    if (!field.empty()) w.key("field").value(field);
    w.end_object();
}

void write_alert_error(JsonWriter& w, const AlertOutcome& o) {
    write_alert_error(w, alert_refusal(o.status).code, o.message, o.field);
}

void write_alert_page(JsonWriter& w, const AlertSet& set, const AlertPage& page, int64_t now_ms) {
    std::vector<const Alert*> chosen;
    for (auto it = set.alerts.rbegin(); it != set.alerts.rend(); ++it) {  // newest first
        if (page.active && it->active_at(now_ms) != *page.active) continue;
        if (page.type && it->alert_type != *page.type) continue;
        chosen.push_back(&*it);
    }
    w.key("alerts").begin_array();
    for (size_t i = page.offset; i < chosen.size() && i < page.offset + page.limit; ++i)
        write_alert(w, *chosen[i]);
    w.end_array();
    w.key("total").value(uint64_t(chosen.size()));
    w.key("offset").value(uint64_t(page.offset)).key("limit").value(uint64_t(page.limit));
}

void gather_alert_reach(Reactor& reactor, const Target& target,
                        std::function<void(const AlertReach&)> done) {
    std::vector<ShardAsk<AlertFeed::Reach>> asks;
    for (unsigned s = 0; s < reactor.shards(); ++s)
        asks.push_back(
            {s, [target](Reactor& shard) { return shard.local<AlertFeed>().reach(target); }});
    gather<AlertFeed::Reach>(
        reactor, std::move(asks), [done = std::move(done)](std::vector<AlertFeed::Reach>& parts) {
            AlertReach reach;
            std::vector<std::string> users;
            for (AlertFeed::Reach& p : parts) {
                reach.streams += p.streams;
                users.insert(users.end(), p.users.begin(), p.users.end());
            }
            std::sort(users.begin(), users.end());
            reach.users = uint64_t(std::unique(users.begin(), users.end()) - users.begin());
            done(reach);
        });
}

}  // namespace ringcast

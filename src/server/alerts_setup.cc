#include "server/alerts_setup.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/clock.h"

namespace ringcast {

AlertOptions alert_options(const Config& cfg) {
    AlertOptions o;
    o.enabled = cfg.alerts_enabled;
    o.path = cfg.alerts_path;
    if (!o.path.empty() && o.path.front() != '/')
        o.path = (std::filesystem::path(cfg.data_dir) / o.path).string();
    o.channel = cfg.alerts_channel;
    o.admin_channel = cfg.alerts_admin_channel;
    o.admin_roles = cfg.alerts_admin_roles;
    o.limits.custom_types = cfg.alerts_custom_types;
    o.limits.max_active = cfg.alerts_max_active;
    o.limits.max_title = cfg.alerts_max_title;
    o.limits.max_message = cfg.alerts_max_message;
    o.limits.max_details = cfg.alerts_max_details;
    o.limits.max_metadata = cfg.alerts_max_metadata;
    o.limits.max_actions = cfg.alerts_max_actions;
    return o;
}

bool open_alerts(const Config& cfg, AlertsSetup* out, std::string* error) {
    out->options = alert_options(cfg);
    out->loaded = std::make_shared<const AlertSet>();
    if (!out->options.enabled) return true;
    auto db = std::make_unique<AlertDb>();
    if (!db->open(out->options.path, error)) return false;
    auto set = std::make_shared<AlertSet>();
    std::vector<AlertDismissal> dismissals;
    std::vector<AlertExpiry> announced;
    if (!db->load(&set->alerts, &dismissals, &announced, error)) return false;
    for (const AlertDismissal& d : dismissals)
        set->dismissed[d.alert_id].insert(d.user);
    for (const AlertExpiry& e : announced)
        set->expiry_announced[e.alert_id] = e.expires_at_ms;
    const int64_t now = wall_ms();
    spdlog::info("alerts: {} ({} stored, {} active now, {} dismissals)", out->options.path,
                 set->alerts.size(),
                 std::count_if(set->alerts.begin(), set->alerts.end(),
                               [&](const Alert& a) { return a.active_at(now); }),
                 dismissals.size());
    out->loaded = std::move(set);
    out->db = std::move(db);
    return true;
}

}  // namespace ringcast

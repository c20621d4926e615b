#include "alerts/alert_steps.h"

#include <algorithm>
#include <memory>

namespace ringcast {

std::vector<AlertStep> alert_steps(const AlertSnapshot& from, const AlertSnapshot& to) {
    std::vector<AlertStep> steps;
    auto cur = std::make_shared<AlertSet>(*from);
    auto step = [&](AlertChange::Kind kind, uint64_t id, std::string user = {}) {
        AlertChange c;
        c.kind = kind;
        c.alert_id = id;
        c.user = std::move(user);
        steps.push_back({std::make_shared<AlertSet>(*cur), std::move(c)});
    };
    for (const Alert& a : to->alerts) {
        Alert* had = cur->find(a.id);
        if (!had) {
            auto at = std::lower_bound(cur->alerts.begin(), cur->alerts.end(), a.id,
                                       [](const Alert& x, uint64_t id) { return x.id < id; });
            cur->alerts.insert(at, a);
            step(AlertChange::Kind::created, a.id);
        } else if (!(*had == a)) {
            *had = a;
            step(AlertChange::Kind::updated, a.id);
        }
    }
    std::vector<uint64_t> gone;
    for (const Alert& a : cur->alerts)
        if (!to->find(a.id)) gone.push_back(a.id);
    for (uint64_t id : gone) {
        std::erase_if(cur->alerts, [&](const Alert& a) { return a.id == id; });
        cur->dismissed.erase(id);
        step(AlertChange::Kind::deleted, id);
    }
    for (const auto& [id, users] : to->dismissed)
        for (const std::string& user : users)
            if (!cur->dismissed_by(id, user)) {
                cur->dismissed[id].insert(user);
                step(AlertChange::Kind::dismissed, id, user);
            }
    // A dismissal that is gone (its set was put back from an older one): the
    // alert shows again to its user, as after a change of it.
    std::vector<uint64_t> undismissed;
    for (const auto& [id, users] : cur->dismissed) {
        auto it = to->dismissed.find(id);
        for (const std::string& user : users)
            if (it == to->dismissed.end() || !it->second.contains(user)) {
                undismissed.push_back(id);
                break;
            }
    }
    std::sort(undismissed.begin(), undismissed.end());
    for (uint64_t id : undismissed) {
        cur->dismissed[id] =
            to->dismissed.contains(id) ? to->dismissed.at(id) : std::unordered_set<std::string>{};
        if (cur->dismissed[id].empty()) cur->dismissed.erase(id);
        step(AlertChange::Kind::updated, id);
    }
    if (!steps.empty()) steps.back().set = to;
    return steps;
}

}  // namespace ringcast

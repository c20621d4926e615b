#include "pubsub/history.h"

namespace ringcast {

History::History(const KeyedLogLimits& limits, Journal* journal)
    : _log(limits, Keep::history, journal) {
    _log.set_hooks(this);
}

void History::on_drop(const Event& e) {
    if (!e.has_explicit_id()) return;
    auto it = _explicit.find(e.id());
    if (it != _explicit.end() && it->second == e.sequence()) _explicit.erase(it);
}

void History::remember_explicit(const Event* e) {
    if (e->has_explicit_id()) _explicit[std::string(e->id())] = e->sequence();
}

// The bounds never drop the event just appended (keyed_log.h), so it can be
// remembered afterwards.
void History::append(Event* e, int64_t now_wall_ms) {
    if (_log.append(e->channel(), e, now_wall_ms)) remember_explicit(e);
}

bool History::restore(Event* e, int64_t now_wall_ms) {
    if (!_log.restore(e->channel(), e, now_wall_ms)) return false;
    remember_explicit(e);
    return true;
}

void History::replay(const std::vector<std::string>& channels, uint64_t after, int64_t now_wall_ms,
                     Replay* out) const {
    for (const std::string& name : channels) {
        if (_log.lost_after(name, after)) out->gap = true;
        _log.for_each_after(name, after, [&](Event* e) {
            if (e->expired(now_wall_ms)) return;  // an expired event is never delivered
            e->retain();
            out->events.push_back(e);
        });
    }
}

std::optional<uint64_t> History::sequence_of(std::string_view explicit_id) const {
    auto it = _explicit.find(explicit_id);
    if (it == _explicit.end()) return std::nullopt;
    return it->second;
}

}  // namespace ringcast

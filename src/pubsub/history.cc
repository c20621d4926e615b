#include "pubsub/history.h"

#include <algorithm>

namespace ringcast {

History::~History() {
    for (auto& [name, log] : _logs)
        for (Event* e : log.events)
            e->release();
}

void History::lru_unlink(Log& log) {
    (log.lru_prev ? log.lru_prev->lru_next : _lru_head) = log.lru_next;
    (log.lru_next ? log.lru_next->lru_prev : _lru_tail) = log.lru_prev;
    log.lru_prev = log.lru_next = nullptr;
}

void History::lru_push_back(Log& log) {
    log.lru_prev = _lru_tail;
    log.lru_next = nullptr;
    (_lru_tail ? _lru_tail->lru_next : _lru_head) = &log;
    _lru_tail = &log;
}

void History::drop_front(Log& log) {
    Event* e = log.events.front();
    log.events.pop_front();
    log.bytes -= cost(e);
    log.evicted = std::max(log.evicted, e->sequence());
    _stats.bytes -= cost(e);
    --_stats.events;
    ++_stats.evicted;
    if (e->has_explicit_id()) {
        auto it = _explicit.find(e->id());
        if (it != _explicit.end() && it->second == e->sequence()) _explicit.erase(it);
    }
    e->release();
}

// A channel without kept events is forgotten; what it lost joins the floor.
void History::maybe_forget(Log& log) {
    if (!log.events.empty()) return;
    _floor = std::max(_floor, log.evicted);
    lru_unlink(log);
    std::string name = std::move(log.name);
    _logs.erase(name);
    --_stats.channels;
}

void History::append(Event* e, int64_t now_wall_ms) {
    if (!enabled()) return;
    auto [it, added] = _logs.try_emplace(std::string(e->channel()));
    Log& log = it->second;
    if (added) {
        log.name = it->first;
        ++_stats.channels;
    } else {
        lru_unlink(log);
    }
    lru_push_back(log);
    e->retain();
    log.events.push_back(e);
    log.bytes += cost(e);
    _stats.bytes += cost(e);
    ++_stats.events;
    if (e->has_explicit_id()) _explicit[std::string(e->id())] = e->sequence();

    const int64_t oldest = now_wall_ms - int64_t(_limits.max_age_ms);
    while (log.events.size() > 1 &&
           (log.events.size() > _limits.max_events || log.bytes > _limits.max_bytes ||
            log.events.front()->timestamp_ms() < oldest))
        drop_front(log);
    // Every channel together: take from the least recently published one (this
    // one last, down to the event just kept).
    while (_stats.bytes > _limits.max_total_bytes && _lru_head &&
           !(_lru_head == &log && log.events.size() == 1)) {
        Log& victim = *_lru_head;
        drop_front(victim);
        if (&victim != &log) maybe_forget(victim);
    }
}

void History::expire(int64_t now_wall_ms) {
    const int64_t oldest = now_wall_ms - int64_t(_limits.max_age_ms);
    for (Log* log = _lru_head; log;) {
        Log* next = log->lru_next;
        while (!log->events.empty() && (log->events.front()->timestamp_ms() < oldest ||
                                        log->events.front()->expired(now_wall_ms)))
            drop_front(*log);
        maybe_forget(*log);
        log = next;
    }
}

void History::replay(const std::vector<std::string>& channels, uint64_t after,
                     int64_t now_wall_ms, Replay* out) const {
    if (_floor > after) out->gap = true;
    const size_t first = out->events.size();
    for (const std::string& name : channels) {
        auto it = _logs.find(name);
        if (it == _logs.end()) continue;
        const Log& log = it->second;
        if (log.evicted > after) out->gap = true;
        auto from = std::upper_bound(
            log.events.begin(), log.events.end(), after,
            [](uint64_t seq, const Event* e) { return seq < e->sequence(); });
        for (auto e = from; e != log.events.end(); ++e) {
            if ((*e)->expired(now_wall_ms)) continue;  // never delivered late (B7)
            (*e)->retain();
            out->events.push_back(*e);
        }
    }
    std::sort(out->events.begin() + ptrdiff_t(first), out->events.end(),
              [](const Event* a, const Event* b) { return a->sequence() < b->sequence(); });
}

std::optional<uint64_t> History::sequence_of(std::string_view explicit_id) const {
    auto it = _explicit.find(explicit_id);
    if (it == _explicit.end()) return std::nullopt;
    return it->second;
}

}  // namespace ringcast

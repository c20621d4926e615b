#include "pubsub/keyed_log.h"

#include <algorithm>

namespace ringcast {

KeyedLog::~KeyedLog() {
    for (auto& [key, entry] : _entries)
        for (Event* e : entry.events)
            e->release();
}

const KeyedLog::Entry* KeyedLog::find(std::string_view key) const {
    auto it = _entries.find(key);
    return it == _entries.end() ? nullptr : &it->second;
}

KeyedLog::Entry* KeyedLog::find(std::string_view key) {
    auto it = _entries.find(key);
    return it == _entries.end() ? nullptr : &it->second;
}

std::deque<Event*>::const_iterator KeyedLog::first_after(const Entry& entry, uint64_t after) {
    return std::upper_bound(entry.events.begin(), entry.events.end(), after,
                            [](uint64_t seq, const Event* e) { return seq < e->sequence(); });
}

void KeyedLog::lru_unlink(Entry& entry) {
    (entry.lru_prev ? entry.lru_prev->lru_next : _lru_head) = entry.lru_next;
    (entry.lru_next ? entry.lru_next->lru_prev : _lru_tail) = entry.lru_prev;
    entry.lru_prev = entry.lru_next = nullptr;
}

void KeyedLog::lru_push_back(Entry& entry) {
    entry.lru_prev = _lru_tail;
    entry.lru_next = nullptr;
    (_lru_tail ? _lru_tail->lru_next : _lru_head) = &entry;
    _lru_tail = &entry;
}

void KeyedLog::leave(Entry& entry, Event* e, Why why, bool keep_ref) {
    entry.bytes -= cost(e);
    _stats.bytes -= cost(e);
    if (e->expires_at_ms()) --entry.with_ttl;
    --_stats.events;
    switch (why) {
        case Why::bound: ++_stats.evicted; break;
        case Why::age:
        case Why::ttl: ++_stats.aged; break;
        case Why::removed: ++_stats.removed; break;
    }
    if ((why == Why::bound || why == Why::age) && e->sequence() > entry.lost) {
        entry.lost = e->sequence();
        if (_journal && _keep == Keep::history) _journal->history_evicted(entry.key, entry.lost);
    }
    if (_hooks) _hooks->on_drop(*e);
    if (_journal) _journal->dropped(*e, _keep, journal_user(entry));
    if (!keep_ref) e->release();
}

void KeyedLog::drop_front(Entry& entry, Why why) {
    Event* e = entry.events.front();
    entry.events.pop_front();
    leave(entry, e, why);
}

// A key without events is forgotten; what it lost joins the floor.
void KeyedLog::maybe_forget(Entry& entry) {
    if (!entry.events.empty()) return;
    if (entry.lost > _floor) {
        _floor = entry.lost;
        if (_journal && _keep == Keep::history) _journal->history_floor(_floor);
    }
    lru_unlink(entry);
    std::string key = std::move(entry.key);
    _entries.erase(key);
    --_stats.keys;
}

bool KeyedLog::append(std::string_view key, Event* e, int64_t now_wall_ms) {
    return insert(key, e, now_wall_ms, true);
}

bool KeyedLog::restore(std::string_view key, Event* e, int64_t now_wall_ms) {
    return insert(key, e, now_wall_ms, false);
}

bool KeyedLog::insert(std::string_view key, Event* e, int64_t now_wall_ms, bool tell_journal) {
    const int64_t oldest =
        _limits.max_age_ms ? now_wall_ms - int64_t(_limits.max_age_ms) : INT64_MIN;
    if (!enabled() || e->expired(now_wall_ms) || e->timestamp_ms() < oldest) return false;
    // Found without building a key string: that is the common case.
    auto it = _entries.find(key);
    const bool added = it == _entries.end();
    if (added) it = _entries.try_emplace(std::string(key)).first;
    Entry& entry = it->second;
    if (added) {
        entry.key = it->first;
        ++_stats.keys;
    } else {
        lru_unlink(entry);
    }
    lru_push_back(entry);
    e->retain();
    // Appends come in sequence order; a mailbox taking back events it had
    // handed out (pubsub/event_log.h) puts them back in their place.
    if (entry.events.empty() || entry.events.back()->sequence() < e->sequence()) {
        entry.events.push_back(e);
    } else {
        entry.events.insert(first_after(entry, e->sequence()), e);
    }
    entry.bytes += cost(e);
    _stats.bytes += cost(e);
    ++_stats.events;
    if (e->expires_at_ms()) ++entry.with_ttl;
    if (tell_journal && _journal) _journal->kept(e, _keep, journal_user(entry));

    while (entry.events.size() > 1 &&
           (entry.events.size() > _limits.max_events || entry.bytes > _limits.max_bytes))
        drop_front(entry, Why::bound);
    while (!entry.events.empty() && entry.events.front()->timestamp_ms() < oldest)
        drop_front(entry, Why::age);
    // Every key together: take from the least recently appended one (this one
    // last, down to its newest event).
    while (_stats.bytes > _limits.max_total_bytes && _lru_head &&
           !(_lru_head == &entry && entry.events.size() == 1)) {
        Entry& victim = *_lru_head;
        drop_front(victim, Why::bound);
        if (&victim != &entry) maybe_forget(victim);
    }
    return true;
}

void KeyedLog::expire(int64_t now_wall_ms) {
    const int64_t oldest =
        _limits.max_age_ms ? now_wall_ms - int64_t(_limits.max_age_ms) : INT64_MIN;
    for (Entry* entry = _lru_head; entry;) {
        Entry* next = entry->lru_next;
        // By age the front goes first; a ttl can end any event.
        while (!entry->events.empty() && entry->events.front()->timestamp_ms() < oldest)
            drop_front(*entry, Why::age);
        for (size_t i = 0; entry->with_ttl > 0 && i < entry->events.size();) {
            Event* e = entry->events[i];
            if (!e->expired(now_wall_ms)) {
                ++i;
                continue;
            }
            entry->events.erase(entry->events.begin() + ptrdiff_t(i));
            leave(*entry, e, Why::ttl);
        }
        maybe_forget(*entry);
        entry = next;
    }
}

void KeyedLog::set_limits(const KeyedLogLimits& limits, int64_t now_wall_ms) {
    _limits = limits;
    // What the new bounds no longer allow goes now, as an append would have
    // taken it (per key down to its newest event, then the least recently
    // appended keys first), counted as evicted: a resume across it is a gap.
    for (Entry* entry = _lru_head; entry;) {
        Entry* next = entry->lru_next;
        while (entry->events.size() > 1 &&
               (entry->events.size() > _limits.max_events || entry->bytes > _limits.max_bytes))
            drop_front(*entry, Why::bound);
        entry = next;
    }
    while (_stats.bytes > _limits.max_total_bytes && _lru_head) {
        Entry& victim = *_lru_head;
        drop_front(victim, Why::bound);
        maybe_forget(victim);
    }
    expire(now_wall_ms);
}

bool KeyedLog::lost_after(std::string_view key, uint64_t after) const {
    if (_floor > after) return true;
    const Entry* entry = find(key);
    return entry && entry->lost > after;
}

void KeyedLog::restore_lost(std::string_view key, uint64_t sequence) {
    Entry* entry = find(key);
    if (!entry) {  // nothing kept for it any more: the floor covers it
        _floor = std::max(_floor, sequence);
        return;
    }
    entry->lost = std::max(entry->lost, sequence);
}

}  // namespace ringcast

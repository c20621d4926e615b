#pragma once
// Bounded queues of events by key, each in ascending sequence: the log shard's
// history and persistent cache (keyed by channel) and its mailboxes (keyed by
// user) are each one (pubsub/event_log.h).
//
// Bounds: per key by count, bytes and age; every key together by bytes, taken
// from the key appended to least recently (an LRU list of keys), oldest event
// first. An entry is a reference to the event's immutable frame: what a late
// reader gets is the bytes everyone got. An event counts its frame plus the
// Event header (`cost()`).
//
// What a bound or age took is remembered per key as a sequence (`lost`: the
// highest sequence that left that way), so that history can tell a reader
// asking for more than is kept that there is a gap. An event whose ttl ended is
// no loss: nobody may get it any more anyway. When a key empties it is
// forgotten and its `lost` folds into one floor shared by every key: that may
// report a gap that is not there (the reader refreshes), never the reverse.
// Events removed on purpose (invalidated, taken from a mailbox) are not losses.
//
// Every entry and exit is told to the journal, when there is one, so that the
// store mirrors the keep. One shard owns a KeyedLog and is the only one to touch it.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pubsub/event.h"
#include "pubsub/journal.h"

namespace ringcast {

struct KeyedLogLimits {
    uint32_t max_events = 1000;               // per key; 0 keeps nothing
    uint64_t max_bytes = 1 << 20;             // per key
    uint64_t max_age_ms = 3'600'000;          // by the event's timestamp; 0: no limit
    uint64_t max_total_bytes = 256ull << 20;  // every key together
};

struct KeyedLogStats {
    uint64_t keys = 0;
    uint64_t events = 0;
    uint64_t bytes = 0;
    uint64_t evicted = 0;  // taken by a bound (count, bytes, total bytes), ever
    uint64_t aged = 0;     // past max_age or their ttl, ever
    uint64_t removed = 0;  // removed on purpose (invalidated, taken), ever
};

// Told of each event as it leaves a KeyedLog, before its reference is released
// (History forgets the event's explicit id).
class KeyedLogHooks {
public:
    virtual ~KeyedLogHooks() = default;
    virtual void on_drop(const Event& e) = 0;
};

class KeyedLog {
public:
    KeyedLog(const KeyedLogLimits& limits, Keep keep, Journal* journal = nullptr)
        : _limits(limits), _keep(keep), _journal(journal) {}
    ~KeyedLog();
    KeyedLog(const KeyedLog&) = delete;
    KeyedLog& operator=(const KeyedLog&) = delete;

    bool enabled() const { return _limits.max_events > 0; }
    void set_hooks(KeyedLogHooks* hooks) { _hooks = hooks; }

    // Keeps a reference to `e` (numbered already) under `key`, in sequence
    // order, then applies the bounds. Returns false (keeping nothing) when the
    // log is disabled or `e` is past its age or ttl. A restore does not tell the
    // journal (the store has the event already).
    bool append(std::string_view key, Event* e, int64_t now_wall_ms);
    bool restore(std::string_view key, Event* e, int64_t now_wall_ms);

    // Drops what is older than max_age and what is past its ttl.
    void expire(int64_t now_wall_ms);
    // A reload: new bounds, applied at once to what is kept. Turning the log
    // on or off (max_events to or from 0) is not one of them (the caller
    // keeps that as it started).
    void set_limits(const KeyedLogLimits& limits, int64_t now_wall_ms);

    // Calls f(Event*) for each event of `key` with a sequence above `after`, in order.
    template <typename F>
    void for_each_after(std::string_view key, uint64_t after, F&& f) const {
        const Entry* entry = find(key);
        if (!entry) return;
        for (auto it = first_after(*entry, after); it != entry->events.end(); ++it)
            f(*it);
    }
    // Whether `key` lost events after `after` (by a bound or age), including
    // what forgotten keys lost.
    bool lost_after(std::string_view key, uint64_t after) const;

    // Removes the events of `key` (every key when `key` is empty) for which
    // pred(const Event&) holds; returns how many. Not losses (on purpose).
    template <typename P>
    size_t remove_if(std::string_view key, P&& pred);
    // Takes the events of `key` for which pred holds, in order, handing over
    // their references (the journal is told they left). Not losses.
    template <typename P>
    std::vector<Event*> take_if(std::string_view key, P&& pred);

    bool empty(std::string_view key) const { return find(key) == nullptr; }
    const KeyedLogStats& stats() const { return _stats; }
    const KeyedLogLimits& limits() const { return _limits; }
    uint64_t floor() const { return _floor; }
    // Restores what a previous run's history had lost (gap markers).
    void restore_lost(std::string_view key, uint64_t sequence);
    void restore_floor(uint64_t sequence) { _floor = std::max(_floor, sequence); }
    // A new numbering (EventLog::renumber), once every key is emptied: nothing
    // it lost means anything in the new one.
    void reset_floor() { _floor = 0; }

    static uint64_t cost(const Event* e) { return sizeof(Event) + e->size(); }

private:
    struct Entry {
        std::string key;
        std::deque<Event*> events;  // ascending sequence
        uint64_t bytes = 0;
        uint64_t lost = 0;          // highest sequence taken by a bound or age
        uint32_t with_ttl = 0;      // events with a ttl: only these keys need a full sweep
        Entry* lru_prev = nullptr;  // least recently appended first
        Entry* lru_next = nullptr;
    };
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    enum class Why : uint8_t { bound, age, ttl, removed };

    const Entry* find(std::string_view key) const;
    Entry* find(std::string_view key);
    static std::deque<Event*>::const_iterator first_after(const Entry& entry, uint64_t after);
    bool insert(std::string_view key, Event* e, int64_t now_wall_ms, bool tell_journal);
    // Unlinks events[i] (the caller erases it from the deque) and releases it
    // unless `keep_ref`.
    void leave(Entry& entry, Event* e, Why why, bool keep_ref = false);
    void drop_front(Entry& entry, Why why);
    void maybe_forget(Entry& entry);
    void lru_unlink(Entry& entry);
    void lru_push_back(Entry& entry);
    std::string_view journal_user(const Entry& entry) const {
        return _keep == Keep::mailbox ? std::string_view(entry.key) : std::string_view();
    }

    KeyedLogLimits _limits;
    Keep _keep;
    Journal* _journal;
    KeyedLogHooks* _hooks = nullptr;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> _entries;
    Entry* _lru_head = nullptr;
    Entry* _lru_tail = nullptr;
    uint64_t _floor = 0;  // what forgotten keys lost
    KeyedLogStats _stats;
};

template <typename P>
size_t KeyedLog::remove_if(std::string_view key, P&& pred) {
    size_t n = 0;
    auto sweep = [&](Entry& entry) {
        for (size_t i = 0; i < entry.events.size();) {
            Event* e = entry.events[i];
            if (!pred(static_cast<const Event&>(*e))) {
                ++i;
                continue;
            }
            entry.events.erase(entry.events.begin() + ptrdiff_t(i));
            leave(entry, e, Why::removed);
            ++n;
        }
    };
    if (!key.empty()) {
        if (Entry* entry = find(key)) {
            sweep(*entry);
            maybe_forget(*entry);
        }
        return n;
    }
    for (Entry* entry = _lru_head; entry;) {
        Entry* next = entry->lru_next;
        sweep(*entry);
        maybe_forget(*entry);
        entry = next;
    }
    return n;
}

template <typename P>
std::vector<Event*> KeyedLog::take_if(std::string_view key, P&& pred) {
    std::vector<Event*> out;
    Entry* entry = find(key);
    if (!entry) return out;
    for (size_t i = 0; i < entry->events.size();) {
        Event* e = entry->events[i];
        if (!pred(static_cast<const Event&>(*e))) {
            ++i;
            continue;
        }
        entry->events.erase(entry->events.begin() + ptrdiff_t(i));
        leave(*entry, e, Why::removed, true);
        out.push_back(e);
    }
    maybe_forget(*entry);
    return out;
}

}  // namespace ringcast

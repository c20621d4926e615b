#pragma once
// The recent past of every channel, kept by the log shard for Last-Event-ID
// resume (FEATURES B10).
//
// Each channel keeps its latest events, oldest first, bounded by count, bytes and
// age; all channels together are bounded by bytes, taking from the channel that
// was published to least recently. An entry is a reference to the event's
// immutable frame: the bytes a late reader gets are the bytes everyone got.
//
// What was dropped is remembered as a sequence: a channel's `evicted` is the
// highest sequence it lost, so a reader asking for everything after an older
// sequence is told that there is a gap instead of silently missing events. When a
// channel's history is dropped entirely (it emptied by age, or it was the least
// recent under the global bound), its `evicted` folds into one floor shared by all
// channels: that may report a gap that is not there (the reader refreshes), never
// the reverse.
//
// One shard owns a History and is the only one to touch it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <deque>

#include "pubsub/event.h"

namespace ringcast {

struct HistoryLimits {
    uint32_t max_events = 1000;              // per channel; 0 keeps no history at all
    uint64_t max_bytes = 1 << 20;            // per channel
    uint64_t max_age_ms = 3'600'000;         // by publication time (the event's timestamp)
    uint64_t max_total_bytes = 256ull << 20;  // every channel together
};

struct HistoryStats {
    uint64_t channels = 0;
    uint64_t events = 0;
    uint64_t bytes = 0;
    uint64_t evicted = 0;  // events dropped by a bound (age, count, bytes), ever
};

class History {
public:
    explicit History(const HistoryLimits& limits) : _limits(limits) {}
    ~History();
    History(const History&) = delete;
    History& operator=(const History&) = delete;

    bool enabled() const { return _limits.max_events > 0; }

    // Keeps a reference to `e` (numbered already) unless history is off.
    void append(Event* e, int64_t now_wall_ms);

    // Drops what is older than max_age and events whose ttl passed.
    void expire(int64_t now_wall_ms);

    struct Replay {
        std::vector<Event*> events;  // one reference each, for the caller to release
        bool gap = false;            // some event after `after` on these channels is gone
    };
    // Every kept event of `channels` with a sequence above `after`, in sequence
    // order, except those whose ttl has passed.
    void replay(const std::vector<std::string>& channels, uint64_t after, int64_t now_wall_ms,
                Replay* out) const;

    // The sequence of the kept event a publisher gave this explicit id (the
    // latest, if reused).
    std::optional<uint64_t> sequence_of(std::string_view explicit_id) const;

    const HistoryStats& stats() const { return _stats; }

private:
    struct Log {
        std::string name;
        std::deque<Event*> events;  // ascending sequence
        uint64_t bytes = 0;
        uint64_t evicted = 0;  // highest sequence dropped from this channel
        Log* lru_prev = nullptr;  // least recently appended first
        Log* lru_next = nullptr;
    };
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    static uint64_t cost(const Event* e) { return sizeof(Event) + e->size(); }
    void drop_front(Log& log);
    void maybe_forget(Log& log);
    void lru_unlink(Log& log);
    void lru_push_back(Log& log);

    HistoryLimits _limits;
    std::unordered_map<std::string, Log, Hash, std::equal_to<>> _logs;
    std::unordered_map<std::string, uint64_t, Hash, std::equal_to<>> _explicit;
    Log* _lru_head = nullptr;
    Log* _lru_tail = nullptr;
    uint64_t _floor = 0;  // gaps of channels whose history was dropped entirely
    HistoryStats _stats;
};

}  // namespace ringcast

#pragma once
// The recent past of every channel, kept by the log shard for Last-Event-ID
// resume: a KeyedLog by channel (bounds and gap markers are
// explained there), plus the explicit ids publishers gave, so that a client
// whose last event carried a publisher's own id ("order-42") can resume from it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pubsub/event.h"
#include "pubsub/keyed_log.h"

namespace ringcast {

class History : private KeyedLogHooks {
public:
    explicit History(const KeyedLogLimits& limits, Journal* journal = nullptr);
    History(const History&) = delete;
    History& operator=(const History&) = delete;

    bool enabled() const { return _log.enabled(); }

    // Keeps a reference to `e` (numbered already) under its channel, unless
    // history is off or the event is past its age or ttl.
    void append(Event* e, int64_t now_wall_ms);
    // The same for an event loaded from the store (the journal is not told);
    // false if it was not kept.
    bool restore(Event* e, int64_t now_wall_ms);

    // Drops what is older than max_age and events whose ttl passed.
    void expire(int64_t now_wall_ms) { _log.expire(now_wall_ms); }

    struct Replay {
        std::vector<Event*> events;  // one reference each, for the caller to release
        bool gap = false;            // some event after `after` on these channels is gone
    };
    // Every kept event of `channels` with a sequence above `after`, except those
    // whose ttl has passed: in order within each channel, one channel after the
    // other (EventLog::answer orders everything it hands out once, with the
    // cache and mail).
    void replay(const std::vector<std::string>& channels, uint64_t after, int64_t now_wall_ms,
                Replay* out) const;

    // The sequence of the kept event a publisher gave this explicit id (the
    // latest, if reused).
    std::optional<uint64_t> sequence_of(std::string_view explicit_id) const;

    const KeyedLogStats& stats() const { return _log.stats(); }
    KeyedLog& log() { return _log; }

private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    void on_drop(const Event& e) override;  // forgets its explicit id
    void remember_explicit(const Event* e);

    KeyedLog _log;
    std::unordered_map<std::string, uint64_t, Hash, std::equal_to<>> _explicit;
};

}  // namespace ringcast

#pragma once
// The log shard's state: the one sequence that numbers every event, and the
// three keeps that outlive a delivery.
//
//   history    by channel: every event, bounded; Last-Event-ID resume
//   cache      by channel: `persistent` events, bounded; given to new streams
//   mailboxes  by user: `retryable` user-specific events that reached none of
//              the user's streams; given to the user's next stream on the channel
//
// All three are KeyedLogs (bounds, ttl, journal), told to the store through the
// Journal so that they survive a restart. Nothing expired is ever handed out.
//
// Mail is decided by delivery, not by a guess about who is online: every shard
// that received a retryable event reports which of its users it reached
// (retry_result); once all have, the users nobody reached get it in their
// mailbox. Until then the event is "pending" for those users, and a catch-up
// for one of them waits (answer() returns false) so that it cannot miss an
// event that is about to be mailed to it.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pubsub/catch_up.h"
#include "pubsub/event.h"
#include "pubsub/history.h"
#include "pubsub/journal.h"
#include "pubsub/keyed_log.h"
#include "pubsub/message.h"

namespace ringcast {

struct EventLogOptions {
    KeyedLogLimits history;
    KeyedLogLimits cache{100, 1 << 20, 86'400'000, 64ull << 20};
    KeyedLogLimits mailbox{100, 1 << 20, 86'400'000, 64ull << 20};
};

// Which target users (by their index in targetUsers) a shard reached.
using UserBits = std::vector<uint64_t>;
inline bool user_bit(const UserBits& bits, size_t i) {
    return i / 64 < bits.size() && (bits[i / 64] >> (i % 64)) & 1;
}
// Sets bit i of *bits, allocating it (sized for `users`) on the first one.
inline void set_user_bit(UserBits** bits, size_t users, size_t i) {
    if (!*bits) *bits = new UserBits((users + 63) / 64);
    (**bits)[i / 64] |= uint64_t(1) << (i % 64);
}

struct EventLogStats {
    uint64_t numbered = 0;
    uint64_t catch_ups = 0;       // questions answered
    uint64_t deferred = 0;        // of which waited for pending mail
    uint64_t invalidated = 0;     // cached events removed by invalidate
    uint64_t mailed = 0;          // events put in a mailbox (one per user)
    uint64_t mail_delivered = 0;  // handed to a stream from a mailbox
    uint64_t mail_returned = 0;   // handed out, but the stream had gone: kept again
};

class EventLog {
public:
    // `next_sequence` continues a restored numbering (1 for a new one).
    EventLog(const EventLogOptions& opts, std::string epoch, uint64_t next_sequence,
             Journal* journal);
    ~EventLog();
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    std::string_view epoch() const { return _epoch; }
    uint64_t last_sequence() const { return _next - 1; }
    bool cache_enabled() const { return _cache.enabled(); }

    // Numbers `e`, keeps it in history and, if persistent, in the cache.
    // Returns true when it is a retryable user-specific event whose delivery
    // must be reported (retry_result) to decide its mail.
    bool number(Event* e, int64_t now_wall_ms);
    // The same for an event the cluster numbered (Event::assign_sequence with
    // the cluster's epoch, cluster/cluster_bus.h): kept as number() keeps, and
    // the numbering continues after it.
    bool keep_numbered(Event* e, int64_t now_wall_ms);
    // A cluster's numbering replaces this one (a node joining, or a cluster
    // whose Redis lost its data): history and cache of the old numbering are
    // dropped (their ids mean nothing in the new one) and resumes from before
    // `floor` are told history-gap.
    void renumber(std::string epoch, uint64_t last_sequence, uint64_t floor);
    // Of a retryable event number() returned true for: how many shards will
    // report. With 0, the mail is decided now.
    void retry_awaiting(Event* e, unsigned shards, int64_t now_wall_ms);
    // One shard's report: bit i set if it reached targetUsers[i]. Returns the
    // catch-ups that waited for this event and can now be answered (answer()
    // them again).
    std::vector<CatchUp*> retry_result(Event* e, const UserBits& reached, int64_t now_wall_ms);

    // Answers a catch-up (catch_up.h), or returns false if it must wait for
    // pending mail of its user; it is then handed back by retry_result().
    bool answer(CatchUp& r, int64_t now_wall_ms);
    // Mail that was handed to a stream that went away: kept again, in order.
    void take_back(std::string_view user, const std::vector<Event*>& mail, int64_t now_wall_ms);

    // Removes cached events (message.h says which); returns how many.
    size_t invalidate(const CacheInvalidation& what);

    // Once a second: ages and ttls in every keep. Mail still undecided after
    // kMailDecisionMs (a shard that never reported: a bug) is decided with the
    // reports that came, and logged; the catch-ups that waited for it are
    // returned, to be answered.
    std::vector<CatchUp*> expire(int64_t now_wall_ms);
    static constexpr int64_t kMailDecisionMs = 10'000;

    // Restores an event from the store (in ascending sequence).
    void restore(Event* e, bool in_history, bool in_cache, const std::vector<std::string>& users,
                 int64_t now_wall_ms);
    History& history() { return _history; }
    // A reload: the keeps' new bounds, applied at once (KeyedLog::set_limits).
    void set_limits(const EventLogOptions& opts, int64_t now_wall_ms) {
        _history.log().set_limits(opts.history, now_wall_ms);
        _cache.set_limits(opts.cache, now_wall_ms);
        _mail.set_limits(opts.mailbox, now_wall_ms);
    }

    const EventLogStats& stats() const { return _stats; }
    const KeyedLogStats& history_stats() const { return _history.stats(); }
    const KeyedLogStats& cache_stats() const { return _cache.stats(); }
    const KeyedLogStats& mailbox_stats() const { return _mail.stats(); }
    size_t pending_mail() const { return _pending.size(); }

private:
    struct Pending {
        uint32_t awaiting = 0;
        UserBits reached;
        int64_t since_ms = 0;  // numbered at
    };
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    void resolve(Event* e, Pending& p, int64_t now_wall_ms, std::vector<CatchUp*>* ready);

    std::string _epoch;
    uint64_t _next;
    Journal* _journal;
    History _history;
    KeyedLog _cache;
    KeyedLog _mail;
    std::unordered_map<Event*, Pending> _pending;  // retryable events being decided
    // Per user: pending events not yet decided, and catch-ups waiting for them.
    std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> _pending_users;
    std::unordered_map<std::string, std::vector<CatchUp*>, Hash, std::equal_to<>> _waiting;
    EventLogStats _stats;
};

}  // namespace ringcast

#pragma once
// What the log shard keeps, told to durable storage.
//
// The log shard (pubsub/event_log.h) holds three keeps in memory: each channel's recent
// history (Last-Event-ID resume), the cache of persistent events (given to new
// streams) and the per-user mailboxes of retryable events (for users who were not
// connected). A Journal hears every change to them, so that an implementation
// (src/store: an SQLite file written by its own thread) can rebuild them after a
// restart. pubsub knows nothing of how or where they are stored.
//
// Calls come only from the log shard's thread, in the order things happen, and
// must never block it: an implementation queues what it hears and writes it
// elsewhere. An event can be in several keeps at once (history and cache, and the
// mailboxes of several users); storage keeps it while any keep holds it.
//
// Telling the same thing twice is harmless (kept() of an event already kept
// there, dropped() of one that is not): after a restart the log shard rebuilds
// its keeps from what the store loaded without telling it again, and reports
// with dropped() whatever it does not take back (its bounds changed, a ttl passed).
#include <cstdint>
#include <string_view>

namespace ringcast {

class Event;

enum class Keep : uint8_t { history, cache, mailbox };

class Journal {
public:
    virtual ~Journal() = default;

    // Every event the log numbers, kept or not: the high-water mark of the
    // numbering, so that a restart never hands out a sequence twice. Called with
    // increasing values. Cheap enough to call per event (a relaxed store).
    virtual void numbered(uint64_t sequence) = 0;

    // `e` (numbered, immutable) entered a keep; `user` names the mailbox and is
    // empty for the others. The implementation retains `e` if it needs its bytes
    // after this call returns.
    virtual void kept(Event* e, Keep where, std::string_view user) = 0;

    // `e` left that keep (evicted, expired, delivered from a mailbox).
    virtual void dropped(const Event& e, Keep where, std::string_view user) = 0;

    // `channel`'s history lost every event up to `sequence`: a resume from before
    // it must be told history-gap (History's per-channel `evicted`).
    virtual void history_evicted(std::string_view channel, uint64_t sequence) = 0;

    // Every channel lost everything up to `sequence` (History's floor, raised when
    // a channel's history is dropped entirely). Called with increasing values.
    virtual void history_floor(uint64_t sequence) = 0;

    // Once per turn of the log shard's loop; cheap when there is nothing to do
    // (hands records that waited on the log's side to the writer).
    virtual void poll() = 0;
};

}  // namespace ringcast

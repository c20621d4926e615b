#pragma once
// What the log shard keeps, told to durable storage (src/store implements it),
// so that history, the persistent cache and mailboxes survive a restart.
//
// Called only from the log shard's thread, in the order things happen.
// Implementations must never block: the log shard numbers every event of the
// daemon and cannot wait for a disk.
#include <cstdint>
#include <string_view>

namespace ringcast {

class Event;

// The log shard's keeps (pubsub/event_log.h).
enum class Keep : uint8_t { history, cache, mailbox };

class Journal {
public:
    virtual ~Journal() = default;
    // Every event the log numbers, kept or not: the sequence's high-water mark,
    // so that a restart never numbers an event with a sequence already used.
    virtual void numbered(uint64_t sequence) = 0;
    // `e` entered a keep (`user`: the mailbox's, else empty). An implementation
    // that needs the bytes after returning retains e.
    virtual void kept(Event* e, Keep where, std::string_view user) = 0;
    // `e` left that keep.
    virtual void dropped(const Event& e, Keep where, std::string_view user) = 0;
    // A channel's history lost events up to `sequence` (a resume from before it
    // is told history-gap).
    virtual void history_evicted(std::string_view channel, uint64_t sequence) = 0;
    // Every channel: history lost events up to `sequence`.
    virtual void history_floor(uint64_t sequence) = 0;
    // Once per loop turn of the log shard; cheap when there is nothing to do.
    virtual void poll() = 0;
};

}  // namespace ringcast

#pragma once
// What the store gives back at startup: everything the log shard needs to rebuild
// its keeps, read in one pass over the file.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pubsub/event.h"
#include "store/schema.h"
#include "store/sqlite.h"

namespace ringcast {

// Holds one reference to its event, released when it goes: a keep that takes the
// event retains it (History::append does), or the caller takes the reference
// itself with std::exchange(stored.event, nullptr).
struct StoredEvent {
    Event* event = nullptr;
    bool in_history = false;
    bool in_cache = false;
    std::vector<std::string> mailbox_users;

    StoredEvent() = default;
    StoredEvent(StoredEvent&& o) noexcept
        : event(std::exchange(o.event, nullptr))
        , in_history(o.in_history)
        , in_cache(o.in_cache)
        , mailbox_users(std::move(o.mailbox_users)) {}
    StoredEvent& operator=(StoredEvent&& o) noexcept {
        std::swap(event, o.event);
        in_history = o.in_history;
        in_cache = o.in_cache;
        mailbox_users = std::move(o.mailbox_users);
        return *this;
    }
    ~StoredEvent() {
        if (event) event->release();
    }
};

struct StoreSnapshot {
    bool fresh = true;  // no store existed (the file was created, or was empty)
    bool clean = true;  // the previous run closed it (false: it crashed or was killed)
    std::string epoch;  // "" when none was set
    uint64_t high = 0;  // highest sequence known numbered (committed)
    std::vector<StoredEvent> events;  // ascending sequence, one reference each
    std::vector<std::pair<std::string, uint64_t>> history_evicted;
    uint64_t history_floor = 0;
    // Rows whose record could not be decoded: left out, and logged.
    uint64_t unreadable = 0;
};

// Reads every table. False with a message naming `path` on an SQLite error (a
// damaged file); a single unreadable record only counts in `unreadable`.
bool load_snapshot(const sqlite::Db& db, const std::string& path, const StoreMeta& meta,
                   StoreSnapshot* out, std::string* error);

}  // namespace ringcast

#pragma once
// Where the log shard's numbering and keeps come from at startup: the store
// ([store]) opened, loaded and started, and the numbering it continues.
//
// A clean stop continues exactly: the same epoch, the next sequence. After a
// crash the store lags what was numbered by up to one flush interval, so the
// numbering jumps ahead (kCrashSkip) rather than hand out again sequences that
// clients may have seen, and the history floor is raised to just below the jump:
// a client resuming from before the crash is told history-gap, then gets what
// is kept, instead of silently missing what was lost.
#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "store/event_store.h"
#include "store/snapshot.h"

namespace ringcast {

struct Durability {
    std::unique_ptr<EventStore> store;  // nullptr: store.path = "" (nothing survives)
    StoreSnapshot snapshot;             // for the log shard to rebuild its keeps
    std::string epoch;
    uint64_t next_sequence = 1;
    uint64_t floor = 0;  // history floor to restore (raised after a crash)
};

// Sequences skipped after a crash: far more than one flush interval can number.
inline constexpr uint64_t kCrashSkip = uint64_t(1) << 32;

// Opens, loads and starts the store, logging what it found. False with *error
// (naming the file and what to do) if it cannot be used.
bool open_durability(const Config& cfg, int64_t now_wall_ms, Durability* out, std::string* error);

}  // namespace ringcast

#pragma once
// The store's file: opening it, checking it is ours, creating its tables.
//
// The tables (version 1, PRAGMA user_version; PRAGMA application_id marks the
// file as a ringcast store):
//
//   events(seq INTEGER PRIMARY KEY, keeps INTEGER, record BLOB)
//       One row per event that some keep holds, keyed by its sequence (SQLite's
//       rowid: the table is a B-tree in sequence order, which is the order the
//       log rebuilds in and the order rows arrive, so inserts append). `keeps`:
//       1 = in its channel's history, 2 = in the persistent cache (sequences are
//       stored as SQLite's signed integers: below 2^63). `record`: the
//       whole event (pubsub/event_record.h) — channel, flags, target and wire
//       bytes; nothing queries inside it, so nothing else is a column.
//   mailbox(seq, user, PRIMARY KEY(seq, user)) WITHOUT ROWID
//       The users whose offline mailbox holds an event. Keyed by sequence first:
//       the writer asks "does any mailbox still hold seq?" when a keep lets go,
//       and loading walks it in step with `events`. Which events one user has
//       is the log shard's question, answered in memory.
//   channel_evicted(channel PRIMARY KEY, seq) WITHOUT ROWID
//       The highest sequence each channel's history lost. Rows at or below the
//       floor say nothing the floor does not, and are deleted when it rises, so
//       channels that come and go do not grow the table.
//   meta(key PRIMARY KEY, value) WITHOUT ROWID
//       epoch (the numbering's name), high (highest sequence numbered),
//       floor (every channel lost up to it), clean (1: the last run closed it).
//
// A row lives while a keep holds it; the keeps are bounded in memory by the log
// shard, so the tables are too. The file is created with auto_vacuum =
// INCREMENTAL: pages freed by deletes go to a freelist, and the writer gives them
// back to the file system in steps when the freelist grows large (writer.cc).
#include <cstdint>
#include <string>

#include "store/lock_file.h"
#include "store/sqlite.h"
#include "store/store_options.h"

namespace ringcast {

inline constexpr int kStoreSchemaVersion = 1;
// "rcst": what `PRAGMA application_id` says in every ringcast store.
inline constexpr int32_t kStoreApplicationId = 0x72637374;

inline constexpr uint64_t kKeepHistoryBit = 1;
inline constexpr uint64_t kKeepCacheBit = 2;

// What the file said when it was opened.
struct StoreMeta {
    bool fresh = true;  // created (or found empty) by this open
    bool clean = true;  // the previous run closed it
    std::string epoch;  // "" until set
    uint64_t high = 0;
    uint64_t floor = 0;
};

// Takes the store's lock (lock_file.h), opens or creates o.path in WAL mode and
// reads its meta. On failure *error names the path, says what is wrong and what
// to do. The lock must outlive the connection.
bool open_store_file(const StoreOptions& o, sqlite::Db* db, LockFile* lock, StoreMeta* meta,
                     std::string* error);

}  // namespace ringcast

#pragma once
// The writer's work: records from the queue into the file, one transaction per
// turn.
//
// A turn drains the ring, applies every pending record with prepared statements,
// writes the high-water mark and the history floor in the same transaction,
// commits, and only then releases the event references the records held. A
// failed transaction (disk full, I/O error) is rolled back and the same records
// are applied again at the next turn; each kind of failure is logged once until
// commits succeed again. Pending records are bounded: beyond max_pending the
// oldest are given up (released, counted, logged once per episode), and the
// history floor rises to the numbering's high-water mark, so that a resume from
// before it is told history-gap rather than silently missing what was lost.
//
// Runs on the writer thread while the store runs, and on the main thread for the
// last turn in close().
#include <chrono>
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <unordered_set>

#include "store/record_queue.h"
#include "store/schema.h"
#include "store/sqlite.h"
#include "store/store_options.h"
#include "store/store_stats.h"

namespace ringcast {

class StoreWriter {
public:
    StoreWriter(sqlite::Db& db, RecordQueue& queue, const StoreOptions& o, const StoreMeta& meta,
                StoreCounters& counters);
    ~StoreWriter();  // frees records never committed
    StoreWriter(const StoreWriter&) = delete;
    StoreWriter& operator=(const StoreWriter&) = delete;

    bool prepare(std::string* error);

    // Commits clean = 0 (and the epoch, if set_epoch() gave one, and the
    // numbering's start, if set_start() moved it): from now on a crash is
    // recognised at the next open, and the next start numbers above `high`.
    bool mark_running(std::string* error);
    void set_epoch(std::string epoch) { _epoch = std::move(epoch); }
    // The run numbers from high + 1 with the history floor at `floor`: written
    // with mark_running()'s commit, before any of those numbers is handed out.
    void set_start(uint64_t high, uint64_t floor) {
        _start_high = high;
        _start_floor = floor;
    }

    // One turn. `last`: the log shard has stopped; take what waited on its side
    // too, and (if mark_running() made it not clean) mark the store clean in the
    // same commit. False if the commit failed.
    bool turn(bool last);

    // Gives freed pages back when the freelist is large; at most once a second.
    void maybe_vacuum();

    size_t pending() const { return _pending.size(); }

private:
    void bound_pending();
    bool apply(const StoreRecord& r);
    bool kept(const StoreRecord& r);
    bool dropped(const StoreRecord& r);
    bool set_meta(const char* key, uint64_t value);
    bool set_meta(const char* key, std::string_view value);
    void failed(const char* doing);
    void committed(size_t records, std::chrono::steady_clock::time_point started);
    void note_given_up();
    void update_size();

    sqlite::Db& _db;
    RecordQueue& _queue;
    StoreOptions _o;
    StoreCounters& _counters;

    std::deque<StoreRecord> _pending;
    std::string _scratch;  // one encoded record at a time
    // Rows written in the current transaction: a second keep (or mailbox) of the
    // same event updates the row instead of encoding the event again.
    std::unordered_set<uint64_t> _rows;
    uint64_t _high;             // committed
    uint64_t _floor;            // committed
    uint64_t _lost_high = 0;    // records this side gave up: floor at least this
    std::string _epoch;         // to write at mark_running; "" = keep
    uint64_t _start_high = 0;   // to write at mark_running when above _high
    uint64_t _start_floor = 0;  // to write at mark_running when above _floor
    bool _running = false;      // mark_running() committed: the store says not clean

    // Logging once: kinds of failure seen since the last good commit, and the
    // given-up episode.
    std::set<int> _failures_logged;
    uint64_t _failed_in_a_row = 0;
    uint64_t _given_up_seen = 0;
    bool _giving_up = false;
    std::chrono::steady_clock::time_point _next_vacuum{};

    sqlite::Statement _begin, _commit, _rollback, _upsert_event, _set_keep, _clear_keep,
        _add_mailbox, _remove_mailbox, _delete_unheld, _evicted, _forget_evicted, _set_meta;
};

}  // namespace ringcast

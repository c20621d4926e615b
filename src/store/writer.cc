#include "store/writer.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "pubsub/event_record.h"

namespace ringcast {

namespace {

uint64_t keep_bit(Keep k) {
    switch (k) {
        case Keep::history: return kKeepHistoryBit;
        case Keep::cache: return kKeepCacheBit;
        case Keep::mailbox: return 0;  // held by a mailbox row instead
    }
    return 0;
}

// Freelist pages before giving any back (4 MiB of 4 KiB pages), and how many at
// most per step, so that one step stays a short transaction.
constexpr int64_t kVacuumMinFree = 1024;
constexpr int64_t kVacuumStep = 4096;

}  // namespace

StoreWriter::StoreWriter(sqlite::Db& db, RecordQueue& queue, const StoreOptions& o,
                         const StoreMeta& meta, StoreCounters& counters)
    : _db(db), _queue(queue), _o(o), _counters(counters), _high(meta.high), _floor(meta.floor) {
    update_size();
}

StoreWriter::~StoreWriter() {
    for (StoreRecord& r : _pending)
        free_record(r);
}

bool StoreWriter::prepare(std::string* error) {
    struct {
        sqlite::Statement* s;
        const char* sql;
    } all[] = {
        {&_begin, "BEGIN"},
        {&_commit, "COMMIT"},
        {&_rollback, "ROLLBACK"},
        // The first keep writes the row; later keeps only add their bit.
        {&_upsert_event,
         "INSERT INTO events(seq, keeps, record) VALUES(?1, ?2, ?3) "
         "ON CONFLICT(seq) DO UPDATE SET keeps = keeps | ?2"},
        {&_set_keep, "UPDATE events SET keeps = keeps | ?2 WHERE seq = ?1"},
        {&_clear_keep, "UPDATE events SET keeps = keeps & ~?2 WHERE seq = ?1"},
        {&_add_mailbox, "INSERT OR IGNORE INTO mailbox(seq, user) VALUES(?1, ?2)"},
        {&_remove_mailbox, "DELETE FROM mailbox WHERE seq = ?1 AND user = ?2"},
        // A row goes when, without the keep letting go (?2), neither a keep bit
        // nor a mailbox holds it: most drops are this one statement.
        {&_delete_unheld,
         "DELETE FROM events WHERE seq = ?1 AND (keeps & ~?2) = 0 "
         "AND NOT EXISTS (SELECT 1 FROM mailbox WHERE seq = ?1)"},
        {&_evicted,
         "INSERT INTO channel_evicted(channel, seq) VALUES(?1, ?2) "
         "ON CONFLICT(channel) DO UPDATE SET seq = max(seq, excluded.seq)"},
        {&_forget_evicted, "DELETE FROM channel_evicted WHERE seq <= ?1"},
        {&_set_meta,
         "INSERT INTO meta(key, value) VALUES(?1, ?2) "
         "ON CONFLICT(key) DO UPDATE SET value = excluded.value"},
    };
    for (auto& [s, sql] : all) {
        if (s->prepare(_db, sql) != SQLITE_OK) {
            *error =
                fmt::format("store {}: preparing statements failed: {}", _o.path, _db.message());
            return false;
        }
    }
    return true;
}

bool StoreWriter::set_meta(const char* key, uint64_t value) {
    _set_meta.bind_text(1, key);
    _set_meta.bind(2, value);
    return _set_meta.run() == SQLITE_DONE;
}

bool StoreWriter::set_meta(const char* key, std::string_view value) {
    _set_meta.bind_text(1, key);
    _set_meta.bind_text(2, value);
    return _set_meta.run() == SQLITE_DONE;
}

bool StoreWriter::mark_running(std::string* error) {
    const uint64_t high = std::max(_high, _start_high);
    const uint64_t floor = std::max(_floor, _start_floor);
    bool ok = _begin.run() == SQLITE_DONE && set_meta("clean", uint64_t(0)) &&
              (_epoch.empty() || set_meta("epoch", _epoch)) &&
              (high == _high || set_meta("high", high)) &&
              (floor == _floor || set_meta("floor", floor)) && _commit.run() == SQLITE_DONE;
    if (!ok) {
        *error = fmt::format("store {}: cannot write to it: {}", _o.path, _db.message());
        _rollback.run();
        return false;
    }
    _high = high;
    _floor = floor;
    _running = true;
    return true;
}

bool StoreWriter::kept(const StoreRecord& r) {
    const uint64_t bit = keep_bit(r.keep);
    if (_rows.contains(r.sequence)) {
        if (bit) {
            _set_keep.bind(1, r.sequence);
            _set_keep.bind(2, bit);
            if (_set_keep.run() != SQLITE_DONE) return false;
        }
    } else {
        _scratch.clear();
        encode_event(*r.event, &_scratch);
        _upsert_event.bind(1, r.sequence);
        _upsert_event.bind(2, bit);
        _upsert_event.bind_blob(3, _scratch);
        if (_upsert_event.run() != SQLITE_DONE) return false;
        _rows.insert(r.sequence);
    }
    if (r.keep != Keep::mailbox) return true;
    _add_mailbox.bind(1, r.sequence);
    _add_mailbox.bind_text(2, r.text());
    return _add_mailbox.run() == SQLITE_DONE;
}

bool StoreWriter::dropped(const StoreRecord& r) {
    const uint64_t bit = keep_bit(r.keep);
    if (r.keep == Keep::mailbox) {
        _remove_mailbox.bind(1, r.sequence);
        _remove_mailbox.bind_text(2, r.text());
        if (_remove_mailbox.run() != SQLITE_DONE) return false;
    }
    _delete_unheld.bind(1, r.sequence);
    _delete_unheld.bind(2, bit);
    if (_delete_unheld.run() != SQLITE_DONE) return false;
    if (sqlite3_changes(_db.get()) > 0) {
        _rows.erase(r.sequence);
        return true;
    }
    if (!bit) return true;
    // Something else still holds the row (or there is none): clear this keep's bit.
    _clear_keep.bind(1, r.sequence);
    _clear_keep.bind(2, bit);
    return _clear_keep.run() == SQLITE_DONE;
}

bool StoreWriter::apply(const StoreRecord& r) {
    switch (r.kind) {
        case StoreRecord::Kind::kept: return kept(r);
        case StoreRecord::Kind::dropped: return dropped(r);
        case StoreRecord::Kind::evicted:
            // At or below the floor it says nothing the floor does not.
            if (r.sequence <= _floor) return true;
            _evicted.bind_text(1, r.text());
            _evicted.bind(2, r.sequence);
            return _evicted.run() == SQLITE_DONE;
    }
    return true;
}

// Oldest first: the newest records say the most about what the keeps hold now.
void StoreWriter::bound_pending() {
    if (_pending.size() <= _o.max_pending) return;
    const size_t excess = _pending.size() - _o.max_pending;
    for (size_t i = 0; i < excess; ++i) {
        free_record(_pending.front());
        _pending.pop_front();
    }
    StoreCounters::add(_counters.given_up, excess);
    _lost_high = std::max(_lost_high, _queue.high());
}

void StoreWriter::note_given_up() {
    const uint64_t total = _counters.given_up.load(std::memory_order_relaxed) + _queue.given_up();
    if (total > _given_up_seen && !_giving_up) {
        _giving_up = true;
        spdlog::warn(
            "store {}: more than store.max_pending = {} records wait for the disk; giving up the "
            "oldest (connected clients are not affected; after a restart, resumes from before "
            "now are told history-gap)",
            _o.path, _o.max_pending);
    }
    _given_up_seen = total;
}

void StoreWriter::failed(const char* doing) {
    const int rc = sqlite3_extended_errcode(_db.get());
    const std::string why = _db.message();
    _rollback.run();
    StoreCounters::add(_counters.failed_commits, 1);
    if (_failed_in_a_row++ == 0)
        _counters.failing_since_ms.store(wall_ms(), std::memory_order_relaxed);
    if (_failures_logged.insert(rc & 0xff).second)
        spdlog::error(
            "store {}: {} failed: {} (SQLite error {}); keeping {} records and retrying every "
            "{} ms (connected clients are not affected)",
            _o.path, doing, why, rc, _pending.size(), _o.flush_interval_ms);
}

void StoreWriter::committed(size_t records, std::chrono::steady_clock::time_point started) {
    for (StoreRecord& r : _pending)
        free_record(r);
    _pending.clear();
    auto took = std::chrono::steady_clock::now() - started;
    const uint64_t took_us =
        uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
    _counters.last_commit_us.store(took_us, std::memory_order_relaxed);
    _counters.failing_since_ms.store(0, std::memory_order_relaxed);
    LatencyHistogram one;  // the bucket this commit falls in
    one.observe_us(took_us);
    for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i)
        if (one.bucket(i)) StoreCounters::add(_counters.commit_buckets[i], 1);
    StoreCounters::add(_counters.commit_sum_us, took_us);
    _counters.last_commit_ms.store(wall_ms(), std::memory_order_relaxed);
    update_size();
    StoreCounters::add(_counters.commits, 1);
    // Last, with release: whoever sees these records written (stats() loads it
    // with acquire) sees everything above, the events released included.
    StoreCounters::add(_counters.written, records, std::memory_order_release);
    const uint64_t given_up =
        _counters.given_up.load(std::memory_order_relaxed) + _queue.given_up();
    if (_giving_up && given_up == _given_up_seen) {
        _giving_up = false;
        spdlog::info("store {}: the writer keeps up again; {} records were given up in all",
                     _o.path, given_up);
    }
    if (_failed_in_a_row) {
        spdlog::info("store {}: commits succeed again after {} failed", _o.path, _failed_in_a_row);
        _failed_in_a_row = 0;
        _failures_logged.clear();
    }
}

bool StoreWriter::turn(bool last) {
    if (last) {
        _queue.take_all(&_pending);
    } else {
        _queue.drain(&_pending);
    }
    if (!last) bound_pending();  // at close, memory is no longer the worry: write it all
    note_given_up();
    // Read after draining: at least as new as every record drained (record_queue.h).
    const uint64_t high = std::max(_high, _queue.high());
    const uint64_t floor = std::max({_floor, _queue.floor(), _queue.lost_high(), _lost_high});
    if (_pending.empty() && high == _high && floor == _floor && !(last && _running)) return true;

    const auto started = std::chrono::steady_clock::now();
    // Busy time, whatever the outcome.
    struct Busy {
        std::chrono::steady_clock::time_point started;
        std::atomic<uint64_t>& total;
        ~Busy() {
            auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - started);
            StoreCounters::add(total, uint64_t(us.count()));
        }
    } busy{started, _counters.busy_us};
    _rows.clear();
    if (_begin.run() != SQLITE_DONE) {
        failed("beginning a transaction");
        return false;
    }
    const uint64_t old_floor = _floor;
    _floor = floor;  // evicted records at or below it are skipped in apply()
    bool ok = true;
    for (const StoreRecord& r : _pending)
        if (!(ok = apply(r))) break;
    if (ok && high != _high) ok = set_meta("high", high);
    if (ok && floor != old_floor) {
        ok = set_meta("floor", floor);
        _forget_evicted.bind(1, floor);
        ok = ok && _forget_evicted.run() == SQLITE_DONE;
    }
    // Only a run marks the store clean: opening and closing a store that a crash
    // left unclean must not hide the crash from the next run.
    if (ok && last && _running) ok = set_meta("clean", uint64_t(1));
    if (!ok) {
        _floor = old_floor;
        failed("writing");
        return false;
    }
    if (_commit.run() != SQLITE_DONE) {
        _floor = old_floor;
        failed("committing");
        return false;
    }
    _high = high;
    committed(_pending.size(), started);
    return true;
}

void StoreWriter::update_size() {
    const int64_t pages = _db.pragma_int("PRAGMA page_count", 0);
    const int64_t size = _db.pragma_int("PRAGMA page_size", 4096);
    _counters.database_bytes.store(uint64_t(pages * size), std::memory_order_relaxed);
}

void StoreWriter::maybe_vacuum() {
    const auto now = std::chrono::steady_clock::now();
    if (now < _next_vacuum) return;
    _next_vacuum = now + std::chrono::seconds(1);
    const int64_t free_pages = _db.pragma_int("PRAGMA freelist_count", 0);
    const int64_t pages = _db.pragma_int("PRAGMA page_count", 0);
    // Large means both many pages and a quarter of the file: deletes that the
    // next inserts will reuse anyway are left alone.
    if (free_pages >= kVacuumMinFree && free_pages * 4 >= pages) {
        std::string sql =
            fmt::format("PRAGMA incremental_vacuum({})", std::min(free_pages, kVacuumStep));
        if (_db.exec(sql.c_str()) != SQLITE_OK)
            spdlog::debug("store {}: incremental_vacuum: {}", _o.path, _db.message());
    }
    update_size();
}

}  // namespace ringcast

#include "store/event_store.h"

#include <pthread.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace ringcast {

std::unique_ptr<EventStore> EventStore::open(const StoreOptions& o, std::string* error) {
    LockFile lock;
    sqlite::Db db;
    StoreMeta meta;
    if (!open_store_file(o, &db, &lock, &meta, error)) return nullptr;
    std::unique_ptr<EventStore> store(new EventStore(o, std::move(lock), std::move(db), meta));
    if (!store->_writer.prepare(error)) {
        store->_closed = true;  // nothing to write: do not mark anything clean
        return nullptr;
    }
    return store;
}

EventStore::EventStore(const StoreOptions& o, LockFile lock, sqlite::Db db, const StoreMeta& meta)
    : _o(o)
    , _lock(std::move(lock))
    , _db(std::move(db))
    , _meta(meta)
    , _queue(o.ring_capacity, o.max_pending)
    , _writer(_db, _queue, _o, _meta, _counters) {}

EventStore::~EventStore() {
    close();
}

bool EventStore::load(StoreSnapshot* out, std::string* error) {
    return load_snapshot(_db, _o.path, _meta, out, error);
}

bool EventStore::start(std::string* error) {
    if (_thread.joinable() || _closed) {
        *error = fmt::format("store {}: start() after start() or close()", _o.path);
        return false;
    }
    if (!_writer.mark_running(error)) return false;
    _thread = std::thread([this] { run(); });
    return true;
}

// Wakes on its own clock; nothing the log shard does wakes it (no syscall on the
// publish path). close() is the only one to notify.
void EventStore::run() {
    pthread_setname_np(pthread_self(), "ringcast-store");
    const auto interval = std::chrono::milliseconds(_o.flush_interval_ms);
    auto next = std::chrono::steady_clock::now() + interval;
    std::unique_lock lock(_mutex);
    while (!_stop) {
        _wake.wait_until(lock, next, [this] { return _stop; });
        if (_stop) break;
        lock.unlock();
        _writer.turn(false);
        _writer.maybe_vacuum();
        // A turn that took longer than the interval is not followed by a burst of
        // turns catching up: the next one simply starts one interval from now.
        next = std::max(next + interval, std::chrono::steady_clock::now());
        lock.lock();
    }
}

void EventStore::close() {
    if (_closed) return;
    _closed = true;
    if (_thread.joinable()) {
        {
            std::lock_guard lock(_mutex);
            _stop = true;
        }
        _wake.notify_one();
        _thread.join();
    }
    // The writer thread is gone and the log shard has stopped: this thread owns
    // both sides now. One last turn takes everything and marks the store clean.
    if (!_writer.turn(true))
        spdlog::error(
            "store {}: the last records could not be written; the next start will see "
            "the store as not closed cleanly",
            _o.path);
    if (_db.exec("PRAGMA wal_checkpoint(TRUNCATE)") != SQLITE_OK)
        spdlog::warn("store {}: checkpoint at close failed: {}", _o.path, _db.message());
    _writer.maybe_vacuum();
    _db.close();
}

StoreStats EventStore::stats() const {
    StoreStats s;
    auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    s.records_written = _counters.written.load(std::memory_order_acquire);  // first: see writer.cc
    s.commits = get(_counters.commits);
    s.failed_commits = get(_counters.failed_commits);
    s.given_up = get(_counters.given_up) + _queue.given_up();
    // Read what leaves before what enters, so that a record in between is
    // counted as pending rather than making the difference negative.
    const uint64_t left = s.records_written + s.given_up;
    const uint64_t entered = _queue.pushed();
    s.pending = entered > left ? entered - left : 0;
    s.waiting = _queue.waiting();
    s.last_commit_ms = _counters.last_commit_ms.load(std::memory_order_relaxed);
    s.last_commit_us = get(_counters.last_commit_us);
    s.busy_us = get(_counters.busy_us);
    s.database_bytes = get(_counters.database_bytes);
    s.failing_since_ms = _counters.failing_since_ms.load(std::memory_order_relaxed);
    for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i)
        s.commit_latency.set(i, get(_counters.commit_buckets[i]));
    s.commit_latency.set_sum_us(get(_counters.commit_sum_us));
    return s;
}

}  // namespace ringcast

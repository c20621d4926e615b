#pragma once
// Durable storage of the log shard's keeps: an SQLite file behind the Journal,
// written by a thread of its own.
//
// Life of a store, in the daemon's order:
//   open()      main thread, before the shards start: creates or checks the file,
//               takes the exclusive lock (one daemon per store);
//   load()      main thread: what the keeps held, to rebuild them;
//   set_epoch() main thread, for a store that has none yet;
//   set_start() main thread: where this run's numbering starts;
//   start()     marks the store running (not clean), with the epoch and the
//               start in the same commit, and starts the writer thread;
//   Journal     the log shard's thread only, never blocking (record_queue.h);
//   close()     main thread, once the shards have stopped: writes everything that
//               is left, marks the store clean, checkpoints the WAL, joins.
// stats() may be called from any thread at any time.
//
// A crash (or a kill) loses what was not committed yet: at most about one flush
// interval of records, and the store is found not clean at the next open.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pubsub/journal.h"
#include "store/record_queue.h"
#include "store/schema.h"
#include "store/snapshot.h"
#include "store/sqlite.h"
#include "store/store_options.h"
#include "store/store_stats.h"
#include "store/writer.h"

namespace ringcast {

class EventStore final : public Journal {
public:
    // nullptr with a message naming the path and what to do: a file that is not
    // a store, a newer schema, an unwritable directory, a store in use.
    static std::unique_ptr<EventStore> open(const StoreOptions& o, std::string* error);
    ~EventStore() override;  // close()s if that was not done
    EventStore(const EventStore&) = delete;
    EventStore& operator=(const EventStore&) = delete;

    // Everything the store holds (snapshot.h). False if the file cannot be read
    // (damaged): the daemon should refuse to start rather than start empty.
    bool load(StoreSnapshot* out, std::string* error);
    // The numbering's name, written with start()'s commit.
    void set_epoch(std::string epoch) { _writer.set_epoch(std::move(epoch)); }
    // This run numbers from high + 1, with the history floor at `floor`; both
    // are durable once start() returns, before the first number is handed out,
    // so that no crash, however soon, lets a later run number from below them.
    void set_start(uint64_t high, uint64_t floor) { _writer.set_start(high, floor); }
    // False if the store cannot be written (the first commit failed).
    bool start(std::string* error);
    void close();

    StoreStats stats() const;
    const std::string& path() const { return _o.path; }

    // --- Journal: the log shard's thread -------------------------------------
    void numbered(uint64_t sequence) override { _queue.set_high(sequence); }
    void kept(Event* e, Keep where, std::string_view user) override {
        _queue.push(make_record(StoreRecord::Kind::kept, where, e->sequence(), e,
                                where == Keep::mailbox ? user : std::string_view()));
    }
    void dropped(const Event& e, Keep where, std::string_view user) override {
        _queue.push(make_record(StoreRecord::Kind::dropped, where, e.sequence(), nullptr,
                                where == Keep::mailbox ? user : std::string_view()));
    }
    void history_evicted(std::string_view channel, uint64_t sequence) override {
        _queue.push(
            make_record(StoreRecord::Kind::evicted, Keep::history, sequence, nullptr, channel));
    }
    void history_floor(uint64_t sequence) override { _queue.set_floor(sequence); }
    void poll() override { _queue.poll(); }

private:
    EventStore(const StoreOptions& o, LockFile lock, sqlite::Db db, const StoreMeta& meta);
    void run();

    StoreOptions _o;
    LockFile _lock;  // released after the connection closes (declared first)
    sqlite::Db _db;
    StoreMeta _meta;
    RecordQueue _queue;
    StoreCounters _counters;
    StoreWriter _writer;

    std::thread _thread;
    std::mutex _mutex;
    std::condition_variable _wake;
    bool _stop = false;  // under _mutex
    bool _closed = false;
};

}  // namespace ringcast

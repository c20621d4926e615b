#pragma once
// One daemon per store: an exclusive flock(2) on "<store>.lock", held for as long
// as the store is open.
//
// A lock file rather than SQLite's locking_mode = EXCLUSIVE, which would keep
// every other process out of the database file, readers included: with the lock
// beside it, `sqlite3 ringcast.db .backup ...` and read-only queries work while
// the daemon runs (WAL lets readers and the writer proceed together), and only a
// second daemon is refused. The kernel drops the lock when the process dies, so
// a crash never leaves a stale lock behind; the file itself stays (deleting it
// would let two daemons lock two different files of the same name).
#include <string>

namespace ringcast {

class LockFile {
public:
    LockFile() = default;
    LockFile(LockFile&& o) noexcept : _fd(o._fd) { o._fd = -1; }
    LockFile& operator=(LockFile&& o) noexcept;
    ~LockFile();

    // False with a message naming the store and the lock file when another
    // process holds it (or it cannot be created).
    bool lock(const std::string& store_path, std::string* error);
    bool held() const { return _fd >= 0; }

private:
    int _fd = -1;
};

}  // namespace ringcast

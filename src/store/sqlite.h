#pragma once
// The little of SQLite's C API the store uses, with ownership: a connection that
// closes itself and prepared statements that reset after each use.
//
// A connection is used by one thread at a time (opened with SQLITE_OPEN_NOMUTEX):
// the main thread while the store opens and loads, the writer thread while it
// runs, the main thread again to close. The hand-overs are thread start and join.
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::sqlite {

class Db {
public:
    Db() = default;
    explicit Db(sqlite3* db) : _db(db) {}
    Db(Db&& o) noexcept : _db(o._db) { o._db = nullptr; }
    Db& operator=(Db&& o) noexcept {
        std::swap(_db, o._db);
        return *this;
    }
    ~Db() { close(); }
    void close() {
        if (_db) sqlite3_close_v2(_db);
        _db = nullptr;
    }
    sqlite3* get() const { return _db; }
    explicit operator bool() const { return _db != nullptr; }

    // Runs statements that return no rows we want. SQLITE_OK or the error code.
    int exec(const char* sql) const { return sqlite3_exec(_db, sql, nullptr, nullptr, nullptr); }
    // The error of the last failed call on this connection.
    std::string message() const { return sqlite3_errmsg(_db); }
    // A pragma's single integer answer, or `fallback` when it fails.
    int64_t pragma_int(const char* sql, int64_t fallback = -1) const;

private:
    sqlite3* _db = nullptr;
};

// A prepared statement. Binds are 1-based like SQLite's; step() returns
// SQLITE_ROW, SQLITE_DONE or an error; done() resets and clears the bindings so
// the next use starts clean.
class Statement {
public:
    Statement() = default;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&& o) noexcept : _stmt(o._stmt) { o._stmt = nullptr; }
    ~Statement() { sqlite3_finalize(_stmt); }

    // SQLITE_OK or the error (the connection's message says more).
    int prepare(const Db& db, std::string_view sql);
    explicit operator bool() const { return _stmt != nullptr; }

    void bind(int i, int64_t v) { sqlite3_bind_int64(_stmt, i, v); }
    void bind(int i, uint64_t v) { sqlite3_bind_int64(_stmt, i, int64_t(v)); }
    // The bytes must stay valid until done() (SQLITE_STATIC: no copy).
    void bind_text(int i, std::string_view s) {
        sqlite3_bind_text(_stmt, i, s.data(), int(s.size()), SQLITE_STATIC);
    }
    void bind_blob(int i, std::string_view s) {
        sqlite3_bind_blob(_stmt, i, s.data(), int(s.size()), SQLITE_STATIC);
    }

    int step() { return sqlite3_step(_stmt); }
    // Steps once and resets: for statements that return no rows.
    int run() {
        int rc = step();
        done();
        return rc == SQLITE_ROW ? SQLITE_DONE : rc;
    }
    void done() {
        sqlite3_reset(_stmt);
        sqlite3_clear_bindings(_stmt);
    }

    int64_t column_int(int i) const { return sqlite3_column_int64(_stmt, i); }
    std::string_view column_text(int i) const {
        const char* p = reinterpret_cast<const char*>(sqlite3_column_text(_stmt, i));
        return p ? std::string_view(p, size_t(sqlite3_column_bytes(_stmt, i))) : std::string_view();
    }
    std::string_view column_blob(int i) const {
        const char* p = static_cast<const char*>(sqlite3_column_blob(_stmt, i));
        return p ? std::string_view(p, size_t(sqlite3_column_bytes(_stmt, i))) : std::string_view();
    }

private:
    sqlite3_stmt* _stmt = nullptr;
};

}  // namespace ringcast::sqlite

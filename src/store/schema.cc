#include "store/schema.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace ringcast {

namespace {

constexpr const char* kCreateTables = R"(
CREATE TABLE events(seq INTEGER PRIMARY KEY, keeps INTEGER NOT NULL, record BLOB NOT NULL);
CREATE TABLE mailbox(seq INTEGER NOT NULL, user TEXT NOT NULL, PRIMARY KEY(seq, user)) WITHOUT ROWID;
CREATE TABLE channel_evicted(channel TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES('high', 0), ('floor', 0), ('clean', 1);
)";

bool fail(std::string* error, std::string message) {
    *error = std::move(message);
    return false;
}

// Something other than a daemon (which the lock file keeps out) holds SQLite's
// write lock: an sqlite3 shell in the middle of a transaction, say.
std::string busy_message(const std::string& path) {
    return fmt::format(
        "store {} is locked by another process writing to it (an sqlite3 shell in a "
        "transaction?): end that transaction or stop that process",
        path);
}

// An SQLite failure while opening, in the operator's terms.
std::string open_error(const std::string& path, const sqlite::Db& db, int rc, const char* doing) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED: return busy_message(path);
        case SQLITE_NOTADB:
            return fmt::format(
                "store {} is not a ringcast store (the file is not an SQLite database): move it "
                "away, or set store.path to another file",
                path);
        case SQLITE_CORRUPT:
            return fmt::format(
                "store {} is damaged ({}): move it away to start with an empty store (what it "
                "kept is then lost), or restore a backup",
                path, db.message());
        case SQLITE_FULL:
            return fmt::format("store {}: the disk is full while {} ({})", path, doing,
                               db.message());
        default: return fmt::format("store {}: {} failed: {}", path, doing, db.message());
    }
}

// Checks what the operator can fix before SQLite gives a vaguer answer.
bool check_place(const std::string& path, std::string* error) {
    std::filesystem::path p(path);
    std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(error, fmt::format("store {}: directory {} does not exist; create it or set "
                                       "store.path",
                                       path, dir));
    if (access(dir.c_str(), W_OK | X_OK) != 0)
        return fail(error,
                    fmt::format("store {}: cannot write in directory {} ({}): the daemon's user "
                                "needs write access there (SQLite keeps a -wal file beside the "
                                "store), or set store.path to a writable place",
                                path, dir, std::strerror(errno)));
    if (stat(path.c_str(), &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return fail(error, fmt::format("store {} is not a regular file: set store.path to a "
                                           "file",
                                           path));
        if (access(path.c_str(), R_OK | W_OK) != 0)
            return fail(error, fmt::format("store {} cannot be read and written ({}): give the "
                                           "daemon's user access to it",
                                           path, std::strerror(errno)));
    }
    return true;
}

bool read_meta(const sqlite::Db& db, StoreMeta* meta) {
    sqlite::Statement s;
    if (s.prepare(db, "SELECT key, value FROM meta") != SQLITE_OK) return false;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        std::string_view key = s.column_text(0);
        if (key == "epoch") meta->epoch = std::string(s.column_text(1));
        if (key == "high") meta->high = uint64_t(s.column_int(1));
        if (key == "floor") meta->floor = uint64_t(s.column_int(1));
        if (key == "clean") meta->clean = s.column_int(1) != 0;
    }
    s.done();
    return rc == SQLITE_DONE;
}

}  // namespace

bool open_store_file(const StoreOptions& o, sqlite::Db* out, LockFile* lock, StoreMeta* meta,
                     std::string* error) {
    const std::string& path = o.path;
    if (!check_place(path, error)) return false;
    LockFile held;
    if (!held.lock(path, error)) return false;

    sqlite3* raw = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    sqlite::Db db(raw);
    if (rc != SQLITE_OK) return fail(error, open_error(path, db, rc, "opening"));
    sqlite3_extended_result_codes(db.get(), 1);
    if (sqlite3_db_readonly(db.get(), "main") == 1)
        return fail(error, fmt::format("store {} opened read-only: give the daemon's user write "
                                       "access to it",
                                       path));
    // Another process may read (a backup) or, against advice, write: a write lock
    // it holds is waited for briefly, on the writer thread only.
    sqlite3_busy_timeout(db.get(), 200);

    // The first read: is it a database at all, and is it ours?
    sqlite::Statement probe;
    rc = probe.prepare(db,
                       "SELECT (SELECT application_id FROM pragma_application_id), "
                       "(SELECT user_version FROM pragma_user_version), "
                       "(SELECT page_count FROM pragma_page_count)");
    if (rc == SQLITE_OK) rc = probe.step();
    if (rc != SQLITE_ROW) return fail(error, open_error(path, db, rc, "reading"));
    const int64_t app_id = probe.column_int(0), version = probe.column_int(1);
    meta->fresh = probe.column_int(2) == 0;
    probe.done();
    if (!meta->fresh) {
        if (app_id != kStoreApplicationId)
            return fail(error,
                        fmt::format("store {} is an SQLite database but not a ringcast store "
                                    "(application_id {:#x}): move it away, or set "
                                    "store.path to another file",
                                    path, uint32_t(app_id)));
        if (version > kStoreSchemaVersion)
            return fail(error, fmt::format("store {} has schema version {}, written by a newer "
                                           "ringcastd; this one reads version {}: upgrade "
                                           "ringcastd, or set store.path to another file",
                                           path, version, kStoreSchemaVersion));
        if (version < 1)
            return fail(error, fmt::format("store {} has no schema version: it is damaged; move "
                                           "it away to start with an empty store",
                                           path));
    } else if ((rc = db.exec("PRAGMA auto_vacuum = INCREMENTAL")) != SQLITE_OK) {
        // Only possible before the first table exists.
        return fail(error, open_error(path, db, rc, "setting auto_vacuum"));
    }

    sqlite::Statement wal;
    rc = wal.prepare(db, "PRAGMA journal_mode = WAL");
    if (rc == SQLITE_OK) rc = wal.step();
    if (rc != SQLITE_ROW) return fail(error, open_error(path, db, rc, "switching to WAL"));
    if (wal.column_text(0) != "wal")
        return fail(error, fmt::format("store {}: SQLite refused WAL mode (journal mode {}); the "
                                       "file system may not support it",
                                       path, wal.column_text(0)));
    wal.done();

    std::string pragmas = fmt::format("PRAGMA synchronous = {}; PRAGMA journal_size_limit = {};",
                                      o.sync_full ? "FULL" : "NORMAL",
                                      64 << 20);  // a burst's WAL is truncated after it
    if (o.max_pages) pragmas += fmt::format("PRAGMA max_page_count = {};", o.max_pages);
    if ((rc = db.exec(pragmas.c_str())) != SQLITE_OK)
        return fail(error, open_error(path, db, rc, "setting pragmas"));

    if ((rc = db.exec("BEGIN IMMEDIATE")) != SQLITE_OK)
        return fail(error, open_error(path, db, rc, "beginning a transaction"));
    if (meta->fresh) {
        std::string create = kCreateTables;
        create += fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};",
                              kStoreApplicationId, kStoreSchemaVersion);
        if ((rc = db.exec(create.c_str())) != SQLITE_OK) {
            std::string why = open_error(path, db, rc, "creating the tables");
            db.exec("ROLLBACK");
            return fail(error, why);
        }
    }
    if (!read_meta(db, meta)) {
        std::string why = open_error(path, db, sqlite3_errcode(db.get()), "reading meta");
        db.exec("ROLLBACK");
        return fail(error, why);
    }
    if ((rc = db.exec("COMMIT")) != SQLITE_OK) {
        std::string why = open_error(path, db, rc, "creating the store");
        db.exec("ROLLBACK");
        return fail(error, why);
    }
    *out = std::move(db);
    *lock = std::move(held);
    return true;
}

}  // namespace ringcast

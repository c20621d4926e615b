#include "alerts/alert_db.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "alerts/alert_json.h"

namespace ringcast {

namespace {

// Step i takes the file from user_version i to i + 1. Steps are only ever added,
// never edited: a file in the field may stand at any of them.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the first schema.
    R"(
CREATE TABLE alerts(id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER NOT NULL,
                    starts_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE dismissals(alert_id INTEGER NOT NULL, user TEXT NOT NULL, at INTEGER NOT NULL,
                        PRIMARY KEY(alert_id, user)) WITHOUT ROWID;
)",
    // 1 -> 2: which expiry of each alert admins were told of, so that a restart
    // announces the expiries that passed while the daemon was down, once. The
    // ones already past when the file is upgraded count as told: the daemon
    // before announced those it was running for, and which it missed is unknown.
    R"(
ALTER TABLE alerts ADD COLUMN expiry_announced INTEGER NOT NULL DEFAULT 0;
UPDATE alerts SET expiry_announced = expires_at
 WHERE expires_at != 0
   AND expires_at <= CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER);
)",
};
static_assert(std::size(kMigrations) == AlertDb::kSchemaVersion);

bool failed_open(std::string* error, std::string message) {
    *error = std::move(message);
    return false;
}

}  // namespace

bool AlertDb::open(const std::string& path, std::string* error) {
    _path = path;
    const std::filesystem::path p(path);
    const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
    if (access(dir.c_str(), W_OK | X_OK) != 0)
        return failed_open(error, fmt::format("alerts {}: cannot write in directory {} ({}): the "
                                              "daemon's user needs write access there",
                                              path, dir, std::strerror(errno)));
    sqlite3* raw = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    _db = sqlite::Db(raw);
    if (rc != SQLITE_OK)
        return failed_open(error, fmt::format("alerts {}: cannot open it: {}", path,
                                              raw ? _db.message() : sqlite3_errstr(rc)));
    sqlite3_extended_result_codes(_db.get(), 1);
    sqlite3_busy_timeout(_db.get(), 2000);  // a backup reading it, say

    sqlite::Statement probe;
    rc = probe.prepare(_db,
                       "SELECT (SELECT application_id FROM pragma_application_id), "
                       "(SELECT user_version FROM pragma_user_version), "
                       "(SELECT page_count FROM pragma_page_count)");
    if (rc == SQLITE_OK) rc = probe.step();
    if (rc != SQLITE_ROW)
        return failed_open(
            error, (rc & 0xff) == SQLITE_NOTADB
                       ? fmt::format("alerts {} is not an SQLite database: move it away (the "
                                     "alerts it held are then lost) or restore a backup",
                                     path)
                       : fmt::format("alerts {}: cannot read it: {}", path, _db.message()));
    const int64_t app_id = probe.column_int(0), version = probe.column_int(1);
    const bool fresh = probe.column_int(2) == 0;
    probe.done();
    if (!fresh && app_id != kApplicationId)
        return failed_open(error, fmt::format("alerts {} is an SQLite database but not ringcast's "
                                              "alerts (application_id {:#x}): move it away",
                                              path, uint32_t(app_id)));
    if (version > kSchemaVersion)
        return failed_open(error, fmt::format("alerts {} has schema version {}, written by a newer "
                                              "ringcastd; this one reads up to {}: upgrade "
                                              "ringcastd",
                                              path, version, kSchemaVersion));
    sqlite::Statement wal;
    rc = wal.prepare(_db, "PRAGMA journal_mode = WAL");
    if (rc == SQLITE_OK) rc = wal.step();
    if (rc != SQLITE_ROW || wal.column_text(0) != "wal")
        return failed_open(
            error, fmt::format("alerts {}: SQLite refused WAL mode: {}", path, _db.message()));
    wal.done();
    // FULL: a commit is on disk, WAL included, before an admin hears "done".
    if (_db.exec("PRAGMA synchronous = FULL") != SQLITE_OK)
        return failed_open(error,
                           fmt::format("alerts {}: setting pragmas: {}", path, _db.message()));
    return migrate(version, error) && prepare(error);
}

bool AlertDb::migrate(int64_t from, std::string* error) {
    for (int64_t v = from; v < kSchemaVersion; ++v) {
        std::string step = fmt::format(
            "BEGIN IMMEDIATE; {} PRAGMA application_id = {}; PRAGMA user_version = {}; COMMIT;",
            kMigrations[v], kApplicationId, v + 1);
        if (_db.exec(step.c_str()) != SQLITE_OK) {
            *error = fmt::format("alerts {}: migrating the schema from version {} to {}: {}", _path,
                                 v, v + 1, _db.message());
            _db.exec("ROLLBACK");
            return false;
        }
    }
    return true;
}

bool AlertDb::prepare(std::string* error) {
    struct {
        sqlite::Statement* s;
        const char* sql;
    } all[] = {
        {&_begin, "BEGIN IMMEDIATE"},
        {&_commit, "COMMIT"},
        {&_rollback, "ROLLBACK"},
        // An alert written with its expiry already past was told of by the change
        // itself: its expiry counts as announced (?4: the change's time).
        {&_insert,
         "INSERT INTO alerts(version, starts_at, expires_at, body, expiry_announced) "
         "VALUES(?1, ?2, ?3, '', CASE WHEN ?3 != 0 AND ?3 <= ?4 THEN ?3 ELSE 0 END)"},
        {&_set_body, "UPDATE alerts SET body = ?2 WHERE id = ?1"},
        {&_version_of, "SELECT version FROM alerts WHERE id = ?1"},
        {&_update,
         "UPDATE alerts SET version = ?2, starts_at = ?3, expires_at = ?4, body = ?5, "
         "expiry_announced = CASE WHEN ?4 != 0 AND ?4 <= ?6 THEN ?4 ELSE expiry_announced END "
         "WHERE id = ?1"},
        {&_announce, "UPDATE alerts SET expiry_announced = ?2 WHERE id = ?1 AND expires_at = ?2"},
        {&_delete, "DELETE FROM alerts WHERE id = ?1"},
        {&_delete_dismissals, "DELETE FROM dismissals WHERE alert_id = ?1"},
        {&_dismiss, "INSERT OR IGNORE INTO dismissals(alert_id, user, at) VALUES(?1, ?2, ?3)"},
        {&_select_alerts, "SELECT body, expiry_announced FROM alerts ORDER BY id"},
        {&_select_dismissals, "SELECT alert_id, user, at FROM dismissals ORDER BY alert_id, at"},
        {&_clear_alerts, "DELETE FROM alerts"},
        {&_clear_dismissals, "DELETE FROM dismissals"},
        {&_insert_whole,
         "INSERT INTO alerts(id, version, starts_at, expires_at, body, expiry_announced) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"},
    };
    for (auto& [s, sql] : all) {
        if (s->prepare(_db, sql) != SQLITE_OK) {
            *error =
                fmt::format("alerts {}: preparing statements failed: {}", _path, _db.message());
            return false;
        }
    }
    return true;
}

bool AlertDb::load(std::vector<Alert>* alerts, std::vector<AlertDismissal>* dismissals,
                   std::vector<AlertExpiry>* announced, std::string* error) {
    simdjson::dom::parser parser;
    int rc;
    while ((rc = _select_alerts.step()) == SQLITE_ROW) {
        Alert a;
        std::string why;
        if (!read_stored_alert(parser, _select_alerts.column_text(0), &a, &why)) {
            _select_alerts.done();
            *error = fmt::format(
                "alerts {}: a stored alert cannot be read ({}): the file was "
                "edited by hand or is damaged",
                _path, why);
            return false;
        }
        if (const int64_t told = _select_alerts.column_int(1); told != 0)
            announced->push_back({a.id, told});
        alerts->push_back(std::move(a));
    }
    _select_alerts.done();
    if (rc != SQLITE_DONE) {
        *error = fmt::format("alerts {}: reading alerts: {}", _path, _db.message());
        return false;
    }
    while ((rc = _select_dismissals.step()) == SQLITE_ROW)
        dismissals->push_back({uint64_t(_select_dismissals.column_int(0)),
                               std::string(_select_dismissals.column_text(1)),
                               _select_dismissals.column_int(2)});
    _select_dismissals.done();
    if (rc != SQLITE_DONE) {
        *error = fmt::format("alerts {}: reading dismissals: {}", _path, _db.message());
        return false;
    }
    return true;
}

AlertDb::Outcome AlertDb::fail(const char* doing, std::string* error) {
    *error = fmt::format("alerts {}: {}: {}", _path, doing, _db.message());
    return Outcome::failed;
}

template <typename F>
AlertDb::Outcome AlertDb::transaction(const char* doing, std::string* error, F&& body) {
    if (_begin.run() != SQLITE_DONE) return fail(doing, error);
    Outcome o = body();
    if (o == Outcome::done && _commit.run() == SQLITE_DONE) return o;
    if (o == Outcome::done) o = fail(doing, error);  // the commit failed
    _rollback.run();
    return o;
}

AlertDb::Outcome AlertDb::insert(Alert* a, std::string* error) {
    return transaction("storing a new alert", error, [&] {
        _insert.bind(1, a->version);
        _insert.bind(2, a->starts_at_ms);
        _insert.bind(3, a->expires_at_ms);
        _insert.bind(4, a->updated_at_ms);
        if (_insert.run() != SQLITE_DONE) return fail("storing a new alert", error);
        a->id = uint64_t(sqlite3_last_insert_rowid(_db.get()));
        const std::string body = alert_json(*a);
        _set_body.bind(1, a->id);
        _set_body.bind_text(2, body);
        if (_set_body.run() != SQLITE_DONE) return fail("storing a new alert", error);
        return Outcome::done;
    });
}

AlertDb::Outcome AlertDb::replace(const Alert& a, std::string* error) {
    return transaction("storing a changed alert", error, [&] {
        _version_of.bind(1, a.id);
        const int rc = _version_of.step();
        const uint64_t stored = rc == SQLITE_ROW ? uint64_t(_version_of.column_int(0)) : 0;
        _version_of.done();
        if (rc == SQLITE_DONE) return Outcome::not_found;
        if (rc != SQLITE_ROW) return fail("storing a changed alert", error);
        if (stored + 1 != a.version) return Outcome::conflict;
        const std::string body = alert_json(a);
        _update.bind(1, a.id);
        _update.bind(2, a.version);
        _update.bind(3, a.starts_at_ms);
        _update.bind(4, a.expires_at_ms);
        _update.bind_text(5, body);
        _update.bind(6, a.updated_at_ms);
        if (_update.run() != SQLITE_DONE) return fail("storing a changed alert", error);
        return Outcome::done;
    });
}

AlertDb::Outcome AlertDb::remove(uint64_t id, std::string* error) {
    return transaction("deleting an alert", error, [&] {
        _delete.bind(1, id);
        if (_delete.run() != SQLITE_DONE) return fail("deleting an alert", error);
        if (sqlite3_changes(_db.get()) == 0) return Outcome::not_found;
        _delete_dismissals.bind(1, id);
        if (_delete_dismissals.run() != SQLITE_DONE) return fail("deleting an alert", error);
        return Outcome::done;
    });
}

AlertDb::Outcome AlertDb::dismiss(const AlertDismissal& d, std::string* error) {
    return transaction("recording a dismissal", error, [&] {
        _version_of.bind(1, d.alert_id);
        const int rc = _version_of.step();
        _version_of.done();
        if (rc == SQLITE_DONE) return Outcome::not_found;
        if (rc != SQLITE_ROW) return fail("recording a dismissal", error);
        _dismiss.bind(1, d.alert_id);
        _dismiss.bind_text(2, d.user);
        _dismiss.bind(3, d.at_ms);
        if (_dismiss.run() != SQLITE_DONE) return fail("recording a dismissal", error);
        return Outcome::done;
    });
}

AlertDb::Outcome AlertDb::announced(const std::vector<AlertExpiry>& told, std::string* error) {
    return transaction("recording announced expiries", error, [&] {
        for (const AlertExpiry& e : told) {
            _announce.bind(1, e.alert_id);
            _announce.bind(2, e.expires_at_ms);
            if (_announce.run() != SQLITE_DONE) return fail("recording announced expiries", error);
        }
        return Outcome::done;
    });
}

AlertDb::Outcome AlertDb::mirror(const AlertSet& set, std::string* error) {
    const char* doing = "copying the cluster's alerts";
    return transaction(doing, error, [&] {
        if (_clear_alerts.run() != SQLITE_DONE || _clear_dismissals.run() != SQLITE_DONE)
            return fail(doing, error);
        for (const Alert& a : set.alerts) {
            const std::string body = alert_json(a);
            auto told = set.expiry_announced.find(a.id);
            _insert_whole.bind(1, a.id);
            _insert_whole.bind(2, a.version);
            _insert_whole.bind(3, a.starts_at_ms);
            _insert_whole.bind(4, a.expires_at_ms);
            _insert_whole.bind_text(5, body);
            _insert_whole.bind(6, told == set.expiry_announced.end() ? int64_t(0) : told->second);
            if (_insert_whole.run() != SQLITE_DONE) return fail(doing, error);
        }
        for (const auto& [id, users] : set.dismissed)
            for (const std::string& user : users) {
                _dismiss.bind(1, id);
                _dismiss.bind_text(2, user);
                _dismiss.bind(3, int64_t(0));
                if (_dismiss.run() != SQLITE_DONE) return fail(doing, error);
            }
        return Outcome::done;
    });
}

}  // namespace ringcast

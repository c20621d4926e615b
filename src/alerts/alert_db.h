#pragma once
// The alerts' file: an SQLite database of its own in the data directory
// (alerts.db), apart from the event store, so that an admin's rare, must-not-lose
// writes never queue behind the event writer's batches, and its schema evolves
// on its own.
//
// Every change is one transaction, committed (WAL, synchronous = FULL) before
// the call returns: a change acknowledged to an admin survives kill -9 and a
// power cut. Calls block on the disk, so they run on the alerts' worker thread,
// never on a shard loop; the shards work from the alerts held in memory.
//
// Tables (schema version 2; PRAGMA user_version, application_id 'rcal'):
//   alerts(id INTEGER PRIMARY KEY AUTOINCREMENT, version, starts_at, expires_at,
//          body TEXT,          -- body: the alert as alert_json() writes it
//          expiry_announced)   -- the expires_at admins were told had passed, or 0
//   dismissals(alert_id, user, at)  -- who dismissed which alert, and when
// In a cluster the file is a copy of the cluster's set (mirror()), rewritten
// after each change the node hears of.
// A newer schema is refused with a clear message; older ones are migrated step
// by step (kMigrations in alert_db.cc), each step in its own transaction.
#include <cstdint>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/alert_set.h"
#include "store/sqlite.h"

namespace ringcast {

struct AlertDismissal {
    uint64_t alert_id = 0;
    std::string user;
    int64_t at_ms = 0;
    bool operator==(const AlertDismissal&) const = default;
};

// An alert's expiry that admins were told of (admin-actions "expired").
struct AlertExpiry {
    uint64_t alert_id = 0;
    int64_t expires_at_ms = 0;
    bool operator==(const AlertExpiry&) const = default;
};

class AlertDb {
public:
    static constexpr int64_t kSchemaVersion = 2;
    static constexpr int64_t kApplicationId = 0x7263616c;  // "rcal"

    enum class Outcome { done, not_found, conflict, failed };

    // Opens (creating or migrating) the file. False with `*error` naming the path
    // and what to do.
    bool open(const std::string& path, std::string* error);
    void close() { _db.close(); }
    const std::string& path() const { return _path; }

    // Every alert (expired ones too, until deleted), every dismissal, and the
    // expiries announced.
    bool load(std::vector<Alert>* alerts, std::vector<AlertDismissal>* dismissals,
              std::vector<AlertExpiry>* announced, std::string* error);

    // Stores a new alert: assigns `a->id` (never reused) and writes it.
    Outcome insert(Alert* a, std::string* error);
    // Writes `a` over the stored alert of its id if that one has version
    // `a.version - 1`; conflict if another version is stored. An alert written
    // with an expiry not after its updated_at has that expiry announced (the
    // change told admins); a later expiry is announced by announced().
    Outcome replace(const Alert& a, std::string* error);
    // Deletes the alert and its dismissals.
    Outcome remove(uint64_t id, std::string* error);
    // Records that `user` dismissed the alert (again: the first time is kept).
    Outcome dismiss(const AlertDismissal& d, std::string* error);
    // Records that admins were told these expiries passed (an alert whose
    // expiry changed meanwhile keeps its mark: the new one is still to come).
    Outcome announced(const std::vector<AlertExpiry>& told, std::string* error);
    // In a cluster: the file becomes a copy of `set` (the cluster's, as this
    // node last heard of it), in one transaction. Ids are kept.
    Outcome mirror(const AlertSet& set, std::string* error);

private:
    bool prepare(std::string* error);
    bool migrate(int64_t from, std::string* error);
    Outcome fail(const char* doing, std::string* error);
    // Runs `body` in one transaction; rolls back if it does not return done.
    template <typename F>
    Outcome transaction(const char* doing, std::string* error, F&& body);

    std::string _path;
    sqlite::Db _db;
    sqlite::Statement _begin, _commit, _rollback;
    sqlite::Statement _insert, _set_body, _version_of, _update, _announce, _delete,
        _delete_dismissals, _dismiss, _select_alerts, _select_dismissals, _clear_alerts,
        _clear_dismissals, _insert_whole;
};

}  // namespace ringcast

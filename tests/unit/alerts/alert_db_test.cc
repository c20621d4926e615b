// The alerts' SQLite file (alerts/alert_db.h) on real files in a fresh
// temporary directory: what is written comes back after a reopen and after the
// writing process is killed with SIGKILL, versions are checked, ids are never
// reused, and files that are not (or not yet) ours are refused with the reason.
#include "alerts/alert_db.h"

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "alerts/alert_json.h"

namespace ringcast {
namespace {

class AlertDbTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (std::filesystem::temp_directory_path() / "ringcast-alerts-XXXXXX");
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        _dir = tmpl;
        path = (_dir / "alerts.db").string();
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(_dir, ec);
    }

    static Alert sample(std::string title) {
        Alert a;
        a.title = std::move(title);
        a.message = "The service restarts at 22:00 UTC";
        a.alert_type = "warning";
        a.priority = 8;
        a.expires_at_ms = 1'893'456'000'000;  // 2030-01-01
        a.actions.push_back({"Status", "https://status.example.com", "", "link"});
        a.metadata = R"({"customType":"maintenance"})";
        a.target.kind = Target::Kind::roles;
        a.target.roles = {"admin", "ops"};
        a.target.exclude = {"42"};
        a.created_at_ms = a.updated_at_ms = 1'800'000'000'000;
        a.created_by = a.updated_by = "key:deploy";
        a.version = 1;
        return a;
    }

    void open_ok(AlertDb& db) {
        std::string error;
        ASSERT_TRUE(db.open(path, &error)) << error;
    }
    void load_ok(std::vector<Alert>* alerts, std::vector<AlertDismissal>* dismissals,
                 std::vector<AlertExpiry>* announced = nullptr) {
        AlertDb db;
        open_ok(db);
        std::string error;
        std::vector<AlertExpiry> ignored;
        ASSERT_TRUE(db.load(alerts, dismissals, announced ? announced : &ignored, &error)) << error;
    }
    std::string open_error() {
        AlertDb db;
        std::string error;
        EXPECT_FALSE(db.open(path, &error));
        return error;
    }
    void sql(const char* statements) {
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
        EXPECT_EQ(sqlite3_exec(raw, statements, nullptr, nullptr, nullptr), SQLITE_OK)
            << sqlite3_errmsg(raw);
        sqlite3_close(raw);
    }

    std::filesystem::path _dir;
    std::string path;
};

TEST_F(AlertDbTest, WhatIsWrittenComesBackAfterAReopen) {
    Alert a = sample("Maintenance"), b = sample("Welcome");
    b.target = Target{};
    b.starts_at_ms = 1'850'000'000'000;
    {
        AlertDb db;
        open_ok(db);
        std::string error;
        ASSERT_EQ(db.insert(&a, &error), AlertDb::Outcome::done) << error;
        ASSERT_EQ(db.insert(&b, &error), AlertDb::Outcome::done) << error;
        EXPECT_NE(a.id, 0u);
        EXPECT_GT(b.id, a.id);
        ASSERT_EQ(db.dismiss({a.id, "7", 1'800'000'001'000}, &error), AlertDb::Outcome::done);
        // A second dismissal by the same user keeps the first time.
        ASSERT_EQ(db.dismiss({a.id, "7", 1'800'000'009'000}, &error), AlertDb::Outcome::done);
        EXPECT_EQ(db.dismiss({999, "7", 1}, &error), AlertDb::Outcome::not_found);
    }
    std::vector<Alert> alerts;
    std::vector<AlertDismissal> dismissals;
    load_ok(&alerts, &dismissals);
    ASSERT_EQ(alerts.size(), 2u);
    EXPECT_EQ(alerts[0], a);
    EXPECT_EQ(alerts[1], b);
    ASSERT_EQ(dismissals.size(), 1u);
    EXPECT_EQ(dismissals[0], (AlertDismissal{a.id, "7", 1'800'000'001'000}));
}

TEST_F(AlertDbTest, AMirrorIsTheClustersSetWithItsIds) {
    Alert old = sample("before the cluster");
    AlertSet set;
    Alert a = sample("from the cluster"), b = sample("another");
    a.id = 40;
    b.id = 52;
    set.alerts = {a, b};
    set.dismissed[52] = {"7", "8"};
    set.expiry_announced[40] = a.expires_at_ms;
    {
        AlertDb db;
        open_ok(db);
        std::string error;
        ASSERT_EQ(db.insert(&old, &error), AlertDb::Outcome::done) << error;
        ASSERT_EQ(db.dismiss({old.id, "7", 1}, &error), AlertDb::Outcome::done);
        ASSERT_EQ(db.mirror(set, &error), AlertDb::Outcome::done) << error;
    }
    std::vector<Alert> alerts;
    std::vector<AlertDismissal> dismissals;
    std::vector<AlertExpiry> announced;
    load_ok(&alerts, &dismissals, &announced);
    EXPECT_EQ(alerts, set.alerts) << "what was there before is gone";
    ASSERT_EQ(dismissals.size(), 2u);
    EXPECT_EQ(dismissals[0].alert_id, 52u);
    EXPECT_EQ(announced, (std::vector<AlertExpiry>{{40, a.expires_at_ms}}));
    // A node alone again goes on above the cluster's ids.
    AlertDb db;
    open_ok(db);
    std::string error;
    Alert next = sample("alone again");
    ASSERT_EQ(db.insert(&next, &error), AlertDb::Outcome::done) << error;
    EXPECT_EQ(next.id, 53u);
}

TEST_F(AlertDbTest, AChangeIsStoredOnlyOverTheVersionItEdited) {
    AlertDb db;
    open_ok(db);
    std::string error;
    Alert a = sample("Maintenance");
    ASSERT_EQ(db.insert(&a, &error), AlertDb::Outcome::done) << error;

    Alert edited = a;
    edited.title = "Maintenance moved";
    edited.version = 2;
    EXPECT_EQ(db.replace(edited, &error), AlertDb::Outcome::done) << error;
    Alert stale = a;  // edited from version 1 too
    stale.title = "Stale edit";
    stale.version = 2;
    EXPECT_EQ(db.replace(stale, &error), AlertDb::Outcome::conflict);
    Alert unknown = edited;
    unknown.id = 999;
    EXPECT_EQ(db.replace(unknown, &error), AlertDb::Outcome::not_found);

    std::vector<Alert> alerts;
    std::vector<AlertDismissal> dismissals;
    std::vector<AlertExpiry> announced;
    ASSERT_TRUE(db.load(&alerts, &dismissals, &announced, &error)) << error;
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0], edited);
}

TEST_F(AlertDbTest, ADeletedAlertTakesItsDismissalsAndItsIdIsNeverReused) {
    AlertDb db;
    open_ok(db);
    std::string error;
    Alert a = sample("One"), b = sample("Two");
    ASSERT_EQ(db.insert(&a, &error), AlertDb::Outcome::done) << error;
    ASSERT_EQ(db.dismiss({a.id, "7", 5}, &error), AlertDb::Outcome::done);
    ASSERT_EQ(db.remove(a.id, &error), AlertDb::Outcome::done) << error;
    EXPECT_EQ(db.remove(a.id, &error), AlertDb::Outcome::not_found);
    ASSERT_EQ(db.insert(&b, &error), AlertDb::Outcome::done) << error;
    EXPECT_GT(b.id, a.id) << "an id came back after a delete";
    std::vector<Alert> alerts;
    std::vector<AlertDismissal> dismissals;
    std::vector<AlertExpiry> announced;
    ASSERT_TRUE(db.load(&alerts, &dismissals, &announced, &error)) << error;
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0].id, b.id);
    EXPECT_TRUE(dismissals.empty());
}

TEST_F(AlertDbTest, AnAcknowledgedChangeSurvivesSigkill) {
    // The child stores an alert and says so on the pipe only after insert()
    // returned; the parent kills it at once, mid-whatever it does next.
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        AlertDb db;
        std::string error;
        if (!db.open(path, &error)) _exit(2);
        for (int i = 0;; ++i) {
            Alert a = sample("alert " + std::to_string(i));
            if (db.insert(&a, &error) != AlertDb::Outcome::done) _exit(3);
            const uint64_t id = a.id;
            if (write(fds[1], &id, sizeof id) != sizeof id) _exit(4);
        }
    }
    close(fds[1]);
    uint64_t last = 0;
    for (int i = 0; i < 20; ++i)
        ASSERT_EQ(read(fds[0], &last, sizeof last), ssize_t(sizeof last));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status));
    close(fds[0]);

    std::vector<Alert> alerts;
    std::vector<AlertDismissal> dismissals;
    load_ok(&alerts, &dismissals);
    ASSERT_GE(alerts.size(), 20u);
    bool found = false;
    for (const Alert& a : alerts)
        found |= a.id == last;
    EXPECT_TRUE(found) << "alert " << last << " was acknowledged and is gone";
}

TEST_F(AlertDbTest, AnnouncedExpiriesAreKeptUntilTheExpiryChanges) {
    std::string error;
    Alert a = sample("Maintenance"), past = sample("Written expired");
    {
        AlertDb db;
        open_ok(db);
        a.expires_at_ms = 1'800'000'100'000;  // after its updated_at
        ASSERT_EQ(db.insert(&a, &error), AlertDb::Outcome::done) << error;
        past.expires_at_ms = past.updated_at_ms - 1;  // a change that already told admins
        ASSERT_EQ(db.insert(&past, &error), AlertDb::Outcome::done) << error;
        ASSERT_EQ(db.announced({{a.id, a.expires_at_ms}}, &error), AlertDb::Outcome::done) << error;
    }
    std::vector<Alert> alerts;
    std::vector<AlertDismissal> dismissals;
    std::vector<AlertExpiry> announced;
    load_ok(&alerts, &dismissals, &announced);
    EXPECT_EQ(announced,
              (std::vector<AlertExpiry>{{a.id, a.expires_at_ms}, {past.id, past.expires_at_ms}}));
    {
        // A later expiry is still to come; a mark for an expiry the alert no
        // longer has is not recorded.
        AlertDb db;
        open_ok(db);
        Alert later = a;
        later.version = 2;
        later.updated_at_ms = a.expires_at_ms + 1;
        later.expires_at_ms = a.expires_at_ms + 60'000;
        ASSERT_EQ(db.replace(later, &error), AlertDb::Outcome::done) << error;
        ASSERT_EQ(db.announced({{past.id, past.expires_at_ms + 5}}, &error),
                  AlertDb::Outcome::done);
    }
    announced.clear();
    alerts.clear();
    load_ok(&alerts, &dismissals, &announced);
    EXPECT_EQ(announced,
              (std::vector<AlertExpiry>{{a.id, a.expires_at_ms}, {past.id, past.expires_at_ms}}));
    EXPECT_NE(alerts[0].expires_at_ms, a.expires_at_ms) << "the replace did not change it";
}

TEST_F(AlertDbTest, AVersion1FileIsMigratedWithPastExpiriesCountedAsTold) {
    // The schema of version 1, as a daemon before the migration left it.
    sql(R"(
CREATE TABLE alerts(id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER NOT NULL,
                    starts_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE dismissals(alert_id INTEGER NOT NULL, user TEXT NOT NULL, at INTEGER NOT NULL,
                        PRIMARY KEY(alert_id, user)) WITHOUT ROWID;
PRAGMA application_id = 1919115628; PRAGMA user_version = 1;)");
    Alert old = sample("Expired in 2020"), future = sample("Until 2030"), forever = sample("Open");
    old.id = 1;
    old.expires_at_ms = 1'577'836'800'000;  // 2020-01-01
    future.id = 2;
    forever.id = 3;
    forever.expires_at_ms = 0;
    for (const Alert* a : {&old, &future, &forever}) {
        const std::string body = alert_json(*a);
        std::string quoted;
        for (char c : body)
            quoted += c == '\'' ? std::string("''") : std::string(1, c);
        sql(("INSERT INTO alerts VALUES(" + std::to_string(a->id) + ", 1, 0, " +
             std::to_string(a->expires_at_ms) + ", '" + quoted + "')")
                .c_str());
    }
    std::vector<Alert> alerts;
    std::vector<AlertDismissal> dismissals;
    std::vector<AlertExpiry> announced;
    load_ok(&alerts, &dismissals, &announced);
    ASSERT_EQ(alerts.size(), 3u);
    EXPECT_EQ(alerts[0], old);
    EXPECT_EQ(announced, (std::vector<AlertExpiry>{{1, old.expires_at_ms}}));
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(st, 0), AlertDb::kSchemaVersion);
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

TEST_F(AlertDbTest, ANewerSchemaIsRefusedWithTheReason) {
    {
        AlertDb db;
        open_ok(db);
    }
    sql("PRAGMA user_version = 99");
    EXPECT_NE(open_error().find("schema version 99, written by a newer ringcastd"),
              std::string::npos);
}

TEST_F(AlertDbTest, ADatabaseOfSomethingElseIsRefused) {
    sql("CREATE TABLE notes(x); PRAGMA application_id = 12345;");
    EXPECT_NE(open_error().find("not ringcast's alerts"), std::string::npos);
}

TEST_F(AlertDbTest, AFileThatIsNotADatabaseIsRefused) {
    std::ofstream(path) << std::string(8192, 'x');
    const std::string error = open_error();
    EXPECT_NE(error.find("is not an SQLite database"), std::string::npos) << error;
}

}  // namespace
}  // namespace ringcast

// Opening a store: files that are not stores, newer schemas, places the daemon
// cannot write, a store another daemon holds, and a store whose daemon died.
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "store/event_store.h"
#include "store/store_fixture.h"
#include "support/events.h"

namespace ringcast {
namespace {

using test::EventRef;
using test::numbered_event;
using test::StoreTest;
using test::wait_committed;

class EventStoreOpenTest : public StoreTest {};

#define EXPECT_CONTAINS(text, part) EXPECT_NE((text).find(part), std::string::npos) << (text)

TEST_F(EventStoreOpenTest, ATextFileIsNotAStore) {
    std::ofstream(options.path) << std::string(4096, 'x');
    std::string error = open_error();
    EXPECT_CONTAINS(error, options.path);
    EXPECT_CONTAINS(error, "not a ringcast store");
    EXPECT_CONTAINS(error, "move it away");
}

TEST_F(EventStoreOpenTest, AnotherApplicationsDatabaseIsNotAStore) {
    execute("CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES('x');");
    std::string error = open_error();
    EXPECT_CONTAINS(error, options.path);
    EXPECT_CONTAINS(error, "is an SQLite database but not a ringcast store");
    EXPECT_EQ(query("SELECT count(*) FROM contacts"), 1) << "and it was left alone";
}

TEST_F(EventStoreOpenTest, AnEmptyFileBecomesAStore) {
    std::ofstream{options.path};
    StoreSnapshot snap = reload();
    EXPECT_TRUE(snap.fresh);
}

TEST_F(EventStoreOpenTest, ANewerSchemaIsRefused) {
    reload();
    execute("PRAGMA user_version = 2");
    std::string error = open_error();
    EXPECT_CONTAINS(error, options.path);
    EXPECT_CONTAINS(error, "schema version 2, written by a newer ringcastd");
    EXPECT_CONTAINS(error, "reads version 1");
}

TEST_F(EventStoreOpenTest, AMissingDirectory) {
    options.path = (dir() / "no" / "such" / "ringcast.db").string();
    std::string error = open_error();
    EXPECT_CONTAINS(error, "does not exist");
    EXPECT_CONTAINS(error, "store.path");
}

// As root every directory is writable, so the check runs in a child that gives
// up root first (the daemon's user in production is not root either).
TEST_F(EventStoreOpenTest, AnUnwritableDirectory) {
    std::filesystem::path ro = dir() / "read-only";
    std::filesystem::create_directory(ro);
    std::filesystem::permissions(
        ro, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                std::filesystem::perms::group_read | std::filesystem::perms::group_exec |
                std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
    std::filesystem::permissions(dir(), std::filesystem::perms::all);
    options.path = (ro / "ringcast.db").string();
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(3);
        std::string error;
        auto s = EventStore::open(options, &error);
        if (write(fds[1], error.data(), error.size()) < 0) _exit(4);
        _exit(s ? 1 : 0);
    }
    close(fds[1]);
    std::string error;
    char buf[1024];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
        error.append(buf, size_t(n));
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_NE(WEXITSTATUS(status), 3) << "could not drop root";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "opened a store in a read-only directory";
    EXPECT_CONTAINS(error, "cannot write in directory " + ro.string());
    EXPECT_CONTAINS(error, "write access");
}

TEST_F(EventStoreOpenTest, OneDaemonAtATimeInThisProcess) {
    auto first = open_ok();
    std::string error = open_error();
    EXPECT_CONTAINS(error, options.path);
    EXPECT_CONTAINS(error, "in use by another ringcastd");
    EXPECT_CONTAINS(error, "exclusive lock on " + options.path + ".lock");
    first.reset();
    EXPECT_NE(open_ok(), nullptr) << "free again once the first has closed";
}

TEST_F(EventStoreOpenTest, OneDaemonAtATimeAcrossProcesses) {
    int ready[2], release[2];
    ASSERT_EQ(pipe(ready), 0);
    ASSERT_EQ(pipe(release), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::string error;
        auto s = EventStore::open(options, &error);
        char c = s ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1) _exit(2);
        if (read(release[0], &c, 1) != 1) _exit(2);  // holds the store until told
        _exit(s ? 0 : 1);
    }
    char c = 0;
    ASSERT_EQ(read(ready[0], &c, 1), 1);
    ASSERT_EQ(c, 'y');
    std::string error = open_error();
    EXPECT_CONTAINS(error, "in use by another ringcastd");
    ASSERT_EQ(write(release[1], "x", 1), 1);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int fd : {ready[0], ready[1], release[0], release[1]})
        close(fd);
    EXPECT_NE(open_ok(), nullptr);
}

// Not a daemon but some other program holding SQLite's write lock (an sqlite3
// shell inside a transaction): the open waits briefly, then says who to ask.
TEST_F(EventStoreOpenTest, AWriterOutsideTheDaemon) {
    reload();
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(options.path.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    std::string error = open_error();
    EXPECT_CONTAINS(error, options.path);
    EXPECT_CONTAINS(error, "locked by another process writing to it");
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    EXPECT_NE(open_ok(), nullptr);
}

// The lock keeps out daemons, not readers: a backup (what `sqlite3 ringcast.db
// ".backup copy.db"` does) works while the store runs, and the copy is a store.
TEST_F(EventStoreOpenTest, BackupWhileRunning) {
    std::vector<EventRef> events;
    auto s = start_ok("ep");
    for (uint64_t i = 1; i <= 50; ++i) {
        events.emplace_back(numbered_event("c", i));
        s->numbered(i);
        s->kept(events.back().get(), Keep::history, "");
    }
    ASSERT_TRUE(wait_committed(*s));
    const std::string copy = (dir() / "copy.db").string();
    sqlite3 *src = nullptr, *dst = nullptr;
    ASSERT_EQ(sqlite3_open_v2(options.path.c_str(), &src, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_open(copy.c_str(), &dst), SQLITE_OK);
    sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
    ASSERT_NE(b, nullptr) << sqlite3_errmsg(dst);
    EXPECT_EQ(sqlite3_backup_step(b, -1), SQLITE_DONE) << sqlite3_errmsg(dst);
    sqlite3_backup_finish(b);
    sqlite3_close(src);
    sqlite3_close(dst);
    s->numbered(51);  // the running store keeps committing
    const uint64_t commits = s->stats().commits;
    ASSERT_TRUE(test::wait_until([&] { return s->stats().commits > commits; }));
    EXPECT_EQ(s->stats().failed_commits, 0u);

    options.path = copy;
    StoreSnapshot snap = reload();
    EXPECT_FALSE(snap.clean) << "copied while running";
    EXPECT_EQ(snap.events.size(), 50u);
    EXPECT_EQ(snap.high, 50u);
}

// A daemon killed while running: what it committed is there, and the next open
// knows it did not close the store.
TEST_F(EventStoreOpenTest, ACrashIsRecognised) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::string error;
        auto s = EventStore::open(options, &error);
        if (!s) _exit(1);
        s->set_epoch("crashed");
        if (!s->start(&error)) _exit(2);
        for (uint64_t i = 1; i <= 100; ++i) {
            Event* e = numbered_event("c", i, "crashed");
            s->numbered(i);
            s->kept(e, Keep::history, "");
            if (i % 10 == 0) s->kept(e, Keep::mailbox, "u" + std::to_string(i));
            e->release();
        }
        if (!wait_committed(*s)) _exit(3);
        _exit(0);  // no close(), no destructors: as if killed
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);

    StoreSnapshot snap = reload();
    EXPECT_FALSE(snap.clean);
    EXPECT_FALSE(snap.fresh);
    EXPECT_EQ(snap.epoch, "crashed");
    EXPECT_EQ(snap.high, 100u);
    ASSERT_EQ(snap.events.size(), 100u);
    EXPECT_EQ(snap.events[9].mailbox_users, std::vector<std::string>{"u10"});
    EXPECT_EQ(snap.events[99].event->id(), "crashed-100");

    // Opening and closing without running leaves the verdict as it was found.
    EXPECT_FALSE(reload().clean);
    // A run that closes properly makes it clean again.
    { auto s = start_ok(); }
    EXPECT_TRUE(reload().clean);
}

// Where a run starts numbering is in the file once start() returns: a kill
// right after it, before any record, still leaves it there; a start below what
// is stored never lowers it.
TEST_F(EventStoreOpenTest, TheNumberingsStartIsDurableBeforeTheFirstRecord) {
    { auto s = start_ok("ep"); }
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::string error;
        auto s = EventStore::open(options, &error);
        if (!s) _exit(1);
        s->set_start(4294967300u, 4294967300u);
        if (!s->start(&error)) _exit(2);
        _exit(0);  // killed at once: no record, no close()
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    StoreSnapshot snap = reload();
    EXPECT_FALSE(snap.clean);
    EXPECT_EQ(snap.high, 4294967300u);
    EXPECT_EQ(snap.history_floor, 4294967300u);

    {
        auto s = open_ok();
        s->set_start(7, 3);  // below what is stored: changes nothing
        std::string error;
        ASSERT_TRUE(s->start(&error)) << error;
    }
    snap = reload();
    EXPECT_TRUE(snap.clean);
    EXPECT_EQ(snap.high, 4294967300u);
    EXPECT_EQ(snap.history_floor, 4294967300u);
}

TEST_F(EventStoreOpenTest, StartTwiceIsRefused) {
    auto s = start_ok("ep");
    std::string error;
    EXPECT_FALSE(s->start(&error));
    EXPECT_CONTAINS(error, "start()");
}

}  // namespace
}  // namespace ringcast

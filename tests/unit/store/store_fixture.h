#pragma once
// Stores in tests: real SQLite files in a fresh temporary directory, waits with
// deadlines on the store's own counters, and a look at the tables themselves
// (with the sqlite3 library, once the store has let go of the file).
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "store/event_store.h"

namespace ringcast::test {

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (std::filesystem::temp_directory_path() / "ringcast-store-XXXXXX");
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        _dir = tmpl;
        options.path = (_dir / "ringcast.db").string();
        options.flush_interval_ms = 2;
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::permissions(_dir, std::filesystem::perms::owner_all, ec);
        std::filesystem::remove_all(_dir, ec);
    }

    const std::filesystem::path& dir() const { return _dir; }

    std::unique_ptr<EventStore> open_ok() {
        std::string error;
        auto s = EventStore::open(options, &error);
        EXPECT_NE(s, nullptr) << error;
        return s;
    }
    std::unique_ptr<EventStore> start_ok(std::string epoch = "") {
        auto s = open_ok();
        if (!s) return s;
        if (!epoch.empty()) s->set_epoch(std::move(epoch));
        std::string error;
        EXPECT_TRUE(s->start(&error)) << error;
        return s;
    }
    // Opens, loads and closes (cleanly, marking nothing new).
    StoreSnapshot reload() {
        StoreSnapshot snap;
        auto s = open_ok();
        if (!s) return snap;
        std::string error;
        EXPECT_TRUE(s->load(&snap, &error)) << error;
        return snap;
    }
    std::string open_error() {
        std::string error;
        auto s = EventStore::open(options, &error);
        EXPECT_EQ(s, nullptr) << "opened, but should not have";
        return error;
    }

    // One integer from the file, read without the store (which must be closed).
    int64_t query(const std::string& sql) {
        sqlite3* db = nullptr;
        int64_t v = -1;
        if (sqlite3_open_v2(options.path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) ==
            SQLITE_OK) {
            sqlite3_stmt* st = nullptr;
            if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
                sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
        sqlite3_close(db);
        return v;
    }
    void execute(const std::string& sql) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(options.path.c_str(), &db), SQLITE_OK);
        char* msg = nullptr;
        EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg), SQLITE_OK)
            << (msg ? msg : "");
        sqlite3_free(msg);
        sqlite3_close(db);
    }

    StoreOptions options;

private:
    std::filesystem::path _dir;
};

// Polls `done` until it holds or `limit` passes. `between` runs at each poll
// (a test playing the log shard calls the journal's poll() there).
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(10),
                       const std::function<void()>& between = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        if (between) between();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

// Everything handed over so far is committed.
inline bool wait_committed(EventStore& s,
                           std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    return wait_until([&] { return s.stats().pending == 0 && s.stats().commits > 0; }, limit,
                      [&] { s.poll(); });
}

}  // namespace ringcast::test

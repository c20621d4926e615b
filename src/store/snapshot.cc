#include "store/snapshot.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pubsub/event_record.h"

namespace ringcast {

namespace {

bool fail(std::string* error, const std::string& path, const sqlite::Db& db, const char* what) {
    *error = fmt::format(
        "store {}: reading {} failed: {}; if the file is damaged, move it away "
        "to start with an empty store, or restore a backup",
        path, what, db.message());
    return false;
}

}  // namespace

// Both tables are read in sequence order, in step: events by its rowid, mailbox
// by its primary key (seq, user). One decode and one allocation per event.
bool load_snapshot(const sqlite::Db& db, const std::string& path, const StoreMeta& meta,
                   StoreSnapshot* out, std::string* error) {
    out->fresh = meta.fresh;
    out->clean = meta.clean;
    out->epoch = meta.epoch;
    out->high = meta.high;
    out->history_floor = meta.floor;

    sqlite::Statement ev, mb, ch;
    if (ev.prepare(db, "SELECT seq, keeps, record FROM events ORDER BY seq") != SQLITE_OK ||
        mb.prepare(db, "SELECT seq, user FROM mailbox ORDER BY seq, user") != SQLITE_OK ||
        ch.prepare(db, "SELECT channel, seq FROM channel_evicted ORDER BY channel") != SQLITE_OK)
        return fail(error, path, db, "the tables");

    int mrc = mb.step();
    std::string why;
    int rc;
    while ((rc = ev.step()) == SQLITE_ROW) {
        const uint64_t seq = uint64_t(ev.column_int(0));
        const uint64_t keeps = uint64_t(ev.column_int(1));
        StoredEvent s;
        // Mailbox rows of this event; rows of events that have none are skipped.
        while (mrc == SQLITE_ROW && uint64_t(mb.column_int(0)) < seq)
            mrc = mb.step();
        while (mrc == SQLITE_ROW && uint64_t(mb.column_int(0)) == seq) {
            s.mailbox_users.emplace_back(mb.column_text(1));
            mrc = mb.step();
        }
        s.in_history = keeps & kKeepHistoryBit;
        s.in_cache = keeps & kKeepCacheBit;
        if (!s.in_history && !s.in_cache && s.mailbox_users.empty()) continue;  // held by none
        s.event = decode_event(ev.column_blob(2), &why);
        if (s.event && s.event->sequence() != seq) {
            why = fmt::format("the record says sequence {}", s.event->sequence());
            std::exchange(s.event, nullptr)->release();
        }
        if (!s.event) {
            if (out->unreadable++ == 0)
                spdlog::warn("store {}: event {} cannot be read ({}); left out", path, seq, why);
            continue;
        }
        out->events.push_back(std::move(s));
    }
    if (rc != SQLITE_DONE) return fail(error, path, db, "events");
    if (mrc != SQLITE_DONE && mrc != SQLITE_ROW) return fail(error, path, db, "mailboxes");
    while ((rc = ch.step()) == SQLITE_ROW)
        out->history_evicted.emplace_back(std::string(ch.column_text(0)),
                                          uint64_t(ch.column_int(1)));
    if (rc != SQLITE_DONE) return fail(error, path, db, "channel markers");
    if (out->unreadable > 1)
        spdlog::warn("store {}: {} events could not be read and were left out", path,
                     out->unreadable);
    return true;
}

}  // namespace ringcast

#include "server/store_setup.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "pubsub/event_id.h"
#include "server/options.h"

namespace ringcast {

bool open_durability(const Config& cfg, int64_t now_wall_ms, Durability* out, std::string* error) {
    const StoreOptions o = store_options(cfg);
    if (!cfg.cluster_redis.empty()) {
        // A cluster's numbering and history live in Redis (docs/scaling.md);
        // the log shard fills its keeps from there when it joins.
        out->epoch = make_epoch(uint64_t(now_wall_ms));
        if (!o.path.empty())
            spdlog::info(
                "store: not used in a cluster ([cluster] redis): history is kept in Redis, "
                "the persistent-event cache is rebuilt from it, mailboxes are off");
        return true;
    }
    if (o.path.empty()) {
        out->epoch = make_epoch(uint64_t(now_wall_ms));
        spdlog::warn(
            "store: off (store.path = \"\"): history, cached events and mailboxes do "
            "not survive a restart");
        return true;
    }
    const auto t0 = std::chrono::steady_clock::now();
    out->store = EventStore::open(o, error);
    if (!out->store) return false;
    StoreSnapshot& snap = out->snapshot;
    if (!out->store->load(&snap, error)) return false;
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    if (snap.epoch.empty()) {
        out->epoch = make_epoch(uint64_t(now_wall_ms));
        out->store->set_epoch(out->epoch);
        spdlog::info("store: {} (new), numbering {} from 1", o.path, out->epoch);
    } else {
        out->epoch = snap.epoch;
        out->floor = snap.history_floor;
        // Nothing at or below the floor may be numbered again either: after a
        // crash the floor is raised above the high-water mark (below), and a
        // clean stop before anything new was numbered leaves it there.
        const uint64_t known = std::max(snap.high, snap.history_floor);
        if (snap.clean) {
            out->next_sequence = known + 1;
        } else {
            out->next_sequence = known + kCrashSkip;
            out->floor = out->next_sequence - 1;
            spdlog::warn(
                "store: {} was not closed cleanly (a crash or a kill): what was numbered "
                "after {}-{} may be lost, so numbering continues at {}-{} and clients "
                "resuming from before it are told history-gap",
                o.path, out->epoch, known, out->epoch, out->next_sequence);
        }
        // Durable with start()'s commit, before the first number is handed out:
        // a crash right after this start must not let the next one number from
        // the same place again.
        out->store->set_start(out->next_sequence - 1, out->floor);
        size_t history = 0, cache = 0, mail = 0;
        for (const StoredEvent& s : snap.events) {
            history += s.in_history;
            cache += s.in_cache;
            mail += s.mailbox_users.size();
        }
        spdlog::info(
            "store: {} loaded in {} ms: {} events ({} in history, {} cached, {} mail), "
            "numbering {} from {}",
            o.path, ms, snap.events.size(), history, cache, mail, out->epoch, out->next_sequence);
        if (snap.unreadable)
            spdlog::error("store: {} rows of {} could not be read and were left out",
                          snap.unreadable, o.path);
    }
    return out->store->start(error);
}

}  // namespace ringcast

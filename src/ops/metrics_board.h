#pragma once
// Where each shard leaves its latest metric snapshot for GET /metrics.
//
// Every shard copies its figures (ShardSnapshot with SnapshotScope::metrics:
// counters, histograms, gauges, its census of streams) into its own slot every
// [metrics] snapshot_interval, on a timer of its loop (server/shard.cc); a
// scrape, on whichever shard took the request, reads every slot and answers at
// once (ops/metrics.h). No scrape asks a shard anything, so a shard busy with a
// fan-out, or stuck, neither delays a scrape nor gets work from it: the scrape
// shows its last snapshot, and that snapshot's age
// (ringcast_metrics_snapshot_age_seconds) says how fresh it is.
//
// Why slots and not the mesh: a snapshot handed over by message would have to
// go to every shard that might be scraped (N×N messages per interval, each
// handled by a loop that may be busy), or be asked for at scrape time, which is
// what this replaces. A slot is written by its shard alone and read without
// asking (core/snapshot_slot.h: neither side ever waits); /api/stats keeps
// its shard calls: it lists channels and users by name, more than a shard
// should copy every second for nobody.
#include <memory>
#include <vector>

#include "core/snapshot_slot.h"
#include "ops/stats.h"

namespace ringcast {

class MetricsBoard {
public:
    explicit MetricsBoard(unsigned shards)
        : _shards(shards), _slots(new SnapshotSlot<ShardSnapshot>[shards]) {}

    // On shard `shard`'s thread: fill(ShardSnapshot&) writes its snapshot over
    // the one it replaces. False if a scrape was copying that buffer: nothing
    // was written, try again shortly.
    template <typename Fill>
    bool publish(unsigned shard, Fill&& fill) {
        return _slots[shard].publish(std::forward<Fill>(fill));
    }

    // On any thread: every shard's latest snapshot, in shard order. A shard
    // that never published (taken_ns 0) is there with zeros.
    std::vector<ShardSnapshot> read_all() const {
        std::vector<ShardSnapshot> all;
        all.reserve(_shards);
        for (unsigned s = 0; s < _shards; ++s) {
            all.push_back(_slots[s].read());
            all.back().shard = s;
        }
        return all;
    }
    unsigned shards() const { return _shards; }

private:
    unsigned _shards;
    std::unique_ptr<SnapshotSlot<ShardSnapshot>[]> _slots;
};

}  // namespace ringcast

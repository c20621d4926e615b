// The metrics' costs that do not depend on the machine's load: what a shard pays
// per observation (LatencyHistogram::observe_us: one per event per shard for
// delivery, one per counted publish); what each shard pays every [metrics]
// snapshot_interval whether anyone scrapes or not: its walk over its
// connections for the census (BM_CensusWalk: each connection's queue size and
// protocol, as SseStreams::census reads them, over connections allocated one
// by one) and the copy of its snapshot into its slot of the board
// (BM_SnapshotPublish); and what a scrape pays on the shard that took it:
// reading every shard's snapshot (BM_SnapshotReadAll) and adding them up into
// the text (BM_RenderMetrics), for 2 and 16 shards with 4 endpoints and 10
// named channels. Nothing else runs on a shard for the metrics.
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/latency_histogram.h"
#include "net/connection.h"
#include "ops/metrics.h"
#include "ops/metrics_board.h"

namespace ringcast {
namespace {

// One shard's metrics snapshot as a daemon with `streams` streams on the
// shard, 4 endpoints and 10 named channels would take it.
ShardSnapshot sample_snapshot(unsigned shard, uint64_t streams) {
    ShardSnapshot snap;
    snap.shard = shard;
    snap.streams = streams;
    snap.metrics.census.by_endpoint.assign(4, streams / 4);
    for (int i = 0; i < 1000; ++i) {
        snap.metrics.delivery.observe_us(uint64_t(i * 37 % 9000));
        snap.metrics.publish_ack.observe_us(uint64_t(i * 53 % 20'000));
    }
    for (int c = 0; c < 10; ++c)
        snap.channels.push_back({"channel-" + std::to_string(c), 100, 1, 0, 0});
    return snap;
}

void BM_HistogramObserve(benchmark::State& state) {
    LatencyHistogram h;
    uint64_t us = 1;
    for (auto _ : state) {
        h.observe_us(us);
        us = (us * 7 + 13) % 20'000;  // spread over the buckets, cheaply
    }
    benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_HistogramObserve);

// The census's walk: every connection of the shard visited once.
void BM_CensusWalk(benchmark::State& state) {
    const size_t n = size_t(state.range(0));
    std::vector<std::unique_ptr<Connection>> conns;
    conns.reserve(n);
    for (size_t i = 0; i < n; ++i)
        conns.push_back(std::make_unique<Connection>());
    for (auto _ : state) {
        uint64_t queued = 0, http = 0;
        for (const auto& c : conns) {
            queued += c->queued_bytes();
            http += c->protocol() == 0;
        }
        benchmark::DoNotOptimize(queued);
        benchmark::DoNotOptimize(http);
    }
    state.counters["ns_per_connection"] =
        benchmark::Counter(double(state.iterations()) * double(n),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_CensusWalk)->Arg(1000)->Arg(10'000)->Arg(100'000);

// A snapshot, once taken, into the shard's slot: moved in, as
// StatsCollector::publish_metrics does (the copy stands for the taking, whose
// vectors and strings it allocates the same way).
void BM_SnapshotPublish(benchmark::State& state) {
    MetricsBoard board(1);
    const ShardSnapshot snap = sample_snapshot(0, 10'000);
    for (auto _ : state) {
        ShardSnapshot taken = snap;
        benchmark::DoNotOptimize(
            board.publish(0, [&](ShardSnapshot& slot) { slot = std::move(taken); }));
    }
}
BENCHMARK(BM_SnapshotPublish);

// A scrape's read of every shard's latest snapshot.
void BM_SnapshotReadAll(benchmark::State& state) {
    const unsigned shards = unsigned(state.range(0));
    MetricsBoard board(shards);
    for (unsigned s = 0; s < shards; ++s)
        board.publish(s, [&](ShardSnapshot& slot) { slot = sample_snapshot(s, 10'000 / shards); });
    for (auto _ : state) {
        std::vector<ShardSnapshot> all = board.read_all();
        benchmark::DoNotOptimize(all.data());
    }
}
BENCHMARK(BM_SnapshotReadAll)->Arg(2)->Arg(16);

void BM_RenderMetrics(benchmark::State& state) {
    const unsigned shards = unsigned(state.range(0));
    std::vector<ShardSnapshot> snaps;
    for (unsigned s = 0; s < shards; ++s)
        snaps.push_back(sample_snapshot(s, 10'000 / shards));
    snaps.back().has_log = true;
    snaps.back().store.enabled = true;
    MetricsContext ctx;
    ctx.endpoints = {"/api/sse/stream", "/api/sse/alerts", "/api/sse/admin", "/api/sse/live"};
    size_t bytes = 0;
    for (auto _ : state) {
        std::string text = render_metrics(snaps, ctx);
        bytes = text.size();
        benchmark::DoNotOptimize(text.data());
    }
    state.counters["bytes"] = double(bytes);
}
BENCHMARK(BM_RenderMetrics)->Arg(2)->Arg(16);

}  // namespace
}  // namespace ringcast

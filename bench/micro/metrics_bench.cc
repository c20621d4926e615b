// The metrics' costs that do not depend on the machine's load: what a shard pays
// per observation (LatencyHistogram::observe_us: one per event per shard for
// delivery, one per counted publish), and what the scraping shard pays to add
// up the snapshots and write the text (render_metrics), for 2 and 16 shards
// with 4 endpoints and 10 named channels. The rest of a scrape is one shard
// call per shard and each shard's walk over its connections (SseStreams::census),
// which grows with the streams: the load generator measures the whole scrape.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/latency_histogram.h"
#include "ops/metrics.h"

namespace ringcast {
namespace {

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

void BM_RenderMetrics(benchmark::State& state) {
    const unsigned shards = unsigned(state.range(0));
    std::vector<ShardSnapshot> snaps(shards);
    for (unsigned s = 0; s < shards; ++s) {
        ShardSnapshot& snap = snaps[s];
        snap.shard = s;
        snap.streams = 10'000 / shards;
        snap.metrics.census.by_endpoint.assign(4, snap.streams / 4);
        for (int i = 0; i < 1000; ++i) {
            snap.metrics.delivery.observe_us(uint64_t(i * 37 % 9000));
            snap.metrics.publish_ack.observe_us(uint64_t(i * 53 % 20'000));
        }
        for (int c = 0; c < 10; ++c)
            snap.channels.push_back({"channel-" + std::to_string(c), 100, 1, 0, 0});
    }
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

// Timer wheel costs: arming a connection's deadline, and firing it.
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/timer_wheel.h"

namespace {

using ringcast::TimerNode;
using ringcast::TimerWheel;

void BM_TimerSchedule(benchmark::State& st) {
    TimerWheel wheel(0);
    std::vector<TimerNode> nodes(size_t(st.range(0)));
    std::mt19937_64 rng(42);
    size_t i = 0;
    for (auto _ : st) {
        wheel.schedule(&nodes[i], 1000 + rng() % 60'000);  // reschedules once all are armed
        if (++i == nodes.size()) i = 0;
    }
    st.SetItemsProcessed(int64_t(st.iterations()));
}
BENCHMARK(BM_TimerSchedule)->Arg(10'000)->Arg(100'000);

// 10k heartbeats spread over 30 s, advanced in 1 ms steps: the per-turn cost.
void BM_TimerAdvance(benchmark::State& st) {
    const size_t n = 10'000;
    std::vector<TimerNode> nodes(n);
    TimerWheel wheel(0);
    for (size_t i = 0; i < n; ++i)
        wheel.schedule(&nodes[i], 1 + i * 3);
    uint64_t now = 0;
    size_t fired = 0;
    for (auto _ : st) {
        now += 1;
        fired += wheel.advance(now, [&](TimerNode* t) { wheel.schedule(t, now + 30'000); });
    }
    benchmark::DoNotOptimize(fired);
    st.counters["fired_per_turn"] = double(fired) / double(st.iterations());
}
BENCHMARK(BM_TimerAdvance);

}  // namespace

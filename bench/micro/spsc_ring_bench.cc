// Throughput of one shard-to-shard ring with a real consumer thread, as a
// function of the producer's batch size (messages per publish()).
#include <atomic>
#include <thread>

#include <benchmark/benchmark.h>

#include "core/mesh.h"
#include "core/spsc_ring.h"

namespace {

void BM_SpscRing(benchmark::State& st) {
    const size_t batch = size_t(st.range(0));
    constexpr uint64_t kPerIteration = 1 << 16;
    ringcast::SpscRing<ringcast::MeshMsg> ring(16384);
    std::atomic<uint64_t> target{0};
    std::atomic<bool> done{false};
    std::atomic<uint64_t> consumed{0};
    std::thread consumer([&] {
        uint64_t seen = 0, sum = 0;
        while (!done.load(std::memory_order_relaxed)) {
            seen += ring.consume([&](const ringcast::MeshMsg& m) { sum += m.a; });
            consumed.store(seen, std::memory_order_release);
        }
        benchmark::DoNotOptimize(sum);
    });
    uint64_t pushed = 0;
    for (auto _ : st) {
        uint64_t goal = pushed + kPerIteration;
        while (pushed < goal) {
            size_t n = 0;
            while (n < batch && pushed < goal &&
                   ring.try_push(ringcast::MeshMsg{1, 0, 0, pushed, 0})) {
                ++pushed;
                ++n;
            }
            ring.publish();
        }
        while (consumed.load(std::memory_order_acquire) < pushed) {
        }
    }
    done.store(true);
    consumer.join();
    st.SetItemsProcessed(int64_t(st.iterations()) * int64_t(kPerIteration));
}
BENCHMARK(BM_SpscRing)->Arg(1)->Arg(16)->Arg(256)->UseRealTime();

}  // namespace

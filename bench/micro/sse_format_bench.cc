// Serializing a published event into its SSE frame: done once per event, on the
// shard where the publish arrived, whatever the number of recipients.
#include <string>

#include <benchmark/benchmark.h>

#include "pubsub/event.h"

namespace {

std::string json_payload(size_t bytes) {
    std::string s = "{\"seq\":1,\"pad\":\"";
    while (s.size() + 2 < bytes)
        s += 'x';
    s += "\"}";
    return s;
}

void BM_EventBuild(benchmark::State& st) {
    std::string data = json_payload(size_t(st.range(0)));
    uint64_t seq = 1;
    for (auto _ : st) {
        ringcast::Event* e = ringcast::Event::build("bench", "tick", data, {}, 0);
        e->assign_sequence(seq++, "mk3l0q");
        benchmark::DoNotOptimize(e->data());
        e->release();
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(data.size()));
}
BENCHMARK(BM_EventBuild)->Arg(64)->Arg(256)->Arg(4096);

// Multi-line text payloads take the line-splitting path.
void BM_EventBuildMultiline(benchmark::State& st) {
    std::string data;
    while (data.size() < size_t(st.range(0)))
        data += "a line of text\n";
    for (auto _ : st) {
        ringcast::Event* e = ringcast::Event::build("bench", "tick", data, "id-1", 0);
        benchmark::DoNotOptimize(e->data());
        e->release();
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(data.size()));
}
BENCHMARK(BM_EventBuildMultiline)->Arg(256)->Arg(4096);

}  // namespace

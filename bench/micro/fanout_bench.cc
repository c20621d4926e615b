// The per-recipient cost of a fan-out on one shard: find the channel, then for
// every subscriber queue a reference to the same frame (Connection::queue_frame,
// the code the hub runs), and release it again as a completed send would. No
// kernel work is included: that is what ringcast-load measures.
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "net/connection.h"
#include "pubsub/channel_index.h"
#include "pubsub/event.h"

namespace {

using namespace ringcast;

void BM_FanoutQueue(benchmark::State& st) {
    const size_t k = size_t(st.range(0));
    LocalFramePool frames;
    OutChunkPool chunks;
    ChannelIndex index;
    const uint64_t hash = channel_hash("bench");
    Channel* ch = index.get_or_create("bench", hash);
    std::vector<std::unique_ptr<Connection>> conns;
    std::vector<Subscription> subs(k);
    for (size_t i = 0; i < k; ++i) {
        conns.push_back(std::make_unique<Connection>());
        subs[i].connection = conns.back().get();
        index.subscribe(subs[i], *ch);
    }
    std::string data = "{\"seq\":1,\"pad\":\"" + std::string(230, 'x') + "\"}";
    uint64_t seq = 1;
    for (auto _ : st) {
        Event* e = Event::build("bench", "tick", data, {}, 0);
        e->assign_sequence(seq++);
        LocalFrame* lf = frames.wrap(e);
        Channel* found = index.find("bench", hash);
        uint64_t queued = 0;
        for (Subscription* s : found->subscribers)
            queued += s->connection->queue_frame(lf, 1ull << 30, frames, chunks) ==
                      Connection::QueueResult::queued;
        frames.drop_if_unused(lf);
        benchmark::DoNotOptimize(queued);
        for (auto& c : conns) c->discard_queue(frames, chunks);  // as the sends complete
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * int64_t(k));
    st.counters["ns_per_recipient"] = benchmark::Counter(
        double(st.iterations()) * double(k), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_FanoutQueue)->Arg(100)->Arg(1000)->Arg(10000);

// Several events in a row before the queues drain: chunked queues at work.
void BM_FanoutBurst(benchmark::State& st) {
    const size_t k = 1000, burst = size_t(st.range(0));
    LocalFramePool frames;
    OutChunkPool chunks;
    ChannelIndex index;
    const uint64_t hash = channel_hash("bench");
    Channel* ch = index.get_or_create("bench", hash);
    std::vector<std::unique_ptr<Connection>> conns;
    std::vector<Subscription> subs(k);
    for (size_t i = 0; i < k; ++i) {
        conns.push_back(std::make_unique<Connection>());
        subs[i].connection = conns.back().get();
        index.subscribe(subs[i], *ch);
    }
    std::string data = "{\"seq\":1,\"pad\":\"" + std::string(230, 'x') + "\"}";
    for (auto _ : st) {
        for (size_t b = 0; b < burst; ++b) {
            Event* e = Event::build("bench", "tick", data, {}, 0);
            e->assign_sequence(b + 1);
            LocalFrame* lf = frames.wrap(e);
            for (Subscription* s : index.find("bench", hash)->subscribers)
                s->connection->queue_frame(lf, 1ull << 30, frames, chunks);
            frames.drop_if_unused(lf);
        }
        for (auto& c : conns) c->discard_queue(frames, chunks);
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * int64_t(k * burst));
}
BENCHMARK(BM_FanoutBurst)->Arg(4)->Arg(32);

}  // namespace

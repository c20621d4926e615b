// The per-recipient cost of a fan-out on one shard: find the channel, then for
// every subscriber queue a reference to the same frame (Connection::queue_frame,
// the code the hub runs), and release it again as a completed send would; and
// the same for recipients past their queue limit (the slow-reader policy). No
// kernel work is included: that is what ringcast-load measures.
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/clock.h"
#include "net/connection.h"
#include "net/queue_policy.h"
#include "pubsub/channel_index.h"
#include "pubsub/event.h"

namespace {

using namespace ringcast;

// One channel with k subscribed connections on one shard, plus the shard's pools.
struct Audience {
    explicit Audience(size_t k) : subs(k) {
        Channel* ch = index.get_or_create("bench", hash);
        for (size_t i = 0; i < k; ++i) {
            conns.push_back(std::make_unique<Connection>());
            subs[i].connection = conns.back().get();
            index.subscribe(subs[i], *ch);
        }
    }
    // Queues one reference to the event on every subscriber; returns how many took it.
    uint64_t fan_out(Event* e) {
        LocalFrame* lf = frames.wrap(e);
        uint64_t queued = 0;
        for (Subscription* s : index.find("bench", hash)->subscribers)
            queued += s->connection->queue_frame(lf, 1ull << 30, frames, chunks) ==
                      Connection::QueueResult::queued;
        frames.drop_if_unused(lf);
        return queued;
    }
    // What completed sends do: release every queued frame.
    void drain() {
        for (auto& c : conns)
            c->discard_queue(frames, chunks);
    }

    const uint64_t hash = channel_hash("bench");
    LocalFramePool frames;
    OutChunkPool chunks;
    ChannelIndex index;
    std::vector<std::unique_ptr<Connection>> conns;
    std::vector<Subscription> subs;
};

const std::string kData = "{\"seq\":1,\"pad\":\"" + std::string(230, 'x') + "\"}";

void BM_FanoutQueue(benchmark::State& st) {
    const size_t k = size_t(st.range(0));
    Audience a(k);
    uint64_t seq = 1;
    for (auto _ : st) {
        Event* e = Event::build("bench", "tick", kData, {}, 0);
        e->assign_sequence(seq++, "mk3l0q");
        benchmark::DoNotOptimize(a.fan_out(e));
        a.drain();
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * int64_t(k));
    st.counters["ns_per_recipient"] =
        benchmark::Counter(double(st.iterations()) * double(k),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_FanoutQueue)->Arg(100)->Arg(1000)->Arg(10000);

// Several events in a row before the queues drain: chunked queues at work.
void BM_FanoutBurst(benchmark::State& st) {
    const size_t k = 1000, burst = size_t(st.range(0));
    Audience a(k);
    for (auto _ : st) {
        for (size_t b = 0; b < burst; ++b) {
            Event* e = Event::build("bench", "tick", kData, {}, 0);
            e->assign_sequence(b + 1, "mk3l0q");
            a.fan_out(e);
        }
        a.drain();
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * int64_t(k * burst));
}
BENCHMARK(BM_FanoutBurst)->Arg(4)->Arg(32);

// The drop path: 1,000 recipients whose sockets are full and whose queues sit at
// delivery.queue_limit (64 KiB here, ~250 events each), taking one more event each,
// as Transport::enqueue() does past the soft limit (net/queue_policy.h). Arg 0:
// every event priority 5, so the newcomer stays and the queue compacts (drops its
// oldest down to 3/4 of the limit, once per ~60 events per recipient). Arg 1: the
// queues hold priority-9 events and the newcomer is a 1: refused without a walk.
void BM_FanoutDropPath(benchmark::State& st) {
    const bool refuse = st.range(0) == 1;
    const size_t k = 1000;
    const QueueLimits limits{.soft = 64 << 10, .hard = 256 << 10, .policy = SlowReaderPolicy::drop};
    LocalFramePool frames;
    OutChunkPool chunks;
    std::vector<OutQueue> queues(k);
    RemovedFrames removed;
    uint64_t seq = 1, dropped = 0;
    auto event = [&](uint8_t priority) {
        Message m;
        m.channel.assign("bench");
        m.event.assign("tick");
        m.data.assign(kData);
        m.priority = priority;
        Event* e = Event::build(m, 0);
        e->assign_sequence(seq++, "mk3l0q");
        return frames.wrap(e);
    };
    // One event to every queue, through the policy once over the limit.
    auto fan_out = [&](LocalFrame* lf) {
        const int64_t now = wall_ms();
        for (OutQueue& q : queues) {
            if (q.bytes() + lf->frame->size() <= limits.soft) {
                frames.add_user(lf);
                q.push(lf, chunks);
                continue;
            }
            admit_over_limit(q, lf, limits, /*writing=*/true, now, frames, chunks, &removed);
            dropped += removed.dropped.size();
            release_removed(&removed, lf, frames);
        }
        frames.drop_if_unused(lf);
    };
    const uint8_t queued_priority = refuse ? 9 : 5, new_priority = refuse ? 1 : 5;
    while (queues[0].bytes() + 300 <= limits.soft)
        fan_out(event(queued_priority));
    dropped = 0;
    for (auto _ : st)
        fan_out(event(new_priority));
    for (OutQueue& q : queues)
        q.clear(frames, chunks);
    st.SetItemsProcessed(int64_t(st.iterations()) * int64_t(k));
    st.counters["ns_per_recipient"] =
        benchmark::Counter(double(st.iterations()) * double(k),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    st.counters["dropped_per_event"] = double(dropped) / double(st.iterations() * k);
}
BENCHMARK(BM_FanoutDropPath)->Arg(0)->Arg(1);

}  // namespace

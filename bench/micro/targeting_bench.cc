// What targeting costs on one shard, through the fan-out's own selection code
// (pubsub/recipients.h) with the queueing of fanout_bench.cc:
//   BM_TargetOneUser/N      an event for one user (2 streams) on a channel of N
//                           subscribers: flat in N (the user index)
//   BM_TargetRole/N         an event for a role held by 1 in 10 of N subscribers:
//                           one bitset AND per subscriber
//   BM_TargetEveryone/N     the untargeted baseline
// The frame is serialized once in every case.
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "net/connection.h"
#include "pubsub/audience.h"
#include "pubsub/channel_index.h"
#include "pubsub/event.h"
#include "pubsub/recipients.h"

namespace {

using namespace ringcast;

// N authenticated subscribers of one channel: users u0..u(N/2-1) with two streams
// each; every tenth holds role "admin", the others "viewer".
struct Shard {
    explicit Shard(size_t n) : subs(n), members(n), ids(n) {
        Channel* ch = index.get_or_create("bench", hash);
        for (size_t i = 0; i < n; ++i) {
            conns.push_back(std::make_unique<Connection>());
            ids[i].user = "u" + std::to_string(i / 2);
            ids[i].authenticated = true;
            audience.set_names(ids[i], {i % 10 == 0 ? "admin" : "viewer"}, {});
            subs[i].connection = conns.back().get();
            subs[i].who = &ids[i];
            index.subscribe(subs[i], *ch);
            members[i].connection = conns.back().get();
            members[i].who = &ids[i];
            members[i].subs = &subs[i];
            members[i].nsubs = 1;
            audience.add(members[i]);
        }
    }
    uint64_t fan_out(Event* e) {
        LocalFrame* lf = frames.wrap(e);
        uint64_t queued = 0;
        for_each_recipient(*e, *index.find("bench", hash), audience, [&](Connection& c) {
            if (c.queue_frame(lf, 1ull << 30, frames, chunks) == Connection::QueueResult::queued) {
                ++queued;
                reached.push_back(&c);
            }
        });
        frames.drop_if_unused(lf);
        return queued;
    }
    // What completed sends do, for the recipients only: draining every
    // connection would make a one-user event look proportional to the channel.
    void drain() {
        for (Connection* c : reached)
            c->discard_queue(frames, chunks);
        reached.clear();
    }

    const uint64_t hash = channel_hash("bench");
    LocalFramePool frames;
    OutChunkPool chunks;
    ChannelIndex index;
    Audience audience;
    std::vector<std::unique_ptr<Connection>> conns;
    std::vector<Connection*> reached;  // queued to since the last drain()
    std::vector<Subscription> subs;
    std::vector<Member> members;
    std::vector<Identity> ids;
};

const std::string kData = "{\"seq\":1,\"pad\":\"" + std::string(230, 'x') + "\"}";

void run(benchmark::State& st, const Target& target, uint64_t want) {
    Shard shard(size_t(st.range(0)));
    Message m;
    m.channel = "bench";
    m.event = "tick";
    m.data = kData;
    m.target = target;
    uint64_t seq = 1;
    for (auto _ : st) {
        Event* e = Event::build(m, 1);
        e->assign_sequence(seq++, "mk3l0q");
        uint64_t got = shard.fan_out(e);
        if (got != want) {
            st.SkipWithError("wrong number of recipients");
            break;
        }
        shard.drain();
    }
    st.counters["recipients"] = double(want);
}

void BM_TargetOneUser(benchmark::State& st) {
    Target t;
    t.kind = Target::Kind::users;
    t.users = {"u7"};
    run(st, t, 2);
}
BENCHMARK(BM_TargetOneUser)->Arg(1000)->Arg(10000)->Arg(100000);

void BM_TargetRole(benchmark::State& st) {
    Target t;
    t.kind = Target::Kind::roles;
    t.roles = {"admin"};
    run(st, t, uint64_t(st.range(0) + 9) / 10);
}
BENCHMARK(BM_TargetRole)->Arg(1000)->Arg(10000)->Arg(100000);

void BM_TargetEveryone(benchmark::State& st) {
    run(st, Target{}, uint64_t(st.range(0)));
}
BENCHMARK(BM_TargetEveryone)->Arg(1000)->Arg(10000)->Arg(100000);

}  // namespace

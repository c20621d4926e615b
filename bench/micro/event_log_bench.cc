// What the log shard does per event and per catch-up (pubsub/event_log.h): number
// an event and keep it (history, and the cache when persistent), with and
// without the keeps, so that their cost per publish is a number; and answer a
// resume that needs N events of replay, the work a reconnect storm puts on the
// log shard. The store's own cost per change is BM_Journal* in store_bench.cc.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "pubsub/catch_up.h"
#include "pubsub/event_log.h"

namespace {

using namespace ringcast;

constexpr int64_t kNow = 1'800'000'000'000;

EventLogOptions options(bool keeps) {
    EventLogOptions o;
    o.history = {keeps ? 1000u : 0u, 1 << 20, 3'600'000, 256ull << 20};
    o.cache = {keeps ? 100u : 0u, 1 << 20, 86'400'000, 64ull << 20};
    o.mailbox = {keeps ? 100u : 0u, 1 << 20, 86'400'000, 64ull << 20};
    return o;
}

Message message(const std::string& channel, bool persistent) {
    Message m;
    m.channel = channel;
    m.event = "tick";
    m.data =
        R"({"seq":1,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})";
    m.timestamp_ms = kNow;
    m.persistent = persistent;
    return m;
}

// Arg 0: keeps off, 1: history on, 2: history and the cache (persistent events).
// Events go round-robin over 16 channels; the histories fill to their bounds, so
// the steady state drops one old event per new one.
void BM_LogNumber(benchmark::State& st) {
    const bool keeps = st.range(0) > 0, persistent = st.range(0) > 1;
    EventLog log(options(keeps), "ep", 1, nullptr);
    std::vector<Message> msgs;
    for (int c = 0; c < 16; ++c)
        msgs.push_back(message("ch" + std::to_string(c), persistent));
    size_t i = 0;
    for (auto _ : st) {
        Event* e = Event::build(msgs[i++ % msgs.size()], kNow);
        benchmark::DoNotOptimize(log.number(e, kNow));
        e->release();  // the keeps hold their own references
    }
    st.SetItemsProcessed(st.iterations());
}
BENCHMARK(BM_LogNumber)->Arg(0)->Arg(1)->Arg(2);

// The answer to one resume on a channel whose history holds 1000 events, needing
// the last N of them (the references taken and given back).
void BM_CatchUpAnswer(benchmark::State& st) {
    const int64_t n = st.range(0);
    EventLog log(options(true), "ep", 1, nullptr);
    const Message m = message("news", false);
    for (int i = 0; i < 1000; ++i) {
        Event* e = Event::build(m, kNow);
        log.number(e, kNow);
        e->release();
    }
    const std::string from = "ep-" + std::to_string(1000 - n);
    for (auto _ : st) {
        CatchUp r;
        r.channels = {"news"};
        r.last_id = from;
        log.answer(r, kNow);
        if (int64_t(r.events.size()) != n) st.SkipWithError("wrong replay");
        for (Event* e : r.events)
            e->release();
    }
    st.SetItemsProcessed(st.iterations() * n);
}
BENCHMARK(BM_CatchUpAnswer)->Arg(1)->Arg(100)->Arg(1000);

}  // namespace

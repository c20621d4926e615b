// The event store (src/store) on this machine's disk:
//   BM_JournalKeptDropped  what the log shard pays per Journal call (kept, then
//                          dropped), the writer thread running;
//   BM_JournalNumbered     the per-event high-water mark;
//   BM_StoreWriter         records committed per second, sync normal (0) and
//                          full (1): each iteration hands over 100k records
//                          (50k events kept, the previous 50k dropped) and waits
//                          until all are committed;
//   BM_StoreCommit         the writer's time per small commit (200 records),
//                          sync normal (0) and full (1, an fsync each);
//   BM_StoreLoad           open + load() + close of a store holding N events.
// Files go to $RINGCAST_BENCH_DIR (default: the system's temporary directory),
// which should be on the disk the daemon would use: fsync costs are the disk's.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "store/event_store.h"

namespace {

using namespace ringcast;
namespace fs = std::filesystem;

// Created at first use and removed at exit. Never destroyed itself: the exit
// handler runs after static destructors registered later.
const fs::path& bench_dir() {
    static const fs::path* dir = [] {
        const char* base = std::getenv("RINGCAST_BENCH_DIR");
        std::string tmpl = (fs::path(base ? base : fs::temp_directory_path().string()) /
                            "ringcast-store-bench-XXXXXX")
                               .string();
        if (!mkdtemp(tmpl.data())) std::abort();
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(bench_dir(), ec);
        });
        return new fs::path(tmpl);
    }();
    return *dir;
}

StoreOptions options_for(const std::string& name, bool full = false) {
    StoreOptions o;
    o.path = (bench_dir() / name).string();
    o.sync_full = full;
    return o;
}

void remove_store(const StoreOptions& o) {
    for (const char* suffix : {"", "-wal", "-shm", ".lock"})
        fs::remove(o.path + suffix);
}

std::unique_ptr<EventStore> started(const StoreOptions& o) {
    std::string error;
    auto s = EventStore::open(o, &error);
    if (!s || !s->start(&error)) {
        fprintf(stderr, "%s\n", error.c_str());
        std::abort();
    }
    return s;
}

// A typical event: a channel, a name, a JSON payload of about 150 bytes.
Event* event(uint64_t seq) {
    std::string data = "{\"id\":" + std::to_string(seq) +
                       ",\"title\":\"Deployment finished\",\"body\":\"" + std::string(100, 'x') +
                       "\"}";
    Event* e = Event::build("notifications", "notification", data, "", 1'700'000'000'000);
    e->assign_sequence(seq, "mk3l0q");
    return e;
}

// CPU seconds the writer thread ("ringcast-store") has used: unlike its wall
// time, not inflated by other processes sharing the cores.
double writer_cpu_seconds() {
    for (const auto& task : fs::directory_iterator("/proc/self/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string name;
        std::getline(comm, name);
        if (name != "ringcast-store") continue;
        std::ifstream stat(task.path() / "stat");
        std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        std::istringstream fields(text.substr(text.rfind(')') + 2));
        std::string f;
        uint64_t utime = 0, stime = 0;
        for (int i = 3; i <= 15 && fields >> f; ++i) {
            if (i == 14) utime = std::stoull(f);
            if (i == 15) stime = std::stoull(f);
        }
        return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
    }
    return 0;
}

void wait_committed(EventStore& s) {
    while (s.stats().pending > 0) {
        s.poll();
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
}

void BM_JournalKeptDropped(benchmark::State& st) {
    constexpr size_t kEvents = 2048;  // 4096 records: a quarter of the ring
    StoreOptions o = options_for("producer.db");
    o.flush_interval_ms = 1;
    remove_store(o);
    auto store = started(o);
    // Through the interface, as the log shard calls it: hidden from the compiler
    // so that it cannot see the final class and skip the virtual call.
    Journal* journal_ptr = store.get();
    benchmark::DoNotOptimize(journal_ptr);
    Journal& journal = *journal_ptr;
    std::vector<Event*> events;
    for (size_t i = 0; i < kEvents; ++i)
        events.push_back(event(i + 1));
    for (auto _ : st) {
        for (Event* e : events)
            journal.kept(e, Keep::history, "");
        for (Event* e : events)
            journal.dropped(*e, Keep::history, "");
        journal.poll();
        st.PauseTiming();
        wait_committed(*store);
        st.ResumeTiming();
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * int64_t(2 * kEvents));
    store->close();
    for (Event* e : events)
        e->release();
    remove_store(o);
}
BENCHMARK(BM_JournalKeptDropped)->Iterations(200);

void BM_JournalNumbered(benchmark::State& st) {
    StoreOptions o = options_for("numbered.db");
    remove_store(o);
    auto store = started(o);
    Journal* journal_ptr = store.get();
    benchmark::DoNotOptimize(journal_ptr);
    Journal& journal = *journal_ptr;
    uint64_t seq = 0;
    for (auto _ : st)
        journal.numbered(++seq);
    st.SetItemsProcessed(int64_t(st.iterations()));
    store->close();
    remove_store(o);
}
BENCHMARK(BM_JournalNumbered);

void BM_StoreWriter(benchmark::State& st) {
    constexpr uint64_t kEvents = 50'000;
    const bool full = st.range(0) != 0;
    StoreOptions o = options_for(full ? "writer-full.db" : "writer-normal.db", full);
    remove_store(o);
    auto store = started(o);
    std::vector<Event*> kept;
    uint64_t next = 1;
    uint64_t commits = 0;
    const uint64_t busy_before = store->stats().busy_us;
    const double cpu_before = writer_cpu_seconds();
    for (auto _ : st) {
        std::vector<Event*> batch;
        for (uint64_t i = 0; i < kEvents; ++i)
            batch.push_back(event(next++));
        const uint64_t before = store->stats().commits;
        for (Event* e : batch) {
            store->numbered(e->sequence());
            store->kept(e, Keep::history, "");
        }
        for (Event* e : kept) {
            store->dropped(*e, Keep::history, "");
            e->release();
        }
        kept = std::move(batch);
        wait_committed(*store);
        commits += store->stats().commits - before;
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * int64_t(2 * kEvents));
    st.counters["commits"] = benchmark::Counter(double(commits) / double(st.iterations()));
    // Records per second of the writer's own time in transactions: what the
    // writer could sustain if records arrived without pause.
    const double busy_s = double(store->stats().busy_us - busy_before) / 1e6;
    const double records = double(st.iterations()) * double(2 * kEvents);
    st.counters["writer_records_per_s"] = benchmark::Counter(records / busy_s);
    st.counters["writer_cpu_us_per_record"] =
        benchmark::Counter((writer_cpu_seconds() - cpu_before) * 1e6 / records);
    store->close();
    for (Event* e : kept)
        e->release();
    remove_store(o);
}
BENCHMARK(BM_StoreWriter)
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

// One small commit, as at a steady publish rate: 100 events kept, the previous
// 100 dropped, then wait for the commit. Reports the writer's time per commit,
// where sync = full pays its fsync.
void BM_StoreCommit(benchmark::State& st) {
    constexpr uint64_t kEvents = 100;
    const bool full = st.range(0) != 0;
    StoreOptions o = options_for(full ? "commit-full.db" : "commit-normal.db", full);
    o.flush_interval_ms = 1;
    remove_store(o);
    auto store = started(o);
    std::vector<Event*> kept;
    uint64_t next = 1;
    const uint64_t busy_before = store->stats().busy_us;
    const uint64_t commits_before = store->stats().commits;
    for (auto _ : st) {
        std::vector<Event*> batch;
        for (uint64_t i = 0; i < kEvents; ++i)
            batch.push_back(event(next++));
        for (Event* e : batch)
            store->kept(e, Keep::history, "");
        for (Event* e : kept) {
            store->dropped(*e, Keep::history, "");
            e->release();
        }
        kept = std::move(batch);
        wait_committed(*store);
    }
    const double commits = double(store->stats().commits - commits_before);
    st.counters["commit_us"] =
        benchmark::Counter(double(store->stats().busy_us - busy_before) / commits);
    store->close();
    for (Event* e : kept)
        e->release();
    remove_store(o);
}
BENCHMARK(BM_StoreCommit)
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(1.0);

// Built once per size and kept for every repetition.
const StoreOptions& filled_store(uint64_t n) {
    static std::map<uint64_t, StoreOptions> built;
    auto it = built.find(n);
    if (it != built.end()) return it->second;
    StoreOptions o = options_for("load-" + std::to_string(n) + ".db");
    o.max_pending = n + 1024;
    remove_store(o);
    {
        auto store = started(o);
        store->set_epoch("mk3l0q");
        for (uint64_t seq = 1; seq <= n; ++seq) {
            Event* e = event(seq);
            store->numbered(seq);
            store->kept(e, Keep::history, "");
            if (seq % 10 == 0) store->kept(e, Keep::mailbox, "user-" + std::to_string(seq % 977));
            e->release();
            if (seq % 16384 == 0) wait_committed(*store);
        }
        store->close();
    }
    return built.emplace(n, o).first->second;
}

void BM_StoreLoad(benchmark::State& st) {
    const uint64_t n = uint64_t(st.range(0));
    const StoreOptions& o = filled_store(n);
    for (auto _ : st) {
        std::string error;
        auto store = EventStore::open(o, &error);
        StoreSnapshot snap;
        if (!store || !store->load(&snap, &error) || snap.events.size() != n) {
            st.SkipWithError(error.c_str());
            break;
        }
        store->close();
        st.PauseTiming();  // releasing a million events is the caller's business
        snap = StoreSnapshot();
        st.ResumeTiming();
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * int64_t(n));
    st.counters["file_MiB"] = benchmark::Counter(double(fs::file_size(o.path)) / (1 << 20));
}
BENCHMARK(BM_StoreLoad)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

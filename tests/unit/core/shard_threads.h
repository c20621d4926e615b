#pragma once
// Real shards for unit tests of the reactor, the mesh and shard calls (as h2o's
// t/00unit/lib/common/multithread.c tests its queues): each TestShard is a
// Reactor running its loop on a thread of its own, with its own ring.
//
// The test thread drives them the way the daemon's main thread does: with
// MSG_RING completions tagged Op::stop from a ring of its own (the only way into
// a shard's ring from another thread). Here the payload is a function to run on
// the shard's thread (ShardDriver::run_on), or 0 to make the shard leave its loop.
// What the shards report back, the test thread waits for on a Progress, never by
// sleeping.
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "core/mesh.h"
#include "core/reactor.h"
#include "core/ring.h"
#include "core/user_data.h"

namespace ringcast::test {

// The calling thread's id as the kernel knows it: where a part of a call ran.
inline pid_t this_thread_id() {
    return pid_t(syscall(SYS_gettid));
}

// Lets the test thread wait for what a shard thread reports, without polling.
class Progress {
public:
    void notify() {
        std::lock_guard<std::mutex> lock(_mutex);
        _cv.notify_all();
    }
    template <typename Pred>
    bool wait(Pred pred, std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(_mutex);
        return _cv.wait_for(lock, timeout, pred);
    }

private:
    std::mutex _mutex;
    std::condition_variable _cv;
};

// A Reactor on its own thread. Hooks the test does not expect count as
// unexpected(); a derived shard overrides the ones it uses.
class TestShard : public ReactorHooks {
public:
    TestShard(unsigned id, Mesh& mesh, Progress& progress)
        : _id(id), _reactor(id, mesh), _progress(progress) {}
    ~TestShard() override { join(); }

    // Builds the ring on the new thread (it is bound to its creator) and runs
    // the loop there. Returns init's result.
    int start() {
        std::promise<int> ready;
        std::future<int> result = ready.get_future();
        _thread = std::thread([this, &ready] {
            _tid.store(this_thread_id());
            ReactorOptions opts;
            opts.ring = RingOptions{64, 256};
            opts.recv_buffers = 8;  // unused, but the reactor registers a buffer ring
            opts.recv_buffer_size = 512;
            const char* what = "";
            int r = _reactor.init(opts, &what);
            ready.set_value(r);
            if (r == 0) _reactor.run(*this);
        });
        return result.get();
    }
    void join() {
        if (_thread.joinable()) _thread.join();
    }

    unsigned id() const { return _id; }
    pid_t tid() const { return _tid.load(); }
    // The reactor, for code running on this shard's thread only.
    Reactor& reactor() { return _reactor; }
    uint64_t unexpected() const { return _unexpected.load(); }

    // ReactorHooks, all on the shard's thread.
    void on_message(const MeshMsg&) override { _unexpected.fetch_add(1); }
    void on_stop_requested(uint64_t payload) override {
        if (payload == 0) {
            _reactor.finish();
            return;
        }
        std::unique_ptr<std::function<void()>> fn(
            reinterpret_cast<std::function<void()>*>(uintptr_t(payload)));
        (*fn)();
    }
    void on_completion(const io_uring_cqe&) override { _unexpected.fetch_add(1); }
    void on_timer(TimerNode*) override { _unexpected.fetch_add(1); }
    void before_sleep() override {}
    bool has_pending_work() override { return false; }

protected:
    void count_unexpected() { _unexpected.fetch_add(1); }
    // Wakes the test thread waiting for what this shard reports.
    void notify() { _progress.notify(); }

private:
    unsigned _id;
    Reactor _reactor;
    Progress& _progress;
    std::thread _thread;
    std::atomic<pid_t> _tid{0};
    std::atomic<uint64_t> _unexpected{0};
};

// The test thread's side: a ring of its own to post into the shards' rings.
class ShardDriver {
public:
    explicit ShardDriver(Mesh& mesh) : _mesh(mesh) {}

    // Must succeed before anything is posted.
    int init() { return _control.init(RingOptions{8, 16}); }

    // Runs `fn` on the shard's thread, in its loop (between two turns' work).
    void run_on(unsigned shard, std::function<void()> fn) {
        auto* heap = new std::function<void()>(std::move(fn));
        if (!post(shard, reinterpret_cast<uintptr_t>(heap))) delete heap;
    }
    // Makes the shard leave its loop. A completion like any other: it wakes a
    // shard however it sleeps, so the threads end even after a lost wakeup.
    void stop(unsigned shard) {
        if (_mesh.ring_fd(shard) >= 0) post(shard, 0);
    }

private:
    bool post(unsigned shard, uint64_t payload) {
        io_uring_sqe* sqe = _control.sqe();
        EXPECT_NE(sqe, nullptr);
        if (!sqe) return false;
        io_uring_prep_msg_ring(sqe, _mesh.ring_fd(shard), 0, tag(Op::stop, payload), 0);
        io_uring_sqe_set_data64(sqe, 1);
        EXPECT_GE(_control.enter(1, 5'000'000'000u), 0);
        int res = -ETIME;
        _control.drain([&](const io_uring_cqe& cqe) { res = cqe.res; });
        EXPECT_EQ(res, 0) << "MSG_RING to shard " << shard;
        return res == 0;
    }

    Mesh& _mesh;
    Ring _control;
};

// A test with two shards of type S (a TestShard), running from SetUp to
// TearDown, their mesh rings 64 slots a pair: a burst larger than that goes
// through the sender's overflow queue.
template <typename S>
class TwoShardTest : public ::testing::Test {
protected:
    static constexpr size_t kRingSlots = 64;

    void SetUp() override {
        ASSERT_EQ(_driver.init(), 0);
        ASSERT_EQ(_a.start(), 0);
        ASSERT_EQ(_b.start(), 0);
    }
    void TearDown() override { stop(); }
    // Makes both shards leave their loops and waits for their threads.
    void stop() {
        _driver.stop(0);
        _driver.stop(1);
        _a.join();
        _b.join();
        EXPECT_EQ(_a.unexpected(), 0u);
        EXPECT_EQ(_b.unexpected(), 0u);
    }
    S& shard(unsigned i) { return i == 0 ? _a : _b; }

    Mesh _mesh{2, kRingSlots};
    Progress _progress;
    S _a{0, _mesh, _progress};
    S _b{1, _mesh, _progress};
    ShardDriver _driver{_mesh};
};

}  // namespace ringcast::test

// The reactor and the mesh between shards, with real threads and real rings (as
// h2o's t/00unit/lib/common/multithread.c tests its queues): two shards, each a
// Reactor running on its own thread. A message from one wakes the other while it
// sleeps in io_uring_enter (the doorbell), no wakeup is lost when messages race
// with a shard going to sleep, and messages between a pair arrive in the order
// they were sent, through a ring small enough to overflow.
//
// The test thread drives the shards the way the daemon's main thread does: with
// MSG_RING completions tagged Op::stop from a ring of its own (the only way into
// a shard's ring from another thread). Here the "phase" they carry is a command
// the test's hooks carry out on the shard's thread.
#include "core/reactor.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "core/mesh.h"
#include "core/user_data.h"
#include "support/random.h"

namespace ringcast {
namespace {

using namespace std::chrono_literals;

// Commands from the test thread (Op::stop's payload: command in the low byte,
// argument above it).
enum Command : uint8_t { kExit = 1, kSendBurst = 2, kStream = 3, kStartPingPong = 4 };
constexpr uint64_t command(Command c, uint64_t arg = 0) {
    return uint64_t(c) | (arg << 8);
}

// Mesh message kinds of this test.
enum Kind : uint16_t { kData = 1, kPing = 2, kPong = 3 };

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

// One shard: a Reactor on its own thread, hooks that count what arrives.
class TestShard : public ReactorHooks {
public:
    TestShard(unsigned id, Mesh& mesh, Progress& progress)
        : _id(id), _peer(1 - id), _reactor(id, mesh), _progress(progress) {}

    // Builds the ring on the new thread (it is bound to its creator) and runs
    // the loop there. Returns init's result.
    int start() {
        std::promise<int> ready;
        std::future<int> result = ready.get_future();
        _thread = std::thread([this, &ready] {
            _tid.store(pid_t(syscall(SYS_gettid)));
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

    pid_t tid() const { return _tid.load(); }
    uint64_t received() const { return _received.load(); }
    uint64_t out_of_order() const { return _out_of_order.load(); }
    uint64_t round_trips() const { return _round_trips.load(); }
    uint64_t unexpected() const { return _unexpected.load(); }
    bool exited() const { return _exited.load(); }
    // Set before a command: notify the test thread once this many data
    // messages (in total) or round trips are reached.
    void expect(uint64_t received, uint64_t round_trips = 0) {
        _expect_received.store(received);
        _expect_round_trips.store(round_trips);
    }

    // ReactorHooks, all on the shard's thread.
    void on_message(const MeshMsg& m) override {
        switch (m.kind) {
            case kData: {
                if (m.a != _next_seq) _out_of_order.fetch_add(1);
                _next_seq = m.a + 1;
                uint64_t n = _received.fetch_add(1) + 1;
                if (n == _expect_received.load()) _progress.notify();
                return;
            }
            case kPing: _reactor.send(_peer, MeshMsg{kPong, 0, 0, m.a, 0}); return;
            case kPong: {
                uint64_t n = _round_trips.fetch_add(1) + 1;
                if (m.a != n) _out_of_order.fetch_add(1);
                if (n < _ping_pongs) {
                    _reactor.send(_peer, MeshMsg{kPing, 0, 0, n + 1, 0});
                } else {
                    _progress.notify();
                }
                return;
            }
            default: _unexpected.fetch_add(1);
        }
    }
    void on_stop_requested(uint64_t phase) override {
        const uint64_t arg = phase >> 8;
        switch (Command(phase & 0xff)) {
            case kExit:
                _exited.store(true);
                _reactor.finish();
                return;
            case kSendBurst:
                for (uint64_t i = 0; i < arg; ++i)
                    _reactor.send(_peer, MeshMsg{kData, 0, 0, _sent++, 0});
                return;
            case kStream: _stream_left = arg; return;
            case kStartPingPong:
                _ping_pongs = arg;
                _reactor.send(_peer, MeshMsg{kPing, 0, 0, 1, 0});
                return;
        }
        _unexpected.fetch_add(1);
    }
    void on_completion(const io_uring_cqe&) override { _unexpected.fetch_add(1); }
    void on_timer(TimerNode*) override { _unexpected.fetch_add(1); }
    // A stream sends one to three messages a turn, published at the start of
    // the next (reactor step 3), and keeps this shard from sleeping meanwhile.
    void before_sleep() override {
        if (_stream_left == 0) return;
        _jitter = _jitter * 6364136223846793005u + 1442695040888963407u;
        for (uint64_t n = 1 + (_jitter >> 62) % 3; n > 0 && _stream_left > 0; --n, --_stream_left)
            _reactor.send(_peer, MeshMsg{kData, 0, 0, _sent++, 0});
    }
    bool has_pending_work() override { return _stream_left > 0; }

private:
    unsigned _id;
    unsigned _peer;
    Reactor _reactor;
    Progress& _progress;
    std::thread _thread;
    std::atomic<pid_t> _tid{0};
    // Shard thread only.
    uint64_t _sent = 0;
    uint64_t _next_seq = 0;
    uint64_t _ping_pongs = 0;
    uint64_t _stream_left = 0;
    uint64_t _jitter = 1;
    // Read by the test thread.
    std::atomic<uint64_t> _received{0};
    std::atomic<uint64_t> _out_of_order{0};
    std::atomic<uint64_t> _round_trips{0};
    std::atomic<uint64_t> _unexpected{0};
    std::atomic<uint64_t> _expect_received{0};
    std::atomic<uint64_t> _expect_round_trips{0};
    std::atomic<bool> _exited{false};
};

// The scheduler's view of a thread: 'S' while it sleeps interruptibly (here:
// in io_uring_enter, waiting for a completion), 'R' while it runs.
char thread_state(pid_t tid) {
    std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string line;
    std::getline(f, line);
    size_t p = line.rfind(')');  // the name may hold spaces and parentheses
    return p != std::string::npos && p + 2 < line.size() ? line[p + 2] : '?';
}

class ReactorMeshTest : public ::testing::Test {
protected:
    // A mesh ring of 64 slots: a burst larger than that goes through the
    // sender's overflow queue, which must keep the order.
    static constexpr size_t kRingSlots = 64;

    void SetUp() override {
        ASSERT_EQ(_control.init(RingOptions{8, 16}), 0);
        ASSERT_EQ(_a.start(), 0);
        ASSERT_EQ(_b.start(), 0);
    }
    void TearDown() override {
        // The exit command is a completion like any other: it wakes a shard
        // however it sleeps, so the threads end even after a lost wakeup.
        for (unsigned shard = 0; shard < 2; ++shard)
            if (_mesh.ring_fd(shard) >= 0) tell(shard, command(kExit));
        _a.join();
        _b.join();
        EXPECT_EQ(_a.unexpected(), 0u);
        EXPECT_EQ(_b.unexpected(), 0u);
    }

    // Posts a command into a shard's ring, as the daemon posts Op::stop.
    void tell(unsigned shard, uint64_t cmd) {
        io_uring_sqe* sqe = _control.sqe();
        ASSERT_NE(sqe, nullptr);
        io_uring_prep_msg_ring(sqe, _mesh.ring_fd(shard), 0, tag(Op::stop, cmd), 0);
        io_uring_sqe_set_data64(sqe, 1);
        ASSERT_GE(_control.enter(1, 5'000'000'000u), 0);
        int res = -ETIME;
        _control.drain([&](const io_uring_cqe& cqe) { res = cqe.res; });
        ASSERT_EQ(res, 0) << "MSG_RING to shard " << shard;
    }

    // Waits until the shard has announced that it sleeps (the flag a producer
    // reads) and its thread sleeps in the kernel: nothing but a completion can
    // wake it now. Nothing signals this, so it is looked at, a bounded number of
    // times.
    bool asleep_in_kernel(unsigned shard, TestShard& s) {
        for (int i = 0; i < 5000; ++i) {
            if (_mesh.sleeping(shard).load() && thread_state(s.tid()) == 'S') return true;
            std::this_thread::sleep_for(1ms);
        }
        return false;
    }

    Mesh _mesh{2, kRingSlots};
    Progress _progress;
    TestShard _a{0, _mesh, _progress};
    TestShard _b{1, _mesh, _progress};
    Ring _control;  // the test thread's, for commands
};

TEST_F(ReactorMeshTest, AMessageWakesAShardAsleepInTheKernel) {
    ASSERT_TRUE(asleep_in_kernel(1, _b));
    ASSERT_TRUE(asleep_in_kernel(0, _a));
    _b.expect(1);
    tell(0, command(kSendBurst, 1));
    // b has no timer: without a doorbell it would sleep for ever.
    ASSERT_TRUE(_progress.wait([&] { return _b.received() == 1; }, 5000ms))
        << "shard 1 never saw the message";
    EXPECT_EQ(_b.out_of_order(), 0u);
    // And it goes back to sleep once there is nothing left to do.
    EXPECT_TRUE(asleep_in_kernel(1, _b));
}

TEST_F(ReactorMeshTest, NoWakeupIsLostWhenMessagesRaceWithSleep) {
    // Each round, a publishes a few messages every turn for a few turns, then
    // stops; b drains them as they come and goes to sleep between batches. So
    // a's last publish lands at any point of b's way to sleep: before b's last
    // look at its rings (b must see it there) or after (a must see b's flag
    // and ring the doorbell). A miss leaves b asleep with messages waiting, and
    // nothing else will come to wake it.
    RINGCAST_SEEDED_RNG(rng);
    uint64_t total = 0;
    for (int round = 0; round < 2000; ++round) {
        const uint64_t messages = rng.between(1, 40);
        total += messages;
        _b.expect(total);
        tell(0, command(kStream, messages));
        ASSERT_TRUE(_progress.wait([&] { return _b.received() == total; }, 5000ms))
            << "round " << round << ": shard 1 has " << _b.received() << " of " << total;
    }
    EXPECT_EQ(_b.out_of_order(), 0u);
}

TEST_F(ReactorMeshTest, BurstsPastTheRingArriveInOrder) {
    // Bursts of up to three rings' worth: what does not fit waits in a's
    // overflow queue and follows in order, in later turns, each round
    // starting while b is on its way to sleep after the last one.
    RINGCAST_SEEDED_RNG(rng);
    uint64_t total = 0;
    for (int round = 0; round < 300; ++round) {
        const uint64_t burst = rng.between(1, 3 * kRingSlots);
        total += burst;
        _b.expect(total);
        tell(0, command(kSendBurst, burst));
        ASSERT_TRUE(_progress.wait([&] { return _b.received() == total; }, 5000ms))
            << "round " << round << ": shard 1 has " << _b.received() << " of " << total;
    }
    EXPECT_EQ(_b.out_of_order(), 0u);
}

TEST_F(ReactorMeshTest, PingPongBetweenShardsThatSleepBetweenMessages) {
    // Every message finds its receiver asleep or falling asleep: a lost
    // doorbell stops the exchange for good.
    constexpr uint64_t kRoundTrips = 5000;
    ASSERT_TRUE(asleep_in_kernel(1, _b));
    tell(0, command(kStartPingPong, kRoundTrips));
    ASSERT_TRUE(_progress.wait([&] { return _a.round_trips() == kRoundTrips; }, 30'000ms))
        << "stopped after " << _a.round_trips() << " round trips";
    EXPECT_EQ(_a.out_of_order(), 0u);
}

}  // namespace
}  // namespace ringcast

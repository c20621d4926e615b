// The reactor and the mesh between shards, with real threads and real rings (as
// h2o's t/00unit/lib/common/multithread.c tests its queues): two shards, each a
// Reactor running on its own thread. A message from one wakes the other while it
// sleeps in io_uring_enter (the doorbell), no wakeup is lost when messages race
// with a shard going to sleep, and messages between a pair arrive in the order
// they were sent, through a ring small enough to overflow.
//
// The shards and the test thread's driver are in shard_threads.h.
#include "core/reactor.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "core/mesh.h"
#include "core/mesh_kinds.h"
#include "core/shard_threads.h"
#include "support/random.h"

namespace ringcast {
namespace {

using namespace std::chrono_literals;

// Mesh message kinds of this test, after the daemon's own (the reactor takes
// its shard-call kinds before a message reaches the hooks).
enum Kind : uint16_t { kData = uint16_t(MeshKind::count), kPing, kPong };

// A shard that counts what arrives from its peer, checks the order, and sends
// what the test asks for (bursts, a stream over several turns, a ping-pong).
class MeshShard : public test::TestShard {
public:
    MeshShard(unsigned id, Mesh& mesh, test::Progress& progress)
        : TestShard(id, mesh, progress), _peer(1 - id) {}

    uint64_t received() const { return _received.load(); }
    uint64_t out_of_order() const { return _out_of_order.load(); }
    uint64_t round_trips() const { return _round_trips.load(); }
    // Set before a command: notify the test thread once this many data
    // messages (in total) are reached.
    void expect(uint64_t received) { _expect_received.store(received); }

    // Commands, on the shard's thread (ShardDriver::run_on).
    void send_burst(uint64_t n) {
        for (uint64_t i = 0; i < n; ++i)
            reactor().send(_peer, MeshMsg{kData, 0, 0, _sent++, 0});
    }
    void stream(uint64_t n) { _stream_left = n; }
    void start_ping_pong(uint64_t round_trips) {
        _ping_pongs = round_trips;
        reactor().send(_peer, MeshMsg{kPing, 0, 0, 1, 0});
    }

    // ReactorHooks, all on the shard's thread.
    void on_message(const MeshMsg& m) override {
        switch (m.kind) {
            case kData: {
                if (m.a != _next_seq) _out_of_order.fetch_add(1);
                _next_seq = m.a + 1;
                uint64_t n = _received.fetch_add(1) + 1;
                if (n == _expect_received.load()) notify();
                return;
            }
            case kPing: reactor().send(_peer, MeshMsg{kPong, 0, 0, m.a, 0}); return;
            case kPong: {
                uint64_t n = _round_trips.fetch_add(1) + 1;
                if (m.a != n) _out_of_order.fetch_add(1);
                if (n < _ping_pongs) {
                    reactor().send(_peer, MeshMsg{kPing, 0, 0, n + 1, 0});
                } else {
                    notify();
                }
                return;
            }
            default: count_unexpected();
        }
    }
    // A stream sends one to three messages a turn, published at the start of
    // the next (reactor step 3), and keeps this shard from sleeping meanwhile.
    void before_sleep() override {
        if (_stream_left == 0) return;
        _jitter = _jitter * 6364136223846793005u + 1442695040888963407u;
        for (uint64_t n = 1 + (_jitter >> 62) % 3; n > 0 && _stream_left > 0; --n, --_stream_left)
            reactor().send(_peer, MeshMsg{kData, 0, 0, _sent++, 0});
    }
    bool has_pending_work() override { return _stream_left > 0; }

private:
    unsigned _peer;
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
    std::atomic<uint64_t> _expect_received{0};
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

class ReactorMeshTest : public test::TwoShardTest<MeshShard> {
protected:
    // Waits until the shard has announced that it sleeps (the flag a producer
    // reads) and its thread sleeps in the kernel: nothing but a completion can
    // wake it now. Nothing signals this, so it is looked at, a bounded number of
    // times.
    bool asleep_in_kernel(unsigned shard, MeshShard& s) {
        for (int i = 0; i < 5000; ++i) {
            if (_mesh.sleeping(shard).load() && thread_state(s.tid()) == 'S') return true;
            std::this_thread::sleep_for(1ms);
        }
        return false;
    }
};

TEST_F(ReactorMeshTest, AMessageWakesAShardAsleepInTheKernel) {
    ASSERT_TRUE(asleep_in_kernel(1, _b));
    ASSERT_TRUE(asleep_in_kernel(0, _a));
    _b.expect(1);
    _driver.run_on(0, [&] { _a.send_burst(1); });
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
        _driver.run_on(0, [&, messages] { _a.stream(messages); });
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
        _driver.run_on(0, [&, burst] { _a.send_burst(burst); });
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
    _driver.run_on(0, [&] { _a.start_ping_pong(kRoundTrips); });
    ASSERT_TRUE(_progress.wait([&] { return _a.round_trips() == kRoundTrips; }, 30'000ms))
        << "stopped after " << _a.round_trips() << " round trips";
    EXPECT_EQ(_a.out_of_order(), 0u);
}

}  // namespace
}  // namespace ringcast

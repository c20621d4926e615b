// Shard calls (core/shard_call.h) and gather (core/shard_gather.h) on two real
// shards (shard_threads.h): where each part runs, that nothing runs inside the
// call that asked, answers given later, one-way posts, the order of gathered
// parts, and a burst far past the mesh ring's size. Each call counts its
// destruction, so a call the reactor leaks or frees twice fails the test.
#include "core/shard_call.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "core/mesh.h"
#include "core/reactor.h"
#include "core/shard_gather.h"
#include "core/shard_threads.h"

namespace ringcast {
namespace {

using namespace std::chrono_literals;

// What the calls of a test report, read by the test thread once the progress
// it waits for is reached.
struct Log {
    std::atomic<int> constructed{0};
    std::atomic<int> destroyed{0};
    std::atomic<int> completed{0};
    std::atomic<pid_t> ran_on{0};
    std::atomic<pid_t> completed_on{0};
    std::atomic<int> reentered{0};     // a part ran inside the call() that asked
    std::atomic<int> out_of_order{0};  // completions not in the order of the calls
};

// A call that records where its parts run. `tag` numbers the calls of a burst.
class Probe : public ShardCall {
public:
    Probe(Log& log, test::Progress& progress, int tag = 0, const bool* asking = nullptr)
        : _log(log), _progress(progress), _tag(tag), _asking(asking) {
        _log.constructed.fetch_add(1);
    }
    ~Probe() override {
        _log.destroyed.fetch_add(1);
        _progress.notify();
    }

    bool run(Reactor&) override {
        if (_asking && *_asking) _log.reentered.fetch_add(1);
        _log.ran_on.store(test::this_thread_id());
        return true;
    }
    void complete() override {
        if (_asking && *_asking) _log.reentered.fetch_add(1);
        if (_log.completed.load() != _tag) _log.out_of_order.fetch_add(1);
        _log.completed_on.store(test::this_thread_id());
        _log.completed.fetch_add(1);
        _progress.notify();
    }

private:
    Log& _log;
    test::Progress& _progress;
    int _tag;
    const bool* _asking;  // true while the asker is inside call()
};

// The target keeps the call (run() returns false) until the test tells it to
// answer.
class Held final : public Probe {
public:
    Held(Log& log, test::Progress& progress, ShardCall** parked)
        : Probe(log, progress), _parked(parked) {}
    bool run(Reactor& shard) override {
        Probe::run(shard);
        *_parked = this;
        return false;
    }

private:
    ShardCall** _parked;  // the target shard's, until it answers
};

class ShardCallTest : public test::TwoShardTest<test::TestShard> {
protected:
    void TearDown() override {
        stop();
        EXPECT_EQ(_log.destroyed.load(), _log.constructed.load()) << "calls leaked";
    }
    Reactor& reactor(unsigned i) { return shard(i).reactor(); }
    bool completed(int n) {
        return _progress.wait([&] { return _log.completed.load() >= n; }, 10'000ms);
    }
    bool destroyed(const Log& log, int n) {
        return _progress.wait([&] { return log.destroyed.load() >= n; }, 10'000ms);
    }
    // Reactor::awaiting_answers() of shard `i`, read on its own thread: 1 or 0,
    // or -1 if the shard did not answer.
    int awaiting(unsigned i) {
        std::atomic<int> seen{-1};
        _driver.run_on(i, [&] {
            seen.store(reactor(i).awaiting_answers() ? 1 : 0);
            _progress.notify();
        });
        _progress.wait([&] { return seen.load() >= 0; }, 10'000ms);
        return seen.load();
    }

    Log _log;
};

TEST_F(ShardCallTest, RunsOnTheTargetAndCompletesOnTheAsker) {
    _driver.run_on(0, [&] { reactor(0).call(1, std::make_unique<Probe>(_log, _progress)); });
    ASSERT_TRUE(completed(1));
    EXPECT_EQ(_log.ran_on.load(), shard(1).tid());
    EXPECT_EQ(_log.completed_on.load(), shard(0).tid());
    EXPECT_EQ(_log.completed.load(), 1);
    EXPECT_TRUE(destroyed(_log, 1)) << "the reactor deletes a call after complete()";
}

TEST_F(ShardCallTest, ACallToTheAskersOwnShardRunsLaterNeverInsideTheCall) {
    // The asker's own state is mid-change while it asks: a call that ran (or
    // completed) inside call() would see it half-done.
    bool asking = false;  // shard 0's
    _driver.run_on(0, [&] {
        asking = true;
        reactor(0).call(0, std::make_unique<Probe>(_log, _progress, 0, &asking));
        asking = false;
    });
    ASSERT_TRUE(completed(1));
    EXPECT_EQ(_log.reentered.load(), 0);
    EXPECT_EQ(_log.ran_on.load(), shard(0).tid());
    EXPECT_EQ(_log.completed_on.load(), shard(0).tid());
    EXPECT_EQ(awaiting(0), 0) << "a call to itself is no answer from another shard";
}

TEST_F(ShardCallTest, DeferRunsAfterTheCallerReturns) {
    std::atomic<int> order{0};
    int seen_at_defer = -1;
    _driver.run_on(0, [&] {
        reactor(0).defer([&] {
            seen_at_defer = order.load();
            _log.completed.fetch_add(1);
            _progress.notify();
        });
        order.store(1);  // after defer() returned, before the deferred part runs
    });
    ASSERT_TRUE(completed(1));
    EXPECT_EQ(seen_at_defer, 1);
}

TEST_F(ShardCallTest, ATargetMayKeepACallAndAnswerItLater) {
    ShardCall* parked = nullptr;  // shard 1's
    _driver.run_on(0,
                   [&] { reactor(0).call(1, std::make_unique<Held>(_log, _progress, &parked)); });
    // A second call on the same pair, completed: the first one ran before it
    // (the pair is in order) and is still unanswered.
    Log second;
    _driver.run_on(0, [&] { reactor(0).call(1, std::make_unique<Probe>(second, _progress)); });
    ASSERT_TRUE(_progress.wait([&] { return second.completed.load() == 1; }, 10'000ms));
    ASSERT_TRUE(destroyed(second, 1));  // it lives on this stack
    EXPECT_EQ(_log.ran_on.load(), shard(1).tid());
    EXPECT_EQ(_log.completed.load(), 0) << "completed before its target answered";
    EXPECT_EQ(_log.destroyed.load(), 0) << "freed while its target held it";
    // The asker knows it waits for an answer (its send turns are short meanwhile);
    // the target does not wait for anything.
    EXPECT_EQ(awaiting(0), 1);
    EXPECT_EQ(awaiting(1), 0);

    _driver.run_on(1, [&] { reactor(1).answer(parked); });
    ASSERT_TRUE(completed(1));
    EXPECT_EQ(_log.completed_on.load(), shard(0).tid());
    EXPECT_TRUE(destroyed(_log, 1));
    EXPECT_EQ(awaiting(0), 0) << "still counted as waiting after the answer came";
}

TEST_F(ShardCallTest, APostRunsOnTheTargetAndNothingComesBack) {
    // One-way: run() on shard 1, no complete() anywhere, deleted after run().
    _driver.run_on(0, [&] { reactor(0).post(1, std::make_unique<Probe>(_log, _progress)); });
    ASSERT_TRUE(destroyed(_log, 1));
    EXPECT_EQ(_log.ran_on.load(), shard(1).tid());
    // A call behind it on the same pair completes: by then the post has run and
    // nothing of it came back.
    Log after;
    _driver.run_on(0, [&] { reactor(0).call(1, std::make_unique<Probe>(after, _progress)); });
    ASSERT_TRUE(_progress.wait([&] { return after.completed.load() == 1; }, 10'000ms));
    // `after` lives on this stack: its call writes to it until destroyed.
    ASSERT_TRUE(destroyed(after, 1));
    EXPECT_EQ(_log.completed.load(), 0);
    EXPECT_EQ(_log.destroyed.load(), 1);
}

TEST_F(ShardCallTest, GatherGivesThePartsInTheOrderOfTheAsks) {
    // The asks alternate between the shards, so the answers arrive out of the
    // asks' order (the asker's own come back in its own drain).
    std::vector<int> parts;
    std::vector<pid_t> ran_on;
    pid_t done_on = 0;
    _driver.run_on(0, [&] {
        std::vector<ShardAsk<std::pair<int, pid_t>>> asks;
        for (int i = 0; i < 6; ++i)
            asks.push_back({unsigned(i % 2 == 0 ? 1 : 0), [i](Reactor& shard) {
                                return std::pair<int, pid_t>(i * 10 + int(shard.id()),
                                                             test::this_thread_id());
                            }});
        gather<std::pair<int, pid_t>>(reactor(0), std::move(asks),
                                      [&](std::vector<std::pair<int, pid_t>>& got) {
                                          for (auto& [part, tid] : got) {
                                              parts.push_back(part);
                                              ran_on.push_back(tid);
                                          }
                                          done_on = test::this_thread_id();
                                          _log.completed.fetch_add(1);
                                          _progress.notify();
                                      });
    });
    ASSERT_TRUE(completed(1));
    EXPECT_EQ(parts, (std::vector<int>{1, 10, 21, 30, 41, 50}));
    for (size_t i = 0; i < ran_on.size(); ++i)
        EXPECT_EQ(ran_on[i], shard(i % 2 == 0 ? 1 : 0).tid()) << "ask " << i;
    EXPECT_EQ(done_on, shard(0).tid());
}

TEST_F(ShardCallTest, GatherOfNothingStillAnswersLater) {
    bool asking = false;
    int reentered = 0;
    _driver.run_on(0, [&] {
        asking = true;
        gather<int>(reactor(0), {}, [&](std::vector<int>& got) {
            if (asking || !got.empty()) ++reentered;
            _log.completed.fetch_add(1);
            _progress.notify();
        });
        asking = false;
    });
    ASSERT_TRUE(completed(1));
    EXPECT_EQ(reentered, 0);
}

TEST_F(ShardCallTest, ABurstFarPastTheRingCompletesEveryCallInOrder) {
    // 10,000 calls asked in one turn: the ring takes 64, the rest wait in the
    // asker's overflow queue and follow in later turns, in order, and every
    // call is deleted exactly once.
    constexpr int kCalls = 10'000;
    _driver.run_on(0, [&] {
        for (int i = 0; i < kCalls; ++i)
            reactor(0).call(1, std::make_unique<Probe>(_log, _progress, i));
    });
    ASSERT_TRUE(completed(kCalls)) << _log.completed.load() << " of " << kCalls;
    EXPECT_EQ(_log.out_of_order.load(), 0);
    ASSERT_TRUE(destroyed(_log, kCalls));
    EXPECT_EQ(_log.destroyed.load(), kCalls);
    std::atomic<uint64_t> overflows{UINT64_MAX};  // shard 0's count, read there
    _driver.run_on(0, [&] {
        overflows.store(reactor(0).mesh_overflows());
        _progress.notify();
    });
    ASSERT_TRUE(_progress.wait([&] { return overflows.load() != UINT64_MAX; }, 10'000ms));
    EXPECT_GT(overflows.load(), 0u) << "the burst never overflowed the ring: test too small";
}

}  // namespace
}  // namespace ringcast

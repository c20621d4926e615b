// The blocking worker (core/blocking_worker.h) with two real shards
// (shard_threads.h): a job works on the worker's thread and completes on the
// shard that submitted it, jobs run in the order given, stop() runs what was
// queued, and a job submitted after stop() is freed unrun. Each job counts its destruction,
// so a leak or a double free fails the test.
#include "core/blocking_worker.h"

#include <atomic>
#include <chrono>
#include <memory>

#include <gtest/gtest.h>

#include "core/shard_threads.h"

namespace ringcast {
namespace {

using namespace std::chrono_literals;

struct Log {
    std::atomic<int> made{0};
    std::atomic<int> freed{0};
    std::atomic<int> worked{0};
    std::atomic<int> completed{0};
    std::atomic<int> out_of_order{0};
    std::atomic<pid_t> worked_on{0};
    std::atomic<pid_t> completed_on{0};
};

class Job final : public BlockingJob {
public:
    Job(Log& log, test::Progress& progress, int n) : _log(log), _progress(progress), _n(n) {
        _log.made.fetch_add(1);
    }
    ~Job() override {
        _log.freed.fetch_add(1);
        _progress.notify();
    }
    void work() override {
        if (_log.worked.load() != _n) _log.out_of_order.fetch_add(1);
        _log.worked_on.store(test::this_thread_id());
        _log.worked.fetch_add(1);
    }
    void complete() override {
        _log.completed_on.store(test::this_thread_id());
        _log.completed.fetch_add(1);
        _progress.notify();
    }

private:
    Log& _log;
    test::Progress& _progress;
    int _n;
};

class BlockingWorkerTest : public test::TwoShardTest<test::TestShard> {
protected:
    void TearDown() override {
        _worker.stop();
        stop();
        EXPECT_EQ(_log.freed.load(), _log.made.load()) << "jobs leaked or freed twice";
    }
    bool freed(int n) {
        return _progress.wait([&] { return _log.freed.load() >= n; }, 10'000ms);
    }

    Log _log;
    BlockingWorker _worker{_mesh, "rc-test-worker"};
};

TEST_F(BlockingWorkerTest, AJobWorksOnTheWorkerAndCompletesOnItsShard) {
    ASSERT_EQ(_worker.start(), 0);
    _driver.run_on(1, [&] { _worker.submit(1, std::make_unique<Job>(_log, _progress, 0)); });
    ASSERT_TRUE(freed(1));
    EXPECT_EQ(_log.completed.load(), 1);
    EXPECT_NE(_log.worked_on.load(), shard(1).tid());
    EXPECT_NE(_log.worked_on.load(), shard(0).tid());
    EXPECT_EQ(_log.completed_on.load(), shard(1).tid());
}

TEST_F(BlockingWorkerTest, JobsWorkInTheOrderGivenAndEachCompletes) {
    ASSERT_EQ(_worker.start(), 0);
    constexpr int kJobs = 500;  // far more than the worker's ring holds
    _driver.run_on(0, [&] {
        for (int i = 0; i < kJobs; ++i)
            _worker.submit(i % 2, std::make_unique<Job>(_log, _progress, i));
    });
    ASSERT_TRUE(freed(kJobs));
    EXPECT_EQ(_log.completed.load(), kJobs);
    EXPECT_EQ(_log.out_of_order.load(), 0);
}

TEST_F(BlockingWorkerTest, StopRunsWhatWasQueuedAndLaterJobsAreFreedUnrun) {
    ASSERT_EQ(_worker.start(), 0);
    _driver.run_on(0, [&] {
        for (int i = 0; i < 20; ++i)
            _worker.submit(0, std::make_unique<Job>(_log, _progress, i));
    });
    ASSERT_TRUE(_progress.wait([&] { return _log.made.load() == 20; }, 10'000ms));
    _worker.stop();
    EXPECT_EQ(_log.worked.load(), 20);
    ASSERT_TRUE(freed(20));
    EXPECT_EQ(_log.completed.load(), 20);

    _driver.run_on(0, [&] { _worker.submit(0, std::make_unique<Job>(_log, _progress, 20)); });
    ASSERT_TRUE(freed(21));
    EXPECT_EQ(_log.worked.load(), 20) << "a job submitted after stop() ran";
}

}  // namespace
}  // namespace ringcast

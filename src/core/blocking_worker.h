#pragma once
// A thread for work that must block — an SQLite commit that an admin's request
// waits for — so that no shard loop ever does. A shard hands it a job; the
// thread runs the jobs one at a time, in the order given; each job then
// completes on the shard that gave it, inside that shard's loop, as the answer
// of a shard call does (core/shard_call.h). One ownership rule as there: the
// worker owns a job from submit() on, and the asking shard's reactor deletes it
// after complete().
//
// The way in is a queue under a mutex, held for a push or a pop only, never
// while a job works. The way back is a MSG_RING from the worker's own small ring
// to the asker's ring (Op::job_done, payload: the job): the only way into a
// SINGLE_ISSUER ring from another thread, and it wakes a sleeping shard.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace ringcast {

class Mesh;
class Ring;

class BlockingJob {
public:
    virtual ~BlockingJob() = default;
    // On the worker thread: may block (disk, SQLite). Touches nothing a shard owns.
    virtual void work() = 0;
    // On the shard that submitted the job, in its loop, after work().
    virtual void complete() = 0;

private:
    friend class BlockingWorker;
    unsigned _asker = 0;
};

class BlockingWorker {
public:
    // `name` names the thread (ps, top: at most 15 characters).
    BlockingWorker(Mesh& mesh, std::string name);
    ~BlockingWorker();  // stop()
    BlockingWorker(const BlockingWorker&) = delete;
    BlockingWorker& operator=(const BlockingWorker&) = delete;

    // Starts the thread (its ring is made there). 0 or -errno.
    int start();
    // From shard `asker`'s thread. After stop(), the job is deleted unrun.
    void submit(unsigned asker, std::unique_ptr<BlockingJob> job);
    // Runs every job already submitted, sends their completions, and ends the
    // thread. Call it while the shards still run their loops, before they stop:
    // a completion sent to a shard that left its loop is never read (with
    // DEFER_TASKRUN only the ring's own thread can even post it), and its job is
    // lost.
    void stop();

private:
    void run();
    void send_back(BlockingJob* job);

    Mesh& _mesh;
    std::string _name;
    Ring* _ring = nullptr;  // the worker thread's, while it runs
    std::thread _thread;
    std::mutex _mutex;
    std::condition_variable _wake;
    std::deque<std::unique_ptr<BlockingJob>> _queue;  // under _mutex
    bool _stopping = false;                           // under _mutex
    int _start_result = 1;                            // under _mutex; 1: not yet known
};

}  // namespace ringcast

#include "core/blocking_worker.h"

#include <pthread.h>

#include <cstring>

#include <spdlog/spdlog.h>

#include "core/mesh.h"
#include "core/ring.h"
#include "core/user_data.h"

namespace ringcast {

BlockingWorker::BlockingWorker(Mesh& mesh, std::string name)
    : _mesh(mesh), _name(std::move(name)) {}

BlockingWorker::~BlockingWorker() {
    stop();
}

int BlockingWorker::start() {
    _thread = std::thread([this] { run(); });
    std::unique_lock lock(_mutex);
    _wake.wait(lock, [&] { return _start_result != 1; });
    const int r = _start_result;
    lock.unlock();
    if (r != 0) {
        _thread.join();
        _thread = std::thread();
    }
    return r;
}

void BlockingWorker::submit(unsigned asker, std::unique_ptr<BlockingJob> job) {
    job->_asker = asker;
    {
        std::lock_guard lock(_mutex);
        if (_stopping || !_thread.joinable()) return;  // the job is deleted here, unrun
        _queue.push_back(std::move(job));
    }
    _wake.notify_one();
}

void BlockingWorker::stop() {
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
    }
    _wake.notify_one();
    if (_thread.joinable()) _thread.join();
}

void BlockingWorker::run() {
    pthread_setname_np(pthread_self(), _name.substr(0, 15).c_str());
    Ring ring;
    const int r = ring.init(RingOptions{8, 16});
    {
        std::lock_guard lock(_mutex);
        _start_result = r;
    }
    _wake.notify_all();
    if (r != 0) return;
    _ring = &ring;
    for (;;) {
        std::unique_ptr<BlockingJob> job;
        {
            std::unique_lock lock(_mutex);
            _wake.wait(lock, [&] { return _stopping || !_queue.empty(); });
            if (_queue.empty()) break;  // stopping, and everything ran
            job = std::move(_queue.front());
            _queue.pop_front();
        }
        job->work();
        send_back(job.release());
    }
    _ring = nullptr;
}

void BlockingWorker::send_back(BlockingJob* job) {
    io_uring_sqe* sqe = _ring->sqe();
    int res = -EBUSY;
    if (sqe) {
        io_uring_prep_msg_ring(sqe, _mesh.ring_fd(job->_asker), 0, tag(Op::job_done, job), 0);
        io_uring_sqe_set_data64(sqe, 1);
        _ring->enter(1, UINT64_MAX);
        _ring->drain([&](const io_uring_cqe& cqe) { res = cqe.res; });
    }
    if (res < 0) {
        // The shard's ring is gone (it stopped first): nobody will complete it.
        spdlog::error("{}: a finished job could not be handed back to shard {}: {}", _name,
                      job->_asker, std::strerror(-res));
        delete job;
    }
}

}  // namespace ringcast

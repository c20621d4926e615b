#pragma once
// The parent's side of the worker processes: forks them, talks to them over
// their control channels, gathers their results, and makes sure every one of
// them is gone at the end (asked to exit, then SIGKILL by PID if it does not).
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "control.h"
#include "worker.h"
#include "worker_result.h"

namespace ringcast::load {

class WorkerSet {
public:
    WorkerSet() = default;
    ~WorkerSet() { shutdown(); }
    WorkerSet(const WorkerSet&) = delete;
    WorkerSet& operator=(const WorkerSet&) = delete;

    bool spawn(const std::vector<WorkerConfig>& configs, std::string* error);

    // Until every worker reported its connections ready. `progress` is called
    // about once a second with the number connected so far.
    bool wait_connected(uint64_t deadline_ns, const std::function<void(uint64_t)>& progress,
                        std::string* error);
    // Resume-burst mode: until every worker reported its streams past their replay.
    bool wait_replayed(uint64_t deadline_ns, std::string* error);
    // Keeps reading the control channels until `until_ns`; false if a worker
    // failed or died meanwhile.
    bool watch(uint64_t until_ns, std::string* error);
    void broadcast(const std::string& line);
    // Until every worker sent its result (merged into *out).
    bool collect(uint64_t deadline_ns, WorkerResult* out, std::string* error);
    // Sends "exit", waits up to a few seconds, then kills what is left.
    void shutdown();

    uint64_t first_attempt_ns() const;
    uint64_t last_connected_ns() const;
    uint64_t retries() const;
    std::vector<pid_t> pids() const;
    const std::string& server() const { return _server; }

private:
    struct Worker {
        pid_t pid = -1;
        LineChannel ctl;
        bool connected = false;
        bool replayed = false;
        bool done = false;
        bool failed = false;
        uint64_t count = 0;  // connections assigned
        uint64_t progress = 0;
        uint64_t first_ns = 0, last_ns = 0, retries = 0;
        WorkerResult result;
    };

    // Reads and handles control lines until pred() holds, a worker fails, or
    // the deadline passes.
    bool pump(uint64_t deadline_ns, const std::function<bool()>& pred, const char* waiting_for,
              std::string* error);
    void handle_line(Worker& w, size_t index, const std::string& line);

    std::vector<Worker> _workers;
    std::string _failure;
    std::string _server;
};

}  // namespace ringcast::load

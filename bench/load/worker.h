#pragma once
// A subscriber worker process: holds its share of the connections in an epoll
// loop and follows the parent's commands on the control channel.
//
// Control protocol (lines, see control.h):
//   worker -> parent  progress connected=N
//                     connected first=NS last=NS retries=N server=TEXT
//                     replayed last=NS     (resume-burst mode: every stream is
//                                           past its replay)
//                     fail MESSAGE
//                     result k=v ...  /  hist ...  /  done
//   parent -> worker  end TOTAL DRAIN_MS   (TOTAL events were published; wait at
//                                           most DRAIN_MS for them, then report)
//                     mark                 (takeover mode: the takeover was
//                                           requested now)
//                     exit                 (close everything and exit)
// The worker also exits when the control channel closes, and after
// `watchdog_ns` whatever happens: no run can leave processes behind.
#include <cstdint>

#include "subscriber_pool.h"

namespace ringcast::load {

struct WorkerConfig {
    PoolConfig pool;
    uint64_t connect_deadline_ns = 0;  // absolute: all connected by then
    uint64_t watchdog_ns = 0;          // absolute
    int nice = 0;                      // the worker process's niceness
};

// Runs the worker until told to exit; returns the process exit code.
int run_worker(const WorkerConfig& cfg, int control_fd);

}  // namespace ringcast::load

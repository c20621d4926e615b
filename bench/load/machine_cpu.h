#pragma once
// Whole-machine CPU use from /proc/stat, read at both ends of the measurement
// window. The daemon and the load generator share the machine (and, on a
// developer box, with builds and tests): a window during which every core was
// busy measured the CPU, not the server, and the report says so.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace ringcast::load {

struct MachineCpu {
    uint64_t busy_ticks = 0;   // user+nice+system+irq+softirq+steal
    uint64_t total_ticks = 0;  // the above + idle + iowait
};

std::optional<MachineCpu> read_machine_cpu();

// Average busy fraction of all cores between two reads (0..1).
double busy_fraction(const MachineCpu& a, const MachineCpu& b);

unsigned online_cpus();

// User+system CPU seconds of the given processes (all their threads), from
// /proc/PID/stat; 0 for a process that is gone.
double processes_cpu_seconds(const std::vector<pid_t>& pids);

}  // namespace ringcast::load

#pragma once
// CPU placement for shard threads.
#include <string>
#include <vector>

namespace ringcast {

// The CPUs this process may run on (sched_getaffinity), in ascending order.
std::vector<int> allowed_cpus();

// Pins the calling thread to one CPU. Returns 0 or -errno.
int pin_current_thread(int cpu);

// Names the calling thread (visible in top -H, perf, gdb). Truncated to 15 chars.
void name_current_thread(const std::string& name);

}  // namespace ringcast

#include "machine_cpu.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace ringcast::load {

std::optional<MachineCpu> read_machine_cpu() {
    std::ifstream in("/proc/stat");
    std::string label;
    uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
    if (!(in >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) ||
        label != "cpu")
        return std::nullopt;
    MachineCpu m;
    m.busy_ticks = user + nice + system + irq + softirq + steal;
    m.total_ticks = m.busy_ticks + idle + iowait;
    return m;
}

double busy_fraction(const MachineCpu& a, const MachineCpu& b) {
    uint64_t total = b.total_ticks - a.total_ticks;
    return total ? double(b.busy_ticks - a.busy_ticks) / double(total) : 0.0;
}

unsigned online_cpus() {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? unsigned(n) : 1;
}

double processes_cpu_seconds(const std::vector<pid_t>& pids) {
    static const double ticks = double(sysconf(_SC_CLK_TCK));
    double total = 0;
    for (pid_t pid : pids) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!std::getline(in, line)) continue;
        // The command name (field 2) may hold spaces: count fields after its ')'.
        size_t close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        std::string field;
        uint64_t utime = 0, stime = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i) {
            if (i == 14) utime = std::stoull(field);
            if (i == 15) stime = std::stoull(field);
        }
        total += double(utime + stime) / ticks;
    }
    return total;
}

}  // namespace ringcast::load

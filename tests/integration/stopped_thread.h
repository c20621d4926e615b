#pragma once
// One thread of the daemon stopped for real, as a handler stuck in a loop would
// hold it: the thread alone is stopped with ptrace (PTRACE_INTERRUPT) while
// the others run on. Shards' threads are named ringcast-s<N> (server/shard_set.cc).
#include <dirent.h>
#include <errno.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace ringcast::itest {

// The thread id of the daemon's thread named `name` (/proc/PID/task/*/comm); -1: none.
inline pid_t thread_named(pid_t pid, const std::string& name) {
    std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = opendir(dir.c_str());
    if (!d) return -1;
    pid_t found = -1;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::ifstream comm(dir + "/" + e->d_name + "/comm");
        std::string line;
        std::getline(comm, line);
        if (line == name) found = pid_t(std::atoi(e->d_name));
    }
    closedir(d);
    return found;
}

// One thread of the daemon, stopped while it lives: the others run on.
class StoppedThread {
public:
    // False with *error if the thread cannot be traced (a ptrace policy).
    bool stop(pid_t tid, std::string* error) {
        if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
            *error = std::string("PTRACE_SEIZE: ") + std::strerror(errno);
            return false;
        }
        _tid = tid;
        if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
            *error = std::string("PTRACE_INTERRUPT: ") + std::strerror(errno);
            return false;
        }
        int status = 0;
        if (waitpid(tid, &status, __WALL) != tid || !WIFSTOPPED(status)) {
            *error = "the thread did not stop";
            return false;
        }
        return true;
    }
    // Lets it run again.
    void resume() {
        if (_tid > 0) ptrace(PTRACE_DETACH, _tid, nullptr, nullptr);
        _tid = -1;
    }
    ~StoppedThread() { resume(); }

private:
    pid_t _tid = -1;
};

}  // namespace ringcast::itest

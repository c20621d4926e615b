#include "worker_set.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "clock.h"

namespace ringcast::load {

namespace {

constexpr uint64_t kReapGraceNs = 5 * kNsPerSec;

uint64_t field_u64(const std::string& line, std::string_view key) {
    uint64_t v = 0;
    for_each_field(line, [&](std::string_view k, std::string_view value) {
        if (k == key) std::from_chars(value.data(), value.data() + value.size(), v);
    });
    return v;
}

}  // namespace

bool WorkerSet::spawn(const std::vector<WorkerConfig>& configs, std::string* error) {
    std::fflush(stdout);
    std::fflush(stderr);
    _workers.reserve(configs.size());
    for (size_t i = 0; i < configs.size(); ++i) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            *error = fmt::format("socketpair: {}", std::strerror(errno));
            return false;
        }
        pid_t pid = fork();
        if (pid < 0) {
            *error = fmt::format("fork: {}", std::strerror(errno));
            close(sv[0]);
            close(sv[1]);
            return false;
        }
        if (pid == 0) {
            close(sv[0]);
            for (Worker& w : _workers)
                w.ctl.close_fd();  // siblings' channels
            fcntl(sv[1], F_SETFL, O_NONBLOCK);
            if (configs[i].nice != 0 && setpriority(PRIO_PROCESS, 0, configs[i].nice) != 0)
                std::fprintf(stderr, "ringcast-load: worker %zu: setpriority: %s\n", i,
                             std::strerror(errno));
            // _exit: the parent's stdio buffers and atexit handlers are not ours.
            _exit(run_worker(configs[i], sv[1]));
        }
        close(sv[1]);
        fcntl(sv[0], F_SETFL, O_NONBLOCK);
        Worker& w = _workers.emplace_back();
        w.pid = pid;
        w.count = configs[i].pool.count;
        w.ctl = LineChannel(sv[0]);
    }
    return true;
}

void WorkerSet::handle_line(Worker& w, size_t index, const std::string& line) {
    if (line.starts_with("progress ")) {
        w.progress = field_u64(line, "connected");
    } else if (line.starts_with("connected ")) {
        w.connected = true;
        w.first_ns = field_u64(line, "first");
        w.last_ns = field_u64(line, "last");
        w.retries = field_u64(line, "retries");
        for_each_field(line, [&](std::string_view k, std::string_view v) {
            if (k == "server" && _server.empty() && v != "-") _server.assign(v);
        });
    } else if (line.starts_with("replayed ")) {
        w.replayed = true;
    } else if (line.starts_with("fail ")) {
        w.failed = true;
        if (_failure.empty()) _failure = fmt::format("worker {}: {}", index, line.substr(5));
    } else if (line == "done") {
        w.done = true;
    } else if (!w.result.decode_line(line)) {
        w.failed = true;
        if (_failure.empty())
            _failure = fmt::format("worker {}: unintelligible report line '{}'", index,
                                   line.substr(0, 100));
    }
}

bool WorkerSet::pump(uint64_t deadline_ns, const std::function<bool()>& pred,
                     const char* waiting_for, std::string* error) {
    std::vector<pollfd> fds(_workers.size());
    for (;;) {
        if (!_failure.empty()) {
            *error = _failure;
            return false;
        }
        if (pred()) return true;
        uint64_t now = now_ns();
        if (now >= deadline_ns) {
            *error = fmt::format("timed out waiting for {}", waiting_for);
            return false;
        }
        for (size_t i = 0; i < _workers.size(); ++i)
            fds[i] = pollfd{_workers[i].ctl.fd(), POLLIN, 0};
        int wait_ms = int(std::min<uint64_t>((deadline_ns - now) / kNsPerMs + 1, 200));
        int r = poll(fds.data(), fds.size(), wait_ms);
        if (r < 0 && errno != EINTR) {
            *error = fmt::format("poll: {}", std::strerror(errno));
            return false;
        }
        for (size_t i = 0; r > 0 && i < _workers.size(); ++i) {
            if (!fds[i].revents) continue;
            Worker& w = _workers[i];
            w.ctl.read_available();
            std::string line;
            while (w.ctl.next_line(&line))
                handle_line(w, i, line);
            if (w.ctl.eof() && !w.done && _failure.empty())
                _failure = fmt::format("worker {} (pid {}) exited unexpectedly", i, w.pid);
        }
    }
}

bool WorkerSet::wait_connected(uint64_t deadline_ns, const std::function<void(uint64_t)>& progress,
                               std::string* error) {
    uint64_t next_progress = now_ns() + kNsPerSec;
    return pump(
        deadline_ns,
        [&] {
            bool all = std::all_of(_workers.begin(), _workers.end(),
                                   [](const Worker& w) { return w.connected; });
            if (!all && progress && now_ns() >= next_progress) {
                uint64_t n = 0;
                for (const Worker& w : _workers)
                    n += w.connected ? w.count : w.progress;
                progress(n);
                next_progress = now_ns() + kNsPerSec;
            }
            return all;
        },
        "the workers to connect", error);
}

bool WorkerSet::wait_replayed(uint64_t deadline_ns, std::string* error) {
    return pump(
        deadline_ns,
        [&] {
            return std::all_of(_workers.begin(), _workers.end(),
                               [](const Worker& w) { return w.replayed; });
        },
        "every stream's replay", error);
}

bool WorkerSet::watch(uint64_t until_ns, std::string* error) {
    std::string timeout;
    if (pump(
            until_ns, [] { return false; }, "", &timeout))
        return true;
    if (_failure.empty()) return true;  // the deadline: what we wanted
    *error = _failure;
    return false;
}

void WorkerSet::broadcast(const std::string& line) {
    for (Worker& w : _workers)
        if (w.ctl.fd() >= 0) w.ctl.send_line(line);
}

bool WorkerSet::collect(uint64_t deadline_ns, WorkerResult* out, std::string* error) {
    bool ok = pump(
        deadline_ns,
        [&] {
            return std::all_of(_workers.begin(), _workers.end(),
                               [](const Worker& w) { return w.done; });
        },
        "the workers' results", error);
    if (!ok) return false;
    *out = WorkerResult{};
    for (const Worker& w : _workers)
        out->merge(w.result);
    return true;
}

void WorkerSet::shutdown() {
    if (_workers.empty()) return;
    broadcast("exit");
    uint64_t deadline = now_ns() + kReapGraceNs;
    size_t left = _workers.size();
    while (left > 0 && now_ns() < deadline) {
        left = 0;
        for (Worker& w : _workers) {
            if (w.pid <= 0) continue;
            if (waitpid(w.pid, nullptr, WNOHANG) == w.pid) {
                w.pid = -1;
            } else {
                ++left;
            }
        }
        if (left) usleep(20000);
    }
    for (Worker& w : _workers) {
        if (w.pid <= 0) continue;
        std::fprintf(stderr, "ringcast-load: worker pid %d did not exit; killing it\n", int(w.pid));
        kill(w.pid, SIGKILL);
        waitpid(w.pid, nullptr, 0);
        w.pid = -1;
    }
    for (Worker& w : _workers)
        w.ctl.close_fd();
    _workers.clear();
}

uint64_t WorkerSet::first_attempt_ns() const {
    uint64_t v = 0;
    for (const Worker& w : _workers)
        if (w.first_ns && (!v || w.first_ns < v)) v = w.first_ns;
    return v;
}

uint64_t WorkerSet::last_connected_ns() const {
    uint64_t v = 0;
    for (const Worker& w : _workers)
        v = std::max(v, w.last_ns);
    return v;
}

std::vector<pid_t> WorkerSet::pids() const {
    std::vector<pid_t> out;
    for (const Worker& w : _workers)
        if (w.pid > 0) out.push_back(w.pid);
    return out;
}

uint64_t WorkerSet::retries() const {
    uint64_t v = 0;
    for (const Worker& w : _workers)
        v += w.retries;
    return v;
}

}  // namespace ringcast::load

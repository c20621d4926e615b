#include "worker.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "clock.h"
#include "control.h"

namespace ringcast::load {

namespace {

constexpr uint64_t kControlTag = UINT64_MAX;
constexpr int kMaxEvents = 1024;

enum class Phase { connecting, holding, draining, reported };

uint64_t own_cpu_us() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return uint64_t(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1'000'000u +
           uint64_t(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// Spaces would split the control line; the value is only a label.
std::string one_word(std::string s) {
    for (char& c : s)
        if (c == ' ' || c == '\n' || c == '\r') c = '_';
    return s.empty() ? "-" : s;
}

}  // namespace

int run_worker(const WorkerConfig& cfg, int control_fd) {
    // Die with the parent, even if it is killed: a worker must never outlive a run.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_IGN);
    LineChannel ctl(control_fd);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        ctl.send_line(fmt::format("fail epoll_create1: {}", std::strerror(errno)));
        return 1;
    }
    epoll_event cev{};
    cev.events = EPOLLIN;
    cev.data.u64 = kControlTag;
    epoll_ctl(ep, EPOLL_CTL_ADD, control_fd, &cev);

    SubscriberPool pool(cfg.pool, ep);
    Phase phase = Phase::connecting;
    uint64_t drain_deadline = 0, next_progress = now_ns() + kNsPerSec;
    bool exit_requested = false;
    bool replay_reported = !cfg.pool.replay_events;
    epoll_event events[kMaxEvents];

    auto fail = [&](const std::string& msg) {
        ctl.send_line("fail " + msg);
        phase = Phase::reported;
    };
    auto report = [&] {
        pool.finish();
        pool.result().cpu_us = own_cpu_us();
        for (const std::string& line : pool.result().encode())
            ctl.send_line(line);
        ctl.send_line("done");
        phase = Phase::reported;
    };

    while (!exit_requested) {
        uint64_t now = now_ns();
        if (now >= cfg.watchdog_ns) {
            if (phase != Phase::reported)
                fail("worker watchdog: the run took far longer than planned");
            break;
        }
        int timeout_ms = phase == Phase::connecting ? 5 : 50;
        int n = epoll_wait(ep, events, kMaxEvents, timeout_ms);
        now = now_ns();
        for (int k = 0; k < n; ++k) {
            if (events[k].data.u64 != kControlTag) {
                pool.on_ready(uint32_t(events[k].data.u64), events[k].events, now);
                continue;
            }
            if (!ctl.read_available()) {
                exit_requested = true;  // the parent is gone
                break;
            }
            std::string line;
            while (ctl.next_line(&line)) {
                if (line == "exit") {
                    exit_requested = true;
                } else if (line == "mark") {
                    pool.mark_request();
                } else if (line.starts_with("end ")) {
                    uint64_t total = 0, drain_ms = 0;
                    const char* p = line.data() + 4;
                    const char* end = line.data() + line.size();
                    auto r = std::from_chars(p, end, total);
                    if (r.ptr < end) std::from_chars(r.ptr + 1, end, drain_ms);
                    if (phase == Phase::holding) {
                        pool.set_published(total);
                        drain_deadline = now + drain_ms * kNsPerMs;
                        phase = Phase::draining;
                    }
                }
            }
            if (ctl.eof()) exit_requested = true;
        }
        if (exit_requested) break;

        switch (phase) {
            case Phase::connecting:
                pool.check_timeouts(now);
                pool.start_connects(now);
                if (!pool.failure().empty()) {
                    fail(pool.failure() + " [" + pool.connect_summary() + "]");
                } else if (pool.all_connected()) {
                    const WorkerResult& r = pool.result();
                    ctl.send_line(fmt::format("connected first={} last={} retries={} server={}",
                                              r.first_attempt_ns, r.last_connected_ns, r.retries,
                                              one_word(pool.server())));
                    phase = Phase::holding;
                } else if (now >= cfg.connect_deadline_ns) {
                    fail("connect timeout: " + pool.connect_summary());
                } else if (now >= next_progress) {
                    ctl.send_line(fmt::format("progress connected={}", pool.result().connected));
                    next_progress = now + kNsPerSec;
                }
                break;
            case Phase::draining:
                if (pool.all_complete() || now >= drain_deadline) report();
                break;
            case Phase::holding:
            case Phase::reported: break;
        }
        if (!replay_reported && phase == Phase::holding && pool.all_replayed()) {
            ctl.send_line(fmt::format("replayed last={}", pool.result().last_replayed_ns));
            replay_reported = true;
        }
    }
    pool.close_all();
    close(ep);
    return 0;
}

}  // namespace ringcast::load

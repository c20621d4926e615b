// The takeover mode of ringcast-load (--takeover CMD --old-pid PID): what an
// upgrade without a reconnect (docs/operations.md "Upgrade without a
// reconnect") costs the streams of a running daemon under a steady publish.
//
//   1. connect  the N streams (spread over the worker processes)
//   2. warm-up  publish --rate events/s over --publish-unix, one at a time,
//               each acknowledged (takeover_publisher.h), for --warmup s: the
//               publish -> arrival delay of this machine before any upgrade
//   3. request  tell the workers (their delays so far become the baseline and
//               their pauses start afresh), note the old daemon's CPU and how
//               many events were acknowledged, and start CMD (split into words
//               as a shell would, run directly: its pid is the new daemon's)
//   4. handover until the daemon of --old-pid is gone (a zombie counts as gone),
//               at most --handover-timeout s; its CPU read every 10 ms
//   5. after    publish --duration s more, stop, and wait up to
//               --drain-timeout s for every stream to have every
//               acknowledged event
//
// A stream whose connection ended is a reconnect; what it missed, or got
// twice, counts per stream by the publisher's numbers (takeover_tracker.h).
// The new daemon keeps running; the report gives its pid.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "run_phases.h"
#include "takeover_publisher.h"

extern char** environ;

namespace ringcast::load {

namespace {

constexpr uint64_t kHandoverPollNs = 10 * kNsPerMs;

// Alive and not a zombie: an old daemon whose parent has not reaped it yet
// has exited all the same.
bool process_running(int pid) {
    std::ifstream f(fmt::format("/proc/{}/stat", pid));
    std::string stat;
    if (!std::getline(f, stat)) return false;
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
    char state = stat[paren + 2];
    return state != 'Z' && state != 'X';
}

// Starts the command's words directly (no shell in between, so that the pid
// is the new daemon's), in a process group of its own (a ^C of the
// measurement must not stop the daemon that now serves), with SIGPIPE back
// to its default (ringcast-load ignores it); its stdout and stderr appended to
// `log` unless that is empty.
pid_t spawn_command(const std::string& command, const std::string& log, std::string* error) {
    wordexp_t words{};
    int rc = wordexp(command.c_str(), &words, WRDE_NOCMD | WRDE_SHOWERR);
    if (rc != 0 || words.we_wordc == 0) {
        if (rc == 0) wordfree(&words);
        *error = fmt::format(
            "--takeover '{}': cannot split it into words (rc {}: an unbalanced quote, a "
            "command substitution, or a shell operator such as | ; & < >?)",
            command, rc);
        return -1;
    }
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults, none;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    if (!log.empty()) {
        posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                         0644);
        posix_spawn_file_actions_adddup2(&files, 1, 2);
    }
    pid_t pid = -1;
    rc = posix_spawnp(&pid, words.we_wordv[0], &files, &attr, words.we_wordv, environ);
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        *error = fmt::format("--takeover: cannot run {}{}: {}", words.we_wordv[0],
                             log.empty() ? "" : " (or open --takeover-log " + log + ")",
                             std::strerror(rc));
        pid = -1;
    }
    wordfree(&words);
    return pid;
}

double cpu_of(int pid) {
    return processes_cpu_seconds({pid_t(pid)});
}

}  // namespace

bool Run::takeover_phase() {
    std::string error;
    const int old_pid = _o.old_pid;
    if (!process_running(old_pid))
        return fail(fmt::format("--old-pid {}: no such process running", old_pid));

    TakeoverPublisherConfig pc;
    pc.socket_path = _o.publish_unix;
    pc.channel = _o.channel;
    pc.event = _o.event;
    pc.payload = _o.payload;
    pc.persistent = _o.persistent;
    pc.rate = _o.rate;
    pc.start_ns = now_ns() + kPublishLeadNs;
    pc.ack_timeout_ns = sec_to_ns(_o.ack_timeout_s);
    pc.give_up_ns = sec_to_ns(_o.ack_timeout_s + _o.handover_timeout_s);
    TakeoverPublisher pub(pc);
    _r.published = true;
    note(fmt::format("publishing {} events/s over {}; the takeover in {:.1f} s", _o.rate,
                     _o.publish_unix, _o.warmup_s));
    pub.start();
    auto stop_publishing = [&] {
        pub.stop();
        if (pub.failed()) _r.errors.push_back("publishing: " + pub.error());
    };
    if (!_workers.watch(pc.start_ns + sec_to_ns(_o.warmup_s), &error)) {
        stop_publishing();
        return fail("warm-up: " + error);
    }

    // 3. request
    _workers.broadcast("mark");
    const double old_cpu_start = cpu_of(old_pid);
    double old_cpu_end = old_cpu_start;
    _r.acked_at_request = pub.acked();
    const uint64_t requested_ns = now_ns();
    pid_t child = spawn_command(_o.takeover, _o.takeover_log, &error);
    if (child < 0) {
        stop_publishing();
        return fail(error);
    }
    _r.new_pid = child;
    note(fmt::format("takeover requested (pid {}) after event {}; waiting for pid {} to exit",
                     child, int64_t(_r.acked_at_request) - 1, old_pid));

    // 4. handover
    const uint64_t handover_deadline = requested_ns + sec_to_ns(_o.handover_timeout_s);
    bool ok = true;
    for (;;) {
        if (!process_running(old_pid)) {
            _r.old_exited = true;
            break;
        }
        double cpu = cpu_of(old_pid);
        if (cpu > 0) old_cpu_end = cpu;
        int status = 0;
        if (!_r.command_exited && waitpid(child, &status, WNOHANG) == child) {
            _r.command_exited = true;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                ok = fail(fmt::format(
                    "the takeover command (pid {}) {} before the old daemon "
                    "exited",
                    child,
                    WIFEXITED(status) ? fmt::format("exited with code {}", WEXITSTATUS(status))
                                      : fmt::format("was killed by signal {}", WTERMSIG(status))));
                break;
            }
            // It exited 0: it only asked (e.g. a SIGUSR2 by systemctl kill); the
            // old daemon's exit is still what ends the handover.
        }
        if (pub.failed()) break;
        if (now_ns() >= handover_deadline) {
            ok =
                fail(fmt::format("the old daemon (pid {}) was still running {:.1f} s after the "
                                 "takeover command started",
                                 old_pid, _o.handover_timeout_s));
            break;
        }
        if (!_workers.watch(now_ns() + kHandoverPollNs, &error)) {
            ok = fail("during the handover: " + error);
            break;
        }
    }
    const uint64_t ended_ns = now_ns();
    _r.handover_s = double(ended_ns - requested_ns) / 1e9;
    _r.acked_at_exit = pub.acked();
    if (old_cpu_start > 0) {
        _r.old_cpu_known = true;
        _r.old_cpu_s = old_cpu_end - old_cpu_start;
    }
    const double new_cpu_at_exit = _r.command_exited ? 0 : cpu_of(child);
    if (_r.old_exited)
        note(fmt::format("the old daemon exited {:.0f} ms after the request (after event {})",
                         _r.handover_s * 1000, int64_t(_r.acked_at_exit) - 1));

    // 5. after
    if (ok && !pub.failed() && !_workers.watch(now_ns() + sec_to_ns(_o.duration_s), &error))
        fail("after the handover: " + error);
    stop_publishing();
    _r.events_total = pub.acked();
    _r.resent = pub.resent();
    note(fmt::format("{} events published; waiting up to {:.1f} s for deliveries", _r.events_total,
                     _o.drain_timeout_s));
    _workers.broadcast(
        fmt::format("end {} {}", _r.events_total, uint64_t(_o.drain_timeout_s * 1000)));
    WorkerResult w;
    if (!_workers.collect(now_ns() + sec_to_ns(_o.drain_timeout_s) + kControlSlackNs, &w, &error))
        return fail("results: " + error);
    fill_delivery(w);
    fill_takeover(w);
    if (!_r.command_exited && process_running(child)) {
        _r.new_cpu_known = true;
        _r.new_cpu_at_exit_s = new_cpu_at_exit;
        _r.new_cpu_end_s = cpu_of(child);
    } else if (!_r.command_exited) {
        int status = 0;
        waitpid(child, &status, WNOHANG);  // reap it: it died
        fail(fmt::format("the new daemon (pid {}) is gone at the end of the run", child));
    }
    return true;
}

void Run::fill_takeover(const WorkerResult& w) {
    _r.expected_deliveries = _r.events_total * _o.connections;
    _r.events_published = _r.events_total;
    _r.pause_max_us = w.pause_us.max();
    _r.pause_median_us = w.pause_us.quantile(0.5);
    _r.delay_max_us = w.delay_us.max();
    _r.delay_median_us = w.delay_us.quantile(0.5);
    _r.warm_delay_max_us = w.warm_delay_us.max();
    _r.warm_delay_median_us = w.warm_delay_us.quantile(0.5);
    _r.losses = w.losses;
}

}  // namespace ringcast::load

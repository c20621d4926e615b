#pragma once
// Runs the real ringcastd binary (path from $RINGCASTD) the way systemd does:
// a unix datagram socket is named in NOTIFY_SOCKET, and start() returns once the
// daemon sends READY=1 with "STATUS=listening on 127.0.0.1:PORT". Each daemon
// gets its own temporary directory (data dir, config file, log); the log is
// printed when the test that owns the daemon has failed.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "deadline.h"

namespace ringcast::itest {

// The ringcastd binary under test ($RINGCASTD).
std::string ringcastd_path();

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return _path; }
    // Writes `text` to path()/name and returns the file's path.
    std::string write(const std::string& name, const std::string& text) const;

private:
    std::string _path;
};

// The API key every test daemon accepts (see DaemonOptions::config).
inline constexpr std::string_view kTestApiKey = "itest-api-key";

// `config` plus publish.api_keys = [kTestApiKey], unless it sets api_keys itself.
std::string with_test_api_key(const std::string& config);

struct DaemonOptions {
    unsigned shards = 2;
    // TOML written to a file passed with --config. Every test daemon also gets
    // kTestApiKey in publish.api_keys (with_test_api_key), so that HTTP publish
    // and stats work for tests about something else; tests about API access set
    // publish keys themselves.
    std::string config;
    std::vector<std::string> extra_args;
    // --data-dir; empty: a "data" folder in the daemon's own temporary directory.
    // Tests of restarts give the second daemon the first one's data_dir().
    std::string data_dir;
    // "NAME=value" added to the daemon's environment (WATCHDOG_USEC=...).
    std::vector<std::string> env;
    // Keep reading NOTIFY_SOCKET after READY=1 (next_notify()). A test that
    // sets it must read: unread datagrams fill the socket's queue (10 by
    // default, net.unix.max_dgram_qlen), and then the daemon's sd_notify blocks.
    bool keep_notify = false;
};

class DaemonProcess {
public:
    DaemonProcess() : _data_dir(_dir.path() + "/data") {}
    // Kills the daemon (SIGKILL) if it is still running; prints its log if the
    // current test has failed.
    ~DaemonProcess();
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;

    // Starts ringcastd --http 127.0.0.1:0 and awaits readiness. False (see
    // error()) if it exited first, sent no READY, or named no address.
    bool start(const DaemonOptions& opts = {}, const Deadline& d = Deadline(15s));

    uint16_t port() const { return _port; }
    pid_t pid() const { return _pid; }
    // What the daemon announced: MAINPID=, STATUS=.
    pid_t main_pid() const { return _main_pid; }
    const std::string& status_line() const { return _status; }
    // With DaemonOptions::keep_notify: the next message the daemon sent to
    // NOTIFY_SOCKET after READY=1 ("STATUS=...", "WATCHDOG=1", lines joined by
    // '\n'), or nullopt if none came by the deadline.
    std::optional<std::string> next_notify(const Deadline& d);
    // With keep_notify: awaits a message with the line `line` ("READY=1",
    // "STATUS=..."), passing over the ones before it.
    bool await_notify(std::string_view line, const Deadline& d);
    const std::string& error() const { return _error; }
    const TempDir& dir() const { return _dir; }
    // The daemon's --data-dir (where its store and publishing socket live):
    // DaemonOptions::data_dir once started with one, else dir()/data.
    const std::string& data_dir() const { return _data_dir; }
    bool running() const { return _pid > 0 && !_exit_status; }

    bool signal(int sig) const;
    // Awaits the daemon's exit; its exit code (128+N if killed by signal N), or
    // nullopt if it was still running at the deadline.
    std::optional<int> wait_exit(const Deadline& d);
    // SIGTERM, then wait_exit().
    std::optional<int> stop(const Deadline& d = Deadline(15s));
    // The daemon's stdout and stderr so far.
    std::string log() const;
    // Whether `text` shows up in log() before the deadline: for lines a
    // thread of the daemon writes after what the test can observe otherwise.
    bool await_log(std::string_view text, const Deadline& d) const;

private:
    TempDir _dir;
    std::string _data_dir;
    pid_t _pid = -1;
    int _pidfd = -1;
    pid_t _main_pid = -1;
    uint16_t _port = 0;
    std::string _status;
    std::string _error;
    std::optional<int> _exit_status;
    int _notify_fd = -1;  // with keep_notify, after READY=1
};

struct CommandResult {
    std::optional<int> exit_code;  // nullopt: still running at the deadline (then killed)
    std::string out;
    std::string err;
};

// Runs ringcastd with `args` (no NOTIFY_SOCKET), capturing stdout and stderr;
// `env` ("NAME=value") is added to its environment.
CommandResult run_ringcastd(const std::vector<std::string>& args, const Deadline& d = Deadline(15s),
                            const std::vector<std::string>& env = {});

}  // namespace ringcast::itest

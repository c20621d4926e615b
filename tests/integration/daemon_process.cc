#include "daemon_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "child_process.h"
#include "sanitizer_report.h"

extern char** environ;

namespace ringcast::itest {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Runs ringcastd with `args`, stdout/stderr to files, stdin from /dev/null, and
// `extra_env` added to our environment (less a NOTIFY_SOCKET of the runner's).
Child spawn(const std::vector<std::string>& args, const std::string& out_path,
            const std::string& err_path, const std::vector<std::string>& extra_env,
            std::string* error) {
    SpawnOptions o;
    o.out_path = out_path;
    o.err_path = err_path;
    // Not make run's daemon, whatever started the tests (server/launch_hints.h).
    o.drop_env = {"NOTIFY_SOCKET=", "RINGCAST_MAKE_RUN="};
    o.extra_env = extra_env;
    return spawn_child(ringcastd_path(), args, o, error);
}

void kill_and_reap(pid_t pid, int pidfd) {
    ::kill(pid, SIGKILL);
    await_exit(pid, pidfd, Deadline(10s));
}

}  // namespace

std::string ringcastd_path() {
    const char* p = std::getenv("RINGCASTD");
    return p && *p ? p : "ringcastd";
}

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ringcast-it-XXXXXX";
    if (char* p = mkdtemp(tmpl.data())) _path = p;
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!_path.empty()) std::filesystem::remove_all(_path, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
    std::string path = _path + "/" + name;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
    return path;
}

DaemonProcess::~DaemonProcess() {
    if (running()) kill_and_reap(_pid, _pidfd);
    if (_pidfd >= 0) ::close(_pidfd);
    if (_notify_fd >= 0) ::close(_notify_fd);
    // Before the log is printed for a failure: a report is one.
    if (_pid > 0) expect_no_sanitizer_report("ringcastd", log());
    if (_pid > 0 && ::testing::Test::HasFailure()) {
        std::string l = log();
        if (l.size() > 8000) l = "...\n" + l.substr(l.size() - 8000);
        std::fprintf(stderr, "---- ringcastd (pid %d) log ----\n%s---- end of log ----\n",
                     int(_pid), l.c_str());
    }
}

bool DaemonProcess::start(const DaemonOptions& opts, const Deadline& d) {
    if (_dir.path().empty()) {
        _error = "cannot create a temporary directory";
        return false;
    }
    // The notification socket: systemd's side of sd_notify().
    std::string sock_path = _dir.path() + "/notify.sock";
    int ns = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (sock_path.size() >= sizeof sa.sun_path) {
        _error = "notify socket path too long: " + sock_path;
        return false;
    }
    std::memcpy(sa.sun_path, sock_path.c_str(), sock_path.size() + 1);
    if (ns < 0 || ::bind(ns, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        _error = std::string("notify socket: ") + std::strerror(errno);
        if (ns >= 0) ::close(ns);
        return false;
    }

    if (!opts.data_dir.empty()) _data_dir = opts.data_dir;
    std::vector<std::string> args = {
        "--http", "127.0.0.1:0", "--shards", std::to_string(opts.shards), "--data-dir", _data_dir};
    // A test that names its own --config (the installed file, say) runs as is.
    if (std::find(opts.extra_args.begin(), opts.extra_args.end(), "--config") ==
        opts.extra_args.end()) {
        args.push_back("--config");
        args.push_back(_dir.write("ringcast.toml", with_test_api_key(opts.config)));
    }
    args.insert(args.end(), opts.extra_args.begin(), opts.extra_args.end());
    std::vector<std::string> env = opts.env;
    env.push_back("NOTIFY_SOCKET=" + sock_path);
    Child c = spawn(args, _dir.path() + "/stdout.log", _dir.path() + "/stderr.log", env, &_error);
    _pid = c.pid;
    _pidfd = c.pidfd;
    if (_pid < 0 || _pidfd < 0) {
        ::close(ns);
        return false;
    }

    // Await READY=1 or the daemon's exit, whichever comes first.
    bool ready = false;
    while (!ready) {
        pollfd p[2] = {{ns, POLLIN, 0}, {_pidfd, POLLIN, 0}};
        int r = ::poll(p, 2, d.poll_ms());
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            _error = "no READY=1 from ringcastd within the deadline";
            break;
        }
        if (p[0].revents & POLLIN) {
            char buf[4096];
            ssize_t n = ::recv(ns, buf, sizeof buf - 1, 0);
            if (n <= 0) continue;
            std::string_view msg(buf, size_t(n));
            while (!msg.empty()) {
                size_t nl = msg.find('\n');
                std::string_view line = msg.substr(0, nl);
                msg = nl == std::string_view::npos ? std::string_view() : msg.substr(nl + 1);
                if (line == "READY=1") ready = true;
                if (line.starts_with("STATUS=")) _status.assign(line.substr(7));
                if (line.starts_with("MAINPID="))
                    std::from_chars(line.data() + 8, line.data() + line.size(), _main_pid);
            }
            continue;
        }
        if (p[1].revents & POLLIN) {
            _exit_status = await_exit(_pid, _pidfd, Deadline(1s));
            _error = "ringcastd exited with " +
                     (_exit_status ? std::to_string(*_exit_status) : "?") + " before it was ready";
            break;
        }
    }
    if (ready && opts.keep_notify)
        _notify_fd = ns;
    else
        ::close(ns);
    if (!ready) {
        _error += "\n" + log();
        return false;
    }
    // "listening on 127.0.0.1:PORT"
    size_t colon = _status.rfind(':');
    unsigned port = 0;
    if (_status.starts_with("listening on 127.0.0.1:") && colon != std::string::npos)
        std::from_chars(_status.data() + colon + 1, _status.data() + _status.size(), port);
    if (port == 0 || port > 65535) {
        _error = "READY without a usable STATUS address: \"" + _status + "\"";
        return false;
    }
    _port = uint16_t(port);
    return true;
}

std::optional<std::string> DaemonProcess::next_notify(const Deadline& d) {
    if (_notify_fd < 0) return std::nullopt;
    for (;;) {
        pollfd p{_notify_fd, POLLIN, 0};
        int r = ::poll(&p, 1, d.poll_ms());
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return std::nullopt;
        char buf[4096];
        ssize_t n = ::recv(_notify_fd, buf, sizeof buf, 0);
        if (n > 0) return std::string(buf, size_t(n));
    }
}

bool DaemonProcess::await_notify(std::string_view line, const Deadline& d) {
    while (std::optional<std::string> msg = next_notify(d)) {
        std::string_view rest = *msg;
        while (!rest.empty()) {
            size_t nl = std::min(rest.find('\n'), rest.size());
            if (rest.substr(0, nl) == line) return true;
            rest.remove_prefix(std::min(nl + 1, rest.size()));
        }
    }
    return false;
}

bool DaemonProcess::signal(int sig) const {
    return running() && ::kill(_pid, sig) == 0;
}

std::optional<int> DaemonProcess::wait_exit(const Deadline& d) {
    if (_exit_status || _pid <= 0) return _exit_status;
    _exit_status = await_exit(_pid, _pidfd, d);
    return _exit_status;
}

std::optional<int> DaemonProcess::stop(const Deadline& d) {
    signal(SIGTERM);
    return wait_exit(d);
}

std::string DaemonProcess::log() const {
    return read_file(_dir.path() + "/stdout.log") + read_file(_dir.path() + "/stderr.log");
}

bool DaemonProcess::await_log(std::string_view text, const Deadline& d) const {
    while (log().find(text) == std::string::npos) {
        if (d.expired()) return false;
        ::poll(nullptr, 0, 10);  // a file has no readiness to wait on
    }
    return true;
}

CommandResult run_ringcastd(const std::vector<std::string>& args, const Deadline& d,
                            const std::vector<std::string>& env) {
    TempDir dir;
    CommandResult res;
    std::string error;
    std::string out = dir.path() + "/stdout", err = dir.path() + "/stderr";
    Child c = spawn(args, out, err, env, &error);
    if (c.pid < 0) {
        res.err = error;
        return res;
    }
    if (c.pidfd < 0) {
        res.err = error;
        int status;
        waitpid(c.pid, &status, 0);
        return res;
    }
    res.exit_code = await_exit(c.pid, c.pidfd, d);
    if (!res.exit_code) kill_and_reap(c.pid, c.pidfd);
    ::close(c.pidfd);
    res.out = read_file(out);
    res.err = read_file(err);
    expect_no_sanitizer_report("ringcastd", res.err);
    return res;
}

std::string with_test_api_key(const std::string& config) {
    if (config.find("api_keys") != std::string::npos) return config;
    const std::string line = "api_keys = [\"" + std::string(kTestApiKey) + "\"]\n";
    size_t at = config.find("[publish]\n");
    if (at == std::string::npos) return config + "\n[publish]\n" + line;
    std::string out = config;
    out.insert(at + std::string("[publish]\n").size(), line);
    return out;
}

}  // namespace ringcast::itest

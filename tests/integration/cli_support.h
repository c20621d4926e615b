#pragma once
// Running the `ringcast` tool ($RINGCAST_CLI) in the tests of the tool and of
// the C++ client (cli*_test.cc): one process per run, its stdout and stderr
// to files, awaited through a pidfd within a deadline; the socket of a test
// daemon; reading what the tool printed (JSON, lines, table rows).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "child_process.h"
#include "daemon_process.h"
#include "deadline.h"
#include "json.h"
#include "sanitizer_report.h"

extern char** environ;

namespace ringcast::itest {

// --- running the tool ------------------------------------------------------------

inline std::string cli_path() {
    const char* p = std::getenv("RINGCAST_CLI");
    return p && *p ? p : "ringcast";
}

inline std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

struct CliOptions {
    std::vector<std::string> env;  // added to the environment ("NAME=value")
    std::string stdin_text;
    std::string cwd;  // empty: ours
};

// One run of `ringcast`, stdout and stderr to files, awaited through a pidfd.
class CliProcess {
public:
    CliProcess() = default;
    ~CliProcess() {
        if (_pid > 0 && !_exit) {
            ::kill(_pid, SIGKILL);
            wait(Deadline(10s));
        }
        if (_pidfd >= 0) ::close(_pidfd);
        if (_pid > 0) expect_no_sanitizer_report("ringcast", err());
    }
    CliProcess(const CliProcess&) = delete;
    CliProcess& operator=(const CliProcess&) = delete;

    bool start(const std::vector<std::string>& args, const CliOptions& o = {}) {
        return start_program(cli_path(), args, o);
    }
    // Another program (a wrapper that runs the tool, say) the same way.
    bool start_program(const std::string& bin, const std::vector<std::string>& args,
                       const CliOptions& o = {}) {
        SpawnOptions so;
        so.in_path = _dir.write("stdin", o.stdin_text);
        so.out_path = out_path();
        so.err_path = err_path();
        so.cwd = o.cwd;
        // Our environment without the tool's own variables, so that only what a
        // test sets counts.
        so.drop_env = {"RINGCAST_SOCKET=", "RINGCAST_HTTP="};
        so.extra_env = o.env;
        std::string error;
        Child c = spawn_child(bin, args, so, &error);
        if (c.pid < 0 || c.pidfd < 0) {
            ADD_FAILURE() << error;
            _pid = -1;
            return false;
        }
        _pid = c.pid;
        _pidfd = c.pidfd;
        return true;
    }

    // The exit code (128+N if killed by signal N); nullopt if still running.
    std::optional<int> wait(const Deadline& d) {
        if (!_exit) _exit = await_exit(_pid, _pidfd, d);
        return _exit;
    }
    bool signal(int sig) const { return _pid > 0 && ::kill(_pid, sig) == 0; }
    std::string out() const { return slurp(out_path()); }
    std::string err() const { return slurp(err_path()); }

private:
    std::string out_path() const { return _dir.path() + "/stdout"; }
    std::string err_path() const { return _dir.path() + "/stderr"; }

    TempDir _dir;
    pid_t _pid = -1;
    int _pidfd = -1;
    std::optional<int> _exit;
};

struct CliRun {
    std::optional<int> code;  // nullopt: did not exit in time (killed)
    std::string out, err;
    std::string describe() const {
        return "exit " + (code ? std::to_string(*code) : "none (hung)") + "\n--- stdout:\n" + out +
               "--- stderr:\n" + err;
    }
};

inline CliRun run_cli(const std::vector<std::string>& args, const CliOptions& o = {},
                      const Deadline& d = Deadline(15s)) {
    CliProcess p;
    CliRun r;
    if (!p.start(args, o)) return r;
    r.code = p.wait(d);
    r.out = p.out();
    r.err = p.err();
    return r;
}

// --- the daemon's side -----------------------------------------------------------

inline std::string socket_of(const DaemonProcess& d) {
    return d.dir().path() + "/data/ringcast.sock";
}

// `ringcast --socket <the daemon's> args...`
inline CliRun run_on(const DaemonProcess& d, std::vector<std::string> args,
                     const CliOptions& o = {}) {
    args.insert(args.begin(), {"--socket", socket_of(d)});
    return run_cli(args, o);
}

inline std::string http_of(const DaemonProcess& d) {
    return "127.0.0.1:" + std::to_string(d.port());
}

inline Json parse_json(const std::string& text) {
    std::string error;
    auto j = Json::parse(text, &error);
    EXPECT_TRUE(j) << error << ":\n" << text;
    return j ? *j : Json();
}

inline std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) out.push_back(l);
    return out;
}

inline bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

// The cells (split on blanks) of the first printed line whose first cell is
// `first_cell`; empty if there is none.
inline std::vector<std::string> row_of(const std::vector<std::string>& lines,
                                       const std::string& first_cell) {
    for (const std::string& l : lines) {
        std::istringstream in(l);
        std::vector<std::string> cells;
        for (std::string w; in >> w;)
            cells.push_back(w);
        if (!cells.empty() && cells[0] == first_cell) return cells;
    }
    return {};
}

// The lines of one section of `ringcast stats` (a title line, then its table,
// up to the blank line before the next section), title excluded.
inline std::vector<std::string> section_of(const std::string& out, const std::string& title) {
    size_t at = out.starts_with(title + "\n") ? 0 : out.find("\n\n" + title + "\n");
    if (at == std::string::npos) return {};
    size_t begin = out.find('\n', at == 0 ? 0 : at + 2) + 1;
    size_t end = out.find("\n\n", begin);
    return lines_of(out.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
}

}  // namespace ringcast::itest

#pragma once
// A real redis-server started by a test (Debian's, from TEST_DEBS): nothing
// saved to disk, listening on a Unix socket in a temporary directory and, when
// asked, on a free TCP port of 127.0.0.1. start() returns once Redis says it
// accepts connections (its log line, read from a pipe with a deadline: no
// polling, no sleep). It is ended by PID (SIGTERM, or kill() for SIGKILL) and
// can be started again on the same socket and port: what the Redis link's
// reconnect tests need. Header-only, shared by the unit tests (tests/unit/
// cluster) and the integration tests (tests/integration/cluster_test.cc).
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace ringcast::test {

// The redis-server binary ($PATH, then /usr/bin), or "" when not installed.
inline std::string redis_server_path() {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "";
    dirs += ":/usr/bin:/usr/sbin:/usr/local/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string candidate = dirs.substr(start, end - start) + "/redis-server";
        if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return "";
}

struct RedisServerOptions {
    bool tcp = false;      // also listen on a free port of 127.0.0.1
    std::string password;  // requirepass ("" = none)
    // An append-only file in the server's directory, every write fsynced:
    // what it acknowledged survives a kill and a start again.
    bool durable = false;
};

class RedisServer {
public:
    RedisServer() {
        const char* base = std::getenv("TMPDIR");
        std::string t = std::string(base && *base ? base : "/tmp") + "/ringcast-redis-XXXXXX";
        std::vector<char> buf(t.begin(), t.end());
        buf.push_back('\0');
        if (::mkdtemp(buf.data())) _dir = buf.data();
    }
    ~RedisServer() {
        stop();
        if (!_dir.empty()) {
            ::unlink(socket_path().c_str());
            ::rmdir(_dir.c_str());
        }
    }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    // Starts redis-server (again, on the same socket and port, after stop()
    // or kill()). False with error() when it is missing or did not come up
    // within `timeout`.
    bool start(const RedisServerOptions& opts = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        _opts = opts;
        const std::string bin = redis_server_path();
        if (bin.empty()) {
            _error = "redis-server is not installed (Debian: apt-get install redis-server)";
            return false;
        }
        for (int attempt = 0; attempt < 5; ++attempt) {
            if (opts.tcp && (_port == 0 || attempt > 0)) _port = free_port();
            if (launch(bin, timeout)) return true;
            if (_error.find("Address already in use") == std::string::npos) return false;
        }
        return false;
    }
    // SIGTERM by PID, and its exit awaited.
    void stop() { end(SIGTERM); }
    // SIGKILL by PID: Redis gone without a word, as in a crash.
    void kill() { end(SIGKILL); }

    bool running() const { return _pid > 0; }
    pid_t pid() const { return _pid; }
    uint16_t port() const { return _port; }
    const std::string& dir() const { return _dir; }
    std::string socket_path() const { return _dir + "/redis.sock"; }
    std::string unix_url() const { return "unix://" + socket_path(); }
    std::string tcp_url() const { return "redis://127.0.0.1:" + std::to_string(_port); }
    const std::string& error() const { return _error; }

private:
    static uint16_t free_port() {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        uint16_t port = 0;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
            port = ntohs(a.sin_port);
        ::close(fd);
        return port;
    }

    bool launch(const std::string& bin, std::chrono::milliseconds timeout) {
        std::vector<std::string> args = {bin,
                                         "--port",
                                         std::to_string(_opts.tcp ? _port : 0),
                                         "--bind",
                                         "127.0.0.1",
                                         "--unixsocket",
                                         socket_path(),
                                         "--unixsocketperm",
                                         "700",
                                         "--save",
                                         "",
                                         "--appendonly",
                                         _opts.durable ? "yes" : "no",
                                         "--appendfsync",
                                         "always",
                                         "--daemonize",
                                         "no",
                                         "--dir",
                                         _dir,
                                         "--loglevel",
                                         "notice"};
        if (!_opts.password.empty()) {
            args.push_back("--requirepass");
            args.push_back(_opts.password);
        }
        std::vector<char*> argv;
        for (std::string& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0) {
            _error = "pipe failed";
            return false;
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_adddup2(&fa, out[1], 2);
        pid_t pid = -1;
        const int rc = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(out[1]);
        if (rc != 0) {
            ::close(out[0]);
            _error = "cannot start " + bin;
            return false;
        }
        _pid = pid;
        // Its log, until it is ready on every listener (one line each) or
        // it ends.
        std::string log;
        const unsigned want = _opts.tcp ? 2 : 1;
        const auto until = std::chrono::steady_clock::now() + timeout;
        bool ready = false;
        while (!ready) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            pollfd p{out[0], POLLIN, 0};
            if (::poll(&p, 1, int(left.count())) <= 0) break;
            char buf[4096];
            ssize_t n = ::read(out[0], buf, sizeof buf);
            if (n <= 0) break;
            log.append(buf, size_t(n));
            unsigned seen = 0;
            // "Ready to accept connections" (TCP), "The server is now ready
            // to accept connections at <path>" (Unix): Redis 7.0's words.
            for (size_t at = log.find("eady to accept connections"); at != std::string::npos;
                 at = log.find("eady to accept connections", at + 1))
                ++seen;
            ready = seen >= want;
        }
        // Nobody reads its log from now on: Redis ignores SIGPIPE, so its
        // later lines fail to be written, and it goes on.
        ::close(out[0]);
        if (!ready) {
            _error = "redis-server did not come up: " + log;
            end(SIGKILL);
            return false;
        }
        return true;
    }

    void end(int sig) {
        if (_pid <= 0) return;
        ::kill(_pid, sig);
        int status = 0;
        ::waitpid(_pid, &status, 0);
        _pid = -1;
    }

    RedisServerOptions _opts;
    std::string _dir;
    pid_t _pid = -1;
    uint16_t _port = 0;
    std::string _error;
};

}  // namespace ringcast::test

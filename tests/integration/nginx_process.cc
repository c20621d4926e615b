#include "nginx_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "child_process.h"
#include "tcp.h"

namespace ringcast::itest {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

bool executable(const std::string& path) {
    return ::access(path.c_str(), X_OK) == 0;
}

// Replaces the one line of `text` that contains `marker` by `line`; false if
// there is not exactly one.
bool replace_line(std::string& text, std::string_view marker, const std::string& line) {
    const size_t at = text.find(marker);
    if (at == std::string::npos || text.find(marker, at + 1) != std::string::npos) return false;
    const size_t begin = text.rfind('\n', at) + 1;  // npos + 1 == 0: the first line
    const size_t end = text.find('\n', at);
    text.replace(begin, end == std::string::npos ? std::string::npos : end - begin, line);
    return true;
}

}  // namespace

std::string nginx_path() {
    std::vector<std::string> dirs;
    if (const char* path = std::getenv("PATH")) {
        std::stringstream ss(path);
        for (std::string dir; std::getline(ss, dir, ':');)
            if (!dir.empty()) dirs.push_back(dir);
    }
    dirs.insert(dirs.end(), {"/usr/sbin", "/usr/local/sbin"});
    for (const std::string& dir : dirs)
        if (executable(dir + "/nginx")) return dir + "/nginx";
    return {};
}

NginxProcess::~NginxProcess() {
    stop();
    if (!_dir.path().empty() && ::testing::Test::HasFailure()) {
        std::string l = error_log();
        if (l.size() > 8000) l = "...\n" + l.substr(l.size() - 8000);
        std::fprintf(stderr, "---- nginx error log ----\n%s---- end of log ----\n", l.c_str());
    }
}

void NginxProcess::stop() {
    if (_pid > 0) {
        ::kill(_pid, SIGTERM);  // fast shutdown
        if (!await_exit(_pid, _pidfd, Deadline(5s))) {
            ::kill(_pid, SIGKILL);
            await_exit(_pid, _pidfd, Deadline(5s));
        }
    }
    if (_pidfd >= 0) ::close(_pidfd);
    _pid = -1;
    _pidfd = -1;
}

std::string NginxProcess::error_log() const {
    return read_file(_dir.path() + "/error.log");
}

bool NginxProcess::start(uint16_t upstream_port, const Deadline& d) {
    const std::string bin = nginx_path();
    if (bin.empty()) {
        _error =
            "nginx is not installed: install the Debian package nginx-light (`make deps` does) "
            "to run the reverse-proxy tests";
        return false;
    }
    const char* conf = std::getenv("RINGCAST_NGINX_CONF");
    if (!conf || !*conf) {
        _error = "RINGCAST_NGINX_CONF is not set (meson sets it to docs/nginx/ringcast.conf)";
        return false;
    }
    const std::string documented = read_file(conf);
    if (documented.empty()) {
        _error = std::string("cannot read ") + conf;
        return false;
    }
    if (_dir.path().empty()) {
        _error = "cannot create a temporary directory";
        return false;
    }
    const std::string& dir = _dir.path();
    // Everything nginx writes stays in the temporary directory.
    const std::string main_conf =
        "daemon off;\n"
        "master_process off;\n"
        "pid " +
        dir +
        "/nginx.pid;\n"
        "error_log " +
        dir +
        "/error.log info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    access_log " +
        dir +
        "/access.log;\n"
        "    client_body_temp_path " +
        dir +
        "/client_body;\n"
        "    proxy_temp_path " +
        dir +
        "/proxy;\n"
        "    fastcgi_temp_path " +
        dir +
        "/fastcgi;\n"
        "    uwsgi_temp_path " +
        dir +
        "/uwsgi;\n"
        "    scgi_temp_path " +
        dir +
        "/scgi;\n"
        "    include " +
        dir +
        "/ringcast.conf;\n"
        "}\n";
    _dir.write("nginx.conf", main_conf);
    for (int attempt = 1; attempt <= 5; ++attempt) {
        const uint16_t port = free_port();
        if (port == 0) {
            _error = std::string("no free port: ") + std::strerror(errno);
            return false;
        }
        std::string server = documented;
        if (!replace_line(server, "# test: ringcastd's address",
                          "    server 127.0.0.1:" + std::to_string(upstream_port) + ";") ||
            !replace_line(server, "# test: nginx's address",
                          "    listen 127.0.0.1:" + std::to_string(port) + ";")) {
            _error = std::string(conf) +
                     " must have exactly one line marked \"# test: ringcastd's address\" (the "
                     "upstream's server) and one marked \"# test: nginx's address\" (listen)";
            return false;
        }
        _dir.write("ringcast.conf", server);
        if (start_on(port, d)) return true;
        // Someone took the port between free_port() and nginx's bind: again.
        if (error_log().find("Address already in use") == std::string::npos || d.expired())
            return false;
        std::remove((dir + "/error.log").c_str());
    }
    _error = "nginx found no free port in 5 attempts";
    return false;
}

bool NginxProcess::start_on(uint16_t port, const Deadline& d) {
    const std::string& dir = _dir.path();
    std::remove((dir + "/nginx.pid").c_str());
    Child c = spawn_child(
        nginx_path(), {"-p", dir + "/", "-c", dir + "/nginx.conf", "-e", dir + "/error.log"},
        {.out_path = dir + "/stdout.log", .err_path = dir + "/stderr.log"}, &_error);
    if (c.pid < 0 || c.pidfd < 0) return false;
    _pid = c.pid;
    _pidfd = c.pidfd;
    // nginx writes its pid file once its listening socket is bound: then it is ours.
    const std::string want = std::to_string(_pid);
    while (!d.expired()) {
        std::string pid = read_file(dir + "/nginx.pid");
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
            pid.pop_back();
        if (pid == want) {
            _port = port;
            return true;
        }
        if (auto code = await_exit(_pid, _pidfd, Deadline(10ms))) {
            ::close(_pidfd);
            _pid = -1;
            _pidfd = -1;
            _error = "nginx exited with code " + std::to_string(*code) + ": " +
                     read_file(dir + "/stderr.log") + error_log();
            return false;
        }
    }
    _error = "nginx did not write its pid file in time: " + error_log();
    stop();
    return false;
}

}  // namespace ringcast::itest

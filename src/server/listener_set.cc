#include "server/listener_set.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "net/listener.h"
#include "server/handover_codec.h"

namespace ringcast {

ListenerSet::~ListenerSet() {
    for (int fd : _http)
        if (fd >= 0) close(fd);
    for (int fd : _https)
        if (fd >= 0) close(fd);
    drop_handover_fds();
    if (_unix >= 0) close(_unix);
    if (_metrics >= 0) close(_metrics);
    remove_socket_file();
}

bool ListenerSet::open(const Config& cfg, const SocketAddress& http, unsigned shards,
                       const LaunchHints& hints, const ActivatedSockets& passed,
                       std::string* error) {
    if (passed.http >= 0) take_passed_http(passed.http);
    if (passed.publish >= 0) take_passed_unix(passed.publish);
    if (!(passed.http >= 0 || open_http(cfg, http, shards, hints, error)) ||
        !(passed.publish >= 0 || open_unix(cfg, hints, error)) || !open_metrics(cfg, error))
        return false;
    if (passed.https >= 0) {  // (with tls.listen set: run_daemon checked)
        // One socket: shard 0 accepts and hands connections off.
        _https.push_back(passed.https);
        _https_bound = bound_address(passed.https);
        _https_passed = true;
    } else if (!open_https(cfg, shards, error)) {
        return false;
    }
    keep_duplicates();
    return true;
}

void ListenerSet::take_passed_http(int fd) {
    _handoff = true;
    _bound = bound_address(fd);
    _http.push_back(fd);
}

void ListenerSet::take_passed_unix(int fd) {
    _unix = fd;
    sockaddr_un sa{};
    socklen_t len = sizeof sa;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0 &&
        len > offsetof(sockaddr_un, sun_path) && sa.sun_path[0] != '\0')
        _unix_path.assign(sa.sun_path, strnlen(sa.sun_path, sizeof sa.sun_path));
    else
        _unix_path = "(passed by systemd)";
    // Not ours: the socket unit made the file and removes it.
    _unix_file_ours = false;
    _unix_passed = true;
}

bool ListenerSet::open_metrics(const Config& cfg, std::string* error) {
    if (cfg.metrics_listen.empty()) return true;
    std::optional<SocketAddress> addr = parse_address(cfg.metrics_listen, error);
    if (!addr) {
        *error = "invalid metrics.listen '" + cfg.metrics_listen + "': " + *error +
                 "; give one like \"127.0.0.1:9090\", or \"\" for none";
        return false;
    }
    // A scraper and a prober or two: a small backlog, no SO_REUSEPORT.
    _metrics = open_listener(*addr, ListenOptions{false, 64}, error);
    if (_metrics < 0) {
        *error = "metrics.listen: " + *error + ": choose another address in [metrics] listen";
        _metrics = -1;
        return false;
    }
    _metrics_bound = bound_address(_metrics);
    return true;
}

bool ListenerSet::open_https(const Config& cfg, unsigned shards, std::string* error) {
    if (cfg.tls_listen.empty()) return true;
    std::optional<SocketAddress> addr = parse_address(cfg.tls_listen, error);
    if (!addr) {
        *error = "invalid tls.listen '" + cfg.tls_listen + "': " + *error +
                 "; give one like \"0.0.0.0:8443\", or \"\" for none";
        return false;
    }
    SocketAddress bound = *addr;
    for (unsigned i = 0; i < (_handoff ? 1u : shards); ++i) {
        int fd = open_listener(bound, ListenOptions{!_handoff, int(cfg.listen_backlog)}, error);
        if (fd < 0) {
            *error = "tls.listen: " + *error + ": choose another address in [tls] listen";
            return false;
        }
        if (i == 0) bound = bound_address(fd);  // port 0: the others join the chosen port
        _https.push_back(fd);
    }
    _https_bound = bound;
    return true;
}

int ListenerSet::take_https(unsigned shard) {
    const bool one = https_handoff();
    unsigned i = one ? 0 : shard;
    if ((one && shard != 0) || i >= _https.size()) return -1;
    int fd = _https[i];
    _https[i] = -1;
    return fd;
}

bool ListenerSet::adopt_https(const Config& cfg, std::vector<int> https, unsigned shards,
                              std::string* error) {
    std::optional<SocketAddress> want;
    if (!cfg.tls_listen.empty()) want = parse_address(cfg.tls_listen, error);
    // Kept only when the configured address is the one handed over (or port 0).
    const bool same =
        want && !https.empty() &&
        (want->port() == 0 || bound_address(https[0]).to_string() == want->to_string());
    if (!same) {
        for (int fd : https)
            close(fd);
        return open_https(cfg, shards, error);
    }
    _https_bound = bound_address(https[0]);
    _https = std::move(https);
    const size_t n = _handoff ? 1u : shards;
    while (_https.size() > n) {
        close(_https.back());
        _https.pop_back();
    }
    while (_https.size() < n) {
        int fd = open_listener(*_https_bound, ListenOptions{true, int(cfg.listen_backlog)}, error);
        if (fd < 0) return false;
        _https.push_back(fd);
    }
    return true;
}

int ListenerSet::take_metrics() {
    int fd = _metrics;
    _metrics = -1;
    return fd;
}

void ListenerSet::keep_duplicates() {
    for (int fd : _http)
        if (int d = fcntl(fd, F_DUPFD_CLOEXEC, 0); d >= 0) _dups.push_back(d);
    if (_unix >= 0) _dup_unix = fcntl(_unix, F_DUPFD_CLOEXEC, 0);
    if (_metrics >= 0) _dup_metrics = fcntl(_metrics, F_DUPFD_CLOEXEC, 0);
    for (int fd : _https)
        if (int d = fcntl(fd, F_DUPFD_CLOEXEC, 0); d >= 0) _https_dups.push_back(d);
}

void ListenerSet::drop_handover_fds() {
    for (int fd : _dups)
        close(fd);
    _dups.clear();
    if (_dup_unix >= 0) close(_dup_unix);
    _dup_unix = -1;
    if (_dup_metrics >= 0) close(_dup_metrics);
    _dup_metrics = -1;
    for (int fd : _https_dups)
        close(fd);
    _https_dups.clear();
}

std::vector<int> ListenerSet::handover_fds(HandedListeners* what) const {
    std::vector<int> fds = _dups;
    what->http = uint32_t(_dups.size());
    what->has_unix = _dup_unix >= 0;
    if (_dup_unix >= 0) fds.push_back(_dup_unix);
    what->has_metrics = _dup_metrics >= 0;
    if (_dup_metrics >= 0) fds.push_back(_dup_metrics);
    what->https = uint32_t(_https_dups.size());
    fds.insert(fds.end(), _https_dups.begin(), _https_dups.end());
    return fds;
}

bool ListenerSet::adopt(const Config& cfg, std::vector<int> http, int unix_fd, int metrics_fd,
                        std::vector<int> https, unsigned shards, const LaunchHints& hints,
                        std::string* error) {
    // The metrics listener: the old daemon's while it is configured here too
    // (its port is the old daemon's until it exits), else opened as configured.
    if (metrics_fd >= 0 && !cfg.metrics_listen.empty()) {
        _metrics = metrics_fd;
        _metrics_bound = bound_address(metrics_fd);
    } else if (metrics_fd >= 0) {
        close(metrics_fd);
    }
    _handoff = cfg.accept == "handoff";
    const size_t want = _handoff ? 1u : shards;
    _http = std::move(http);
    if (_http.empty()) {
        *error = "the running daemon handed over no HTTP listener";
        if (unix_fd >= 0) close(unix_fd);
        for (int fd : https)
            close(fd);
        return false;
    }
    if (!adopt_https(cfg, std::move(https), shards, error)) {
        if (unix_fd >= 0) close(unix_fd);
        return false;
    }
    _bound = bound_address(_http[0]);
    // A listener more than this daemon accepts on would hold connections
    // nobody takes: closed (reuseport with fewer shards); one short is opened
    // on the same port (reuseport with more).
    while (_http.size() > want) {
        close(_http.back());
        _http.pop_back();
    }
    while (_http.size() < want) {
        int fd = open_listener(_bound, ListenOptions{true, int(cfg.listen_backlog)}, error);
        if (fd < 0) {
            if (unix_fd >= 0) close(unix_fd);
            return false;
        }
        _http.push_back(fd);
    }
    std::string path = cfg.unix_path;
    if (!path.empty() && path.front() != '/')
        path = (std::filesystem::path(cfg.data_dir) / path).string();
    sockaddr_un sa{};
    socklen_t len = sizeof sa;
    const bool same = unix_fd >= 0 && !path.empty() &&
                      getsockname(unix_fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0 &&
                      path == sa.sun_path;
    if (same) {
        _unix = unix_fd;
        _unix_path = path;
        _unix_file_ours = stat(_unix_path.c_str(), &_unix_file) == 0;
    } else {
        if (unix_fd >= 0) close(unix_fd);  // configured elsewhere now, or not at all
        if (!open_unix(cfg, hints, error)) return false;
    }
    if (_metrics < 0 && !open_metrics(cfg, error)) return false;
    keep_duplicates();
    return true;
}

bool ListenerSet::open_http(const Config& cfg, const SocketAddress& http, unsigned shards,
                            const LaunchHints& hints, std::string* error) {
    _handoff = cfg.accept == "handoff";
    _bound = http;
    for (unsigned i = 0; i < (_handoff ? 1u : shards); ++i) {
        int fd = open_listener(_bound, ListenOptions{!_handoff, int(cfg.listen_backlog)}, error);
        if (fd < 0) {
            if (fd == -EADDRINUSE) {
                SocketAddress next = _bound;
                next.set_port(_bound.port() % 65535 + 1);
                *error +=
                    ": pick another address, for example " + hints.other_http(next.to_string());
            }
            return false;
        }
        if (i == 0) _bound = bound_address(fd);  // port 0: the others join the chosen port
        _http.push_back(fd);
    }
    return true;
}

bool ListenerSet::open_unix(const Config& cfg, const LaunchHints& hints, std::string* error) {
    if (cfg.unix_path.empty()) return true;
    _unix_path = cfg.unix_path;
    if (_unix_path.front() != '/')
        _unix_path = (std::filesystem::path(cfg.data_dir) / _unix_path).string();
    UnixListenOptions uo;
    uo.mode = unsigned(std::strtoul(cfg.unix_mode.c_str(), nullptr, 8));
    uo.group = cfg.unix_group;
    uo.backlog = int(cfg.listen_backlog);
    _unix = open_unix_listener(_unix_path, uo, error);
    if (_unix < 0) {
        if (_unix == -EADDRINUSE) *error += ": stop it, or " + hints.other_socket(cfg.http);
        if (_unix == -EEXIST) *error += ": remove it, or " + hints.other_socket(cfg.http);
        _unix = -1;
        return false;
    }
    _unix_file_ours = stat(_unix_path.c_str(), &_unix_file) == 0;
    return true;
}

int ListenerSet::take_http(unsigned shard) {
    unsigned i = _handoff ? 0 : shard;
    if ((_handoff && shard != 0) || i >= _http.size()) return -1;
    int fd = _http[i];
    _http[i] = -1;
    return fd;
}

int ListenerSet::take_unix() {
    int fd = _unix;
    _unix = -1;
    return fd;
}

void ListenerSet::remove_socket_file() {
    if (!_unix_file_ours) return;
    _unix_file_ours = false;
    struct stat now {};
    if (stat(_unix_path.c_str(), &now) == 0 && now.st_ino == _unix_file.st_ino &&
        now.st_dev == _unix_file.st_dev)
        unlink(_unix_path.c_str());
}

}  // namespace ringcast

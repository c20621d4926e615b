#include "server/listener_set.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "net/listener.h"

namespace ringcast {

ListenerSet::~ListenerSet() {
    for (int fd : _http)
        if (fd >= 0) close(fd);
    if (_unix >= 0) close(_unix);
    if (_metrics >= 0) close(_metrics);
    remove_socket_file();
}

bool ListenerSet::open(const Config& cfg, const SocketAddress& http, unsigned shards,
                       const LaunchHints& hints, const ActivatedSockets& passed,
                       std::string* error) {
    if (passed.http >= 0) take_passed_http(passed.http);
    if (passed.publish >= 0) take_passed_unix(passed.publish);
    return (passed.http >= 0 || open_http(cfg, http, shards, hints, error)) &&
           (passed.publish >= 0 || open_unix(cfg, hints, error)) && open_metrics(cfg, error);
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

int ListenerSet::take_metrics() {
    int fd = _metrics;
    _metrics = -1;
    return fd;
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

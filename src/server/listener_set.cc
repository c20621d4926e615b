#include "server/listener_set.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "net/listener.h"
#include "server/handover_codec.h"

namespace ringcast {

ListenerSet::~ListenerSet() {
    for (int fd : _http)
        if (fd >= 0) close(fd);
    drop_handover_fds();
    if (_unix >= 0) close(_unix);
    remove_socket_file();
}

bool ListenerSet::open(const Config& cfg, const SocketAddress& http, unsigned shards,
                       const LaunchHints& hints, std::string* error) {
    if (!open_http(cfg, http, shards, hints, error) || !open_unix(cfg, hints, error)) return false;
    keep_duplicates();
    return true;
}

void ListenerSet::keep_duplicates() {
    for (int fd : _http)
        if (int d = fcntl(fd, F_DUPFD_CLOEXEC, 0); d >= 0) _dups.push_back(d);
    if (_unix >= 0) _dup_unix = fcntl(_unix, F_DUPFD_CLOEXEC, 0);
}

void ListenerSet::drop_handover_fds() {
    for (int fd : _dups)
        close(fd);
    _dups.clear();
    if (_dup_unix >= 0) close(_dup_unix);
    _dup_unix = -1;
}

std::vector<int> ListenerSet::handover_fds(HandedListeners* what) const {
    std::vector<int> fds = _dups;
    what->http = uint32_t(_dups.size());
    what->has_unix = _dup_unix >= 0;
    if (_dup_unix >= 0) fds.push_back(_dup_unix);
    return fds;
}

bool ListenerSet::adopt(const Config& cfg, std::vector<int> http, int unix_fd, unsigned shards,
                        const LaunchHints& hints, std::string* error) {
    _handoff = cfg.accept == "handoff";
    const size_t want = _handoff ? 1u : shards;
    _http = std::move(http);
    if (_http.empty()) {
        *error = "the running daemon handed over no HTTP listener";
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

#pragma once
// The daemon's listening sockets, owned until each is handed to the shard that
// accepts on it: the HTTP listeners (one, shard 0's, with accept = "handoff";
// one per shard with "reuseport"), the HTTPS ones beside them ([tls] listen,
// spread the same way), and the Unix publishing socket (shard 0's,
// its connections always spread to the least-loaded shard: SO_REUSEPORT does
// not exist for Unix sockets). A shard's transport closes what it was handed;
// the set closes the rest when it goes, so a start that fails at any step
// leaves no socket open. The set also removes the socket file it made, once
// the daemon is done with it, unless another daemon has replaced it meanwhile.
//
// Under socket activation (server/socket_activation.h) a socket systemd passed
// is used instead of binding: the "http" one is the single HTTP listener (shard
// 0 accepts and hands connections off, whatever server.accept says: one socket
// cannot be split among shards by SO_REUSEPORT), the "publish" one is the
// publishing socket, whose file systemd made and removes, the "https" one the
// single HTTPS listener (handed off likewise).
#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/address.h"
#include "server/launch_hints.h"
#include "server/socket_activation.h"

namespace ringcast {

struct HandedListeners;

class ListenerSet {
public:
    ListenerSet() = default;
    ~ListenerSet();
    ListenerSet(const ListenerSet&) = delete;
    ListenerSet& operator=(const ListenerSet&) = delete;

    // Opens the HTTP listeners on `http` for `shards` shards, then the socket
    // (cfg.unix_path, under cfg.data_dir when relative; none when empty);
    // each one `passed` holds is taken instead (the set owns it from now on).
    // False with *error saying what went wrong and how to choose another
    // address or path; whatever was opened is closed again by the destructor.
    bool open(const Config& cfg, const SocketAddress& http, unsigned shards,
              const LaunchHints& hints, const ActivatedSockets& passed, std::string* error);

    // The HTTP listener that shard `shard` accepts on, or -1 (handoff: only
    // shard 0 has one). The caller owns it from then on. Each shard takes its
    // own, from its own thread: they touch different elements.
    int take_http(unsigned shard);
    // The publishing socket for shard 0 (or -1 if there is none); the caller
    // owns it from then on.
    int take_unix();
    // The metrics listener ([metrics] listen) for shard 0, or -1 if there is none.
    int take_metrics();
    // The HTTPS listener of shard `shard` ([tls] listen), or -1: as take_http().
    int take_https(unsigned shard);
    // Whether the HTTPS connections are spread by handoff: as the HTTP ones, or
    // always when systemd passed the socket (one socket cannot be split).
    bool https_handoff() const { return _handoff || _https_passed; }

    bool handoff() const { return _handoff; }
    // The address the HTTP listeners bound (port 0 resolved to the one chosen).
    const SocketAddress& http_address() const { return _bound; }
    // The address the HTTPS listeners bound; nullopt: there are none.
    const std::optional<SocketAddress>& https_address() const { return _https_bound; }
    // The address the metrics listener bound; nullopt: there is none.
    const std::optional<SocketAddress>& metrics_address() const { return _metrics_bound; }
    // The publishing socket's path; empty: there is none.
    const std::string& unix_path() const { return _unix_path; }
    // The publishing socket is systemd's (socket activation): its mode and group too.
    bool unix_passed() const { return _unix_passed; }

    // Removes the socket file if it is still the one open() made. Once is enough.
    void remove_socket_file();

    // An upgrade (server/handover_*.h). Instead of open(): the sockets the
    // running daemon handed over (the caller's vector and fd are ours from
    // now on), completed from cfg where they fall short (reuseport with more
    // shards, a publishing socket at another path).
    bool adopt(const Config& cfg, std::vector<int> http, int unix_fd, int metrics_fd,
               std::vector<int> https, unsigned shards, const LaunchHints& hints,
               std::string* error);
    // Copies of every listener for a daemon that takes over (kept from open()
    // on, since the shards close theirs): the fds stay ours.
    std::vector<int> handover_fds(HandedListeners* what) const;
    // Closes those copies: a daemon that drains must let its listening
    // sockets close with its shards' (connects are then refused, not queued).
    void drop_handover_fds();
    // The publishing socket's file is another daemon's now: not removed.
    void forget_socket_file() { _unix_file_ours = false; }

private:
    bool open_http(const Config& cfg, const SocketAddress& http, unsigned shards,
                   const LaunchHints& hints, std::string* error);
    void take_passed_http(int fd);
    void take_passed_unix(int fd);
    bool open_unix(const Config& cfg, const LaunchHints& hints, std::string* error);
    bool open_metrics(const Config& cfg, std::string* error);
    bool open_https(const Config& cfg, unsigned shards, std::string* error);
    // An upgrade: the HTTPS listeners handed over, as many as this daemon
    // accepts on (some closed, or more opened on the same port); closed and
    // opened as configured instead when tls.listen changed or went.
    bool adopt_https(const Config& cfg, std::vector<int> https, unsigned shards,
                     std::string* error);

    bool _handoff = true;
    SocketAddress _bound;
    std::vector<int> _http;  // -1 once taken
    int _unix = -1;          // -1 once taken, or if there is none
    int _metrics = -1;       // likewise
    std::optional<SocketAddress> _metrics_bound;
    std::vector<int> _https;  // -1 once taken
    std::optional<SocketAddress> _https_bound;
    std::vector<int> _https_dups;  // handover_fds(): after the metrics listener's
    bool _https_passed = false;    // systemd's (socket activation)
    std::string _unix_path;
    struct stat _unix_file {};  // the file we made: device and inode
    bool _unix_file_ours = false;
    bool _unix_passed = false;
    std::vector<int> _dups;  // handover_fds(): the HTTP listeners', then the socket's
    int _dup_unix = -1;
    int _dup_metrics = -1;
    void keep_duplicates();
};

}  // namespace ringcast

#pragma once
// The running daemon's side of an upgrade (docs/operations.md, "Upgrade
// without a reconnect"): it listens on the handover socket, and when a new
// ringcastd asks, it hands over its listeners at once (so that no connect is
// refused: the new daemon accepts on the same sockets), finishes and closes
// everything but the streams (every publish answered: nothing is numbered
// after this), hands each stream over (http/stream_export.h), closes its store
// and the alerts' file, and tells the new daemon where the streams resume.
#include <sys/stat.h>

#include <string>

#include "config/config.h"
#include "server/alerts_setup.h"
#include "server/listener_set.h"
#include "server/shard_set.h"
#include "server/store_setup.h"
#include "server/systemd_notify.h"

namespace ringcast {

// The handover socket, while this daemon runs: `upgrade.socket` (under the
// data directory when relative; none when empty). Its file is removed when the
// daemon goes, unless a new daemon has made its own there meanwhile.
class HandoverListener {
public:
    HandoverListener() = default;
    ~HandoverListener();
    HandoverListener(const HandoverListener&) = delete;
    HandoverListener& operator=(const HandoverListener&) = delete;

    // False with *error if it cannot listen; no socket (fd() < 0) when
    // upgrade.socket is empty.
    bool open(const Config& cfg, std::string* error);
    int fd() const { return _fd; }
    const std::string& path() const { return _path; }
    // The peer asking to take over (blocking, close-on-exec), or -1.
    int accept_peer();

private:
    int _fd = -1;
    std::string _path;
    struct stat _file {};
};

// upgrade.socket, resolved against server.data_dir ("" when off).
std::string handover_path(const Config& cfg);

enum class GiveResult {
    refused,      // nothing changed: this daemon goes on serving
    handed_over,  // the new daemon has everything; this one exits
    failed,       // the new daemon went away mid-way: this one exits (what it held is gone)
};

// Answers the takeover request on `peer` (closed here).
// Once the new daemon has everything, `systemd` is told it is the main process.
GiveResult hand_over(int peer, const Config& cfg, ShardSet* shards, Durability* durable,
                     AlertsSetup* alerts, ListenerSet* listeners, const SystemdNotifier& systemd);

}  // namespace ringcast

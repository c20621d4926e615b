#pragma once
// SIGHUP: the configuration read again and applied without dropping a
// connection.
//
// The file is loaded and checked as at the start (server/config_source.h); a
// file with problems is refused with every problem, and the running
// configuration stays. Otherwise the keys a running daemon cannot change
// (listen addresses, shard count, ring and table sizes, the store, turning
// alerts or a keep on or off: what was sized or opened at the start) keep
// their running values and are named in one log line; everything else
// (endpoints and their gates, keys and secrets, the TLS certificate and key,
// limits, history and queue bounds, CORS, the log level...) goes to every shard, which applies it
// between two loop turns (Shard::on_reload_requested). Open streams stay,
// and follow their endpoint's new options; gates apply to the streams that
// open after the reload.
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "server/config_source.h"
#include "server/shard_set.h"
#include "server/systemd_notify.h"
#include "server/tls_setup.h"
#include "web/embedded_files.h"

namespace ringcast {

// The restart-only keys whose value differs between `running` and `next`, by
// their configuration names.
std::vector<std::string> restart_only_changes(const Config& running, const Config& next);
// Gives `next` the running values of the restart-only keys.
void keep_restart_only(const Config& running, Config* next);

class Reloader {
public:
    // `table` is each shard's connection table (fixed at the start).
    // `tls` is what the start made of [tls] (its ticket keys serve every
    // context a reload builds).
    Reloader(const ConfigSource& source, const Config& running, unsigned table,
             std::span<const EmbeddedFile> pages, ShardSet& shards, const SystemdNotifier& systemd,
             TlsSetup tls = {})
        : _source(source)
        , _running(running)
        , _tls(std::move(tls))
        , _table(table)
        , _pages(pages)
        , _shards(shards)
        , _systemd(systemd) {}

    // Reads and applies; false if the file was refused (logged with why).
    bool reload();
    const Config& running() const { return _running; }

private:
    const ConfigSource& _source;
    Config _running;
    TlsSetup _tls;  // the running certificate
    unsigned _table;
    std::span<const EmbeddedFile> _pages;
    ShardSet& _shards;
    const SystemdNotifier& _systemd;
};

}  // namespace ringcast

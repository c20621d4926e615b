#pragma once
// The new daemon's side of an upgrade (ringcastd --takeover, docs/operations.md,
// "Upgrade without a reconnect"): it asks the running daemon over the handover
// socket, takes its listeners, then its streams, and once the old one has
// closed its store, opens it and starts serving them all.
#include <string>
#include <vector>

#include "config/config.h"
#include "http/handed_stream.h"
#include "server/handover_codec.h"
#include "server/launch_hints.h"
#include "server/listener_set.h"
#include "server/store_setup.h"

namespace ringcast {

struct Takeover {
    Takeover() = default;
    ~Takeover();  // closes whatever was not taken
    Takeover(const Takeover&) = delete;
    Takeover& operator=(const Takeover&) = delete;

    int sock = -1;
    std::vector<int> http;   // the HTTP listeners
    int unix_fd = -1;        // the publishing socket, or -1
    int metrics_fd = -1;     // the [metrics] listener, or -1
    std::vector<int> https;  // the HTTPS listeners ([tls] listen), shard order
    std::vector<HandedStream> streams;
    HandedPosition position;        // where the streams resume
    std::string resume_id() const;  // "" if nothing was ever published
};

// Connects to the running daemon (upgrade.socket) and asks it to hand over;
// on success *t holds its listeners. False with *error: the running daemon
// has changed nothing and goes on.
bool ask_takeover(const Config& cfg, Takeover* t, std::string* error);
// Tells the old daemon that its listeners are taken (it stops accepting
// then), and receives the streams until it says it is done (its store is
// closed). False with *error if it went away first.
bool receive_streams(Takeover* t, int timeout_ms, std::string* error);

// run_daemon's step for --takeover: asks, adopts the listeners into
// *listeners (for `shards` shards), receives the streams. kExitOk, or the exit
// code after logging why not.
int take_over(const Config& cfg, unsigned shards, const LaunchHints& hints, Takeover* takeover,
              ListenerSet* listeners);
// Without a store the numbering lives in memory only: a takeover continues the
// old daemon's, so that the streams' ids stay meaningful.
void continue_numbering(const Takeover& takeover, Durability* durable);

}  // namespace ringcast

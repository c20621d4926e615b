#include "server/handover_take.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pubsub/event_id.h"
#include "server/daemon.h"
#include "server/handover_give.h"
#include "server/handover_socket.h"

namespace ringcast {

Takeover::~Takeover() {
    if (sock >= 0) ::close(sock);
    for (int fd : http)
        ::close(fd);
    if (unix_fd >= 0) ::close(unix_fd);
    if (metrics_fd >= 0) ::close(metrics_fd);
    for (int fd : https)
        ::close(fd);
    for (const HandedStream& s : streams)
        if (s.fd >= 0) ::close(s.fd);
}

std::string Takeover::resume_id() const {
    return position.last_sequence ? format_event_id(position.epoch, position.last_sequence)
                                  : std::string();
}

bool ask_takeover(const Config& cfg, Takeover* t, std::string* error) {
    const std::string path = handover_path(cfg);
    if (path.empty()) {
        *error = "upgrade.socket is empty: there is no handover socket to ask";
        return false;
    }
    t->sock = connect_handover(path, error);
    if (t->sock < 0) return false;
    if (!send_handover(t->sock, HandoverKind::hello, kHandoverHello, {}, error)) return false;
    HandoverMessage m;
    if (!recv_handover(t->sock, &m, 10'000, error)) return false;
    if (m.kind == HandoverKind::refused) {
        *error = "the running daemon refused: " + m.body;
        return false;
    }
    HandedListeners what;
    if (m.kind != HandoverKind::listeners || !decode_listeners(m.body, &what) ||
        m.fds.size() !=
            what.http + (what.has_unix ? 1 : 0) + (what.has_metrics ? 1 : 0) + what.https) {
        *error = "the running daemon answered something else than its listeners";
        return false;
    }
    std::vector<int> fds = m.take_fds();
    t->http.assign(fds.begin(), fds.begin() + what.http);
    if (what.has_unix) t->unix_fd = fds[what.http];
    if (what.has_metrics) t->metrics_fd = fds[what.http + (what.has_unix ? 1 : 0)];
    t->https.assign(fds.end() - what.https, fds.end());
    return true;
}

bool receive_streams(Takeover* t, int timeout_ms, std::string* error) {
    if (!send_handover(t->sock, HandoverKind::adopted, {}, {}, error)) return false;
    for (;;) {
        HandoverMessage m;
        if (!recv_handover(t->sock, &m, timeout_ms, error)) return false;
        if (m.kind == HandoverKind::done) {
            if (!decode_position(m.body, &t->position)) {
                *error = "malformed position in the handover";
                return false;
            }
            return true;
        }
        std::vector<HandedStream> batch;
        if (m.kind != HandoverKind::streams || !decode_streams(m.body, &batch) ||
            batch.size() != m.fds.size()) {
            *error = "malformed streams message in the handover";
            return false;
        }
        std::vector<int> fds = m.take_fds();
        for (size_t i = 0; i < batch.size(); ++i) {
            batch[i].fd = fds[i];
            t->streams.push_back(std::move(batch[i]));
        }
    }
}

// The new daemon of an upgrade: the running one's listeners, then its streams
// once it has closed its store (server/handover_take.h).
int take_over(const Config& cfg, unsigned shards, const LaunchHints& hints, Takeover* takeover,
              ListenerSet* listeners) {
    std::string error;
    if (!ask_takeover(cfg, takeover, &error)) {
        spdlog::critical("cannot take over: {} (the running daemon, if any, goes on serving)",
                         error);
        return kExitEnvironment;
    }
    const bool adopted =
        listeners->adopt(cfg, std::move(takeover->http), takeover->unix_fd, takeover->metrics_fd,
                         std::move(takeover->https), shards, hints, &error);
    takeover->http.clear();
    takeover->https.clear();
    takeover->unix_fd = -1;
    takeover->metrics_fd = -1;
    if (!adopted) {
        spdlog::critical("taking over the listeners failed: {}", error);
        return kExitEnvironment;
    }
    spdlog::info("upgrade: took over the listeners ({}); waiting for the streams",
                 listeners->http_address().to_string());
    const int timeout_ms = int(std::min<uint64_t>(cfg.shutdown_timeout_ms * 2 + 10'000, 600'000));
    if (!receive_streams(takeover, timeout_ms, &error)) {
        spdlog::critical("upgrade failed: {}", error);
        return kExitFailure;
    }
    spdlog::info("upgrade: {} streams handed over; they resume after {}", takeover->streams.size(),
                 takeover->position.last_sequence ? takeover->resume_id() : "the first event");
    return kExitOk;
}

// Without a store the numbering lives in memory only: a takeover continues the
// old daemon's, so that the streams' ids stay meaningful.
void continue_numbering(const Takeover& takeover, Durability* durable) {
    if (durable->store || takeover.position.epoch.empty()) return;
    durable->epoch = takeover.position.epoch;
    durable->next_sequence = takeover.position.last_sequence + 1;
}

}  // namespace ringcast

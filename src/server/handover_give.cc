#include "server/handover_give.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pubsub/event_id.h"
#include "server/handover_codec.h"
#include "server/handover_socket.h"

namespace ringcast {

namespace {

constexpr int kHelloTimeoutMs = 5000;
constexpr int kAdoptTimeoutMs = 10'000;
constexpr int kReadyTimeoutMs = 60'000;  // the new daemon's start: loading the store

// Waits until `count()` reaches `n` or `ms` pass; the shards advance it from
// their loops. True if it did.
template <typename F>
bool await_shards(F count, unsigned n, uint64_t ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (count() < n) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

pid_t peer_pid(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
}

}  // namespace

std::string handover_path(const Config& cfg) {
    if (cfg.upgrade_socket.empty() || cfg.upgrade_socket.front() == '/') return cfg.upgrade_socket;
    return (std::filesystem::path(cfg.data_dir) / cfg.upgrade_socket).string();
}

HandoverListener::~HandoverListener() {
    if (_fd < 0) return;
    ::close(_fd);
    struct stat now {};
    if (stat(_path.c_str(), &now) == 0 && now.st_ino == _file.st_ino && now.st_dev == _file.st_dev)
        ::unlink(_path.c_str());
}

bool HandoverListener::open(const Config& cfg, std::string* error) {
    _path = handover_path(cfg);
    if (_path.empty()) return true;
    _fd = listen_handover(_path, error);
    if (_fd < 0) return false;
    stat(_path.c_str(), &_file);
    return true;
}

int HandoverListener::accept_peer() {
    int fd = accept4(_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return -1;
    int size = int(kMaxHandoverMessage) * 2;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    return fd;
}

GiveResult hand_over(int peer, const Config& cfg, ShardSet* shards, Durability* durable,
                     AlertsSetup* alerts, ListenerSet* listeners, const SystemdNotifier& systemd) {
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{peer};
    const pid_t pid = peer_pid(peer);
    std::string error;
    HandoverMessage hello;
    if (!recv_handover(peer, &hello, kHelloTimeoutMs, &error) ||
        hello.kind != HandoverKind::hello || hello.body != kHandoverHello) {
        spdlog::warn(
            "upgrade: a request on the handover socket (pid {}) was not a takeover{}{}; "
            "going on",
            pid, error.empty() ? "" : ": ", error);
        send_handover(peer, HandoverKind::refused,
                      "not a ringcastd takeover request of this "
                      "version",
                      {}, &error);
        return GiveResult::refused;
    }
    HandedListeners what;
    std::vector<int> fds = listeners->handover_fds(&what);
    if (!send_handover(peer, HandoverKind::listeners, encode_listeners(what), fds, &error)) {
        spdlog::warn("upgrade: pid {} went away before taking the listeners ({}); going on", pid,
                     error);
        return GiveResult::refused;
    }
    HandoverMessage adopted;
    if (!recv_handover(peer, &adopted, kAdoptTimeoutMs, &error) ||
        adopted.kind != HandoverKind::adopted) {
        spdlog::warn("upgrade: pid {} did not take the listeners ({}); going on", pid,
                     error.empty() ? "it answered something else" : error);
        return GiveResult::refused;
    }
    const auto started = std::chrono::steady_clock::now();
    spdlog::info("upgrade: pid {} takes over; listeners handed over, finishing requests in flight",
                 pid);
    listeners->forget_socket_file();  // the publishing socket is the new daemon's now
    listeners->drop_handover_fds();

    const unsigned n = shards->size();
    shards->stop(kStopQuiesce);
    if (!await_shards([&] { return shards->quiesced(); }, n, cfg.shutdown_timeout_ms + 1000))
        spdlog::warn("upgrade: requests in flight did not finish within {} ms; going on",
                     cfg.shutdown_timeout_ms);
    shards->stop(kStopExport);
    if (!await_shards([&] { return shards->exported(); }, n, cfg.shutdown_timeout_ms + 2000))
        spdlog::warn("upgrade: streams did not all finish their queued bytes in time");
    HandedPosition position;
    std::vector<HandedStream> streams =
        shards->take_handed(&position.epoch, &position.last_sequence);
    shards->stop_and_join();
    if (durable->store) {
        durable->store->close();
        spdlog::info("upgrade: store {} closed cleanly", durable->store->path());
        durable->store.reset();  // and its lock released, for the new daemon
    }
    alerts->db.reset();

    bool ok = true;
    for (size_t i = 0; i < streams.size() && ok; i += kMaxFdsPerMessage) {
        std::span<const HandedStream> batch(streams.data() + i,
                                            std::min(kMaxFdsPerMessage, streams.size() - i));
        std::vector<int> batch_fds;
        for (const HandedStream& s : batch)
            batch_fds.push_back(s.fd);
        ok = send_handover(peer, HandoverKind::streams, encode_streams(batch), batch_fds, &error);
    }
    if (ok) ok = send_handover(peer, HandoverKind::done, encode_position(position), {}, &error);
    for (HandedStream& s : streams)
        ::close(s.fd);  // the new daemon has its own copies
    const auto handed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started)
                               .count();
    if (ok) {
        // It closes the connection once it is ready (READY=1 and MAINPID= sent
        // to systemd): this process must not end first, or systemd would take
        // the service for dead. An error here is that close.
        HandoverMessage bye;
        std::string ignored;
        recv_handover(peer, &bye, kReadyTimeoutMs, &ignored);
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    if (!ok) {
        spdlog::error(
            "upgrade: pid {} went away during the handover ({}): {} streams are cut "
            "and reconnect",
            pid, error, streams.size());
        return GiveResult::failed;
    }
    // Said by this process, the main one: systemd accepts it whatever its
    // NotifyAccess=, and follows the new daemon when this one exits.
    systemd.main_pid(pid);
    spdlog::info(
        "upgrade: handed {} streams over to pid {} in {} ms (resume after {}); it was ready "
        "{} ms after the request; exiting",
        streams.size(), pid, handed_ms,
        position.last_sequence ? format_event_id(position.epoch, position.last_sequence)
                               : std::string("nothing published"),
        ms);
    return GiveResult::handed_over;
}

}  // namespace ringcast

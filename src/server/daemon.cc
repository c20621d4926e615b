#include "server/daemon.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <liburing.h>
#if RINGCAST_MIMALLOC
#include <mimalloc.h>
#endif
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include "core/affinity.h"
#include "core/clock.h"
#include "core/mesh.h"
#include "core/uring_probe.h"
#include "core/user_data.h"
#include "net/address.h"
#include "net/ip_range.h"
#include "net/listener.h"
#include "net/load_board.h"
#include "server/auth_setup.h"
#include "server/launch_hints.h"
#include "server/options.h"
#include "server/shard.h"
#include "server/store_setup.h"

namespace ringcast {

namespace {

// Raises the soft open-files limit to the hard one. The direct-descriptor table
// of each shard is capped by it (the kernel refuses larger tables).
rlim_t raise_nofile_limit() {
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

// True if plain malloc() is served by mimalloc (the shared library replaces the
// allocator for the whole process when it is linked first).
bool malloc_is_mimalloc() {
#if RINGCAST_MIMALLOC
    void* p = std::malloc(64);
    bool ours = mi_is_in_heap_region(p);
    std::free(p);
    return ours;
#else
    return false;  // built without it (-Dmimalloc=false: sanitizer builds)
#endif
}

// The allocator, for the start-up line.
std::string allocator_name(bool mimalloc_active) {
#if RINGCAST_MIMALLOC
    if (mimalloc_active)
        return fmt::format("mimalloc {}.{}.{}", mi_version() / 100, (mi_version() / 10) % 10,
                           mi_version() % 10);
#endif
    (void)mimalloc_active;
    return "libc malloc";
}

// Streams allowed at once. Each shard's direct-descriptor table is a hard
// limit: a connection accepted into a full table is dropped by the kernel, and
// the client sees a reset instead of an answer. So streams are capped below it,
// leaving each shard a reserve of slots for API requests, handoffs and the 503
// answers that tell clients to come back later.
uint64_t stream_limit(uint64_t configured, unsigned table, unsigned shards) {
    unsigned reserve = std::max(64u, table / 64);
    uint64_t cap = table > reserve ? uint64_t(table - reserve) * shards : shards;
    if (configured && configured <= cap) return configured;
    if (configured)
        spdlog::warn(
            "server.max_connections = {} exceeds what the connection tables hold; using {} "
            "(raise LimitNOFILE or engine.connections_per_shard)",
            configured, cap);
    return cap;
}

bool prepare_data_dir(const std::string& dir, std::string* error) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        *error = fmt::format("cannot create data directory {}: {}", dir, ec.message());
        return false;
    }
    if (access(dir.c_str(), W_OK | X_OK) != 0) {
        *error = fmt::format("data directory {} is not writable: {}", dir, std::strerror(errno));
        return false;
    }
    return true;
}

// Sends Op::stop(phase) to each shard through a small ring of the main thread.
// MSG_RING is the only way into a shard's ring from outside: SINGLE_ISSUER rings
// take no submissions from other threads.
class ControlRing {
public:
    bool init() { return io_uring_queue_init(8, &_ring, 0) == 0; }
    ~ControlRing() { io_uring_queue_exit(&_ring); }
    void stop(int shard_ring_fd, uint64_t phase) {
        io_uring_sqe* sqe = io_uring_get_sqe(&_ring);
        io_uring_prep_msg_ring(sqe, shard_ring_fd, 0, tag(Op::stop, phase), 0);
        io_uring_submit(&_ring);
        io_uring_cqe* cqe;
        if (io_uring_wait_cqe(&_ring, &cqe) == 0) {
            if (cqe->res < 0)
                spdlog::error("stop message to a shard failed: {}", std::strerror(-cqe->res));
            io_uring_cqe_seen(&_ring, cqe);
        }
    }

private:
    io_uring _ring{};
};

struct ShardThread {
    std::thread thread;
    std::atomic<int> init_result{0};
    const char* init_step = "";
    const char* ring_mode = "";
};

}  // namespace

int run_daemon(const Config& cfg) {
    const uint64_t started_ms = mono_ms();
    const LaunchHints hints = LaunchHints::from_environment();

    std::string error;
    if (!prepare_data_dir(cfg.data_dir, &error)) {
        spdlog::critical("{}; choose another with {}", error, hints.other_data_dir());
        return kExitEnvironment;
    }
    auto addr = parse_address(cfg.http, &error);
    if (!addr) {
        spdlog::critical("invalid HTTP address '{}': {}; give one like {}", cfg.http, error,
                         hints.other_http("127.0.0.1:8080"));
        return kExitUsage;
    }
    AuthSetup auth;
    if (!make_auth(cfg, &auth, &error)) {
        spdlog::critical("{}", error);
        return kExitUsage;
    }

    ProbeReport probe = probe_io_uring();
    if (!probe.ok) {
        spdlog::critical("io_uring is not usable on this machine:\n{}", format_probe(probe));
        return kExitEnvironment;
    }
    for (const auto& note : probe.notes)
        spdlog::warn("{}", note);
    if (!probe.peer_credentials &&
        (!cfg.publish_allow_uids.empty() || !cfg.publish_allow_gids.empty())) {
        // Refusing every publisher would look like a permissions bug: say it now.
        spdlog::critical(
            "publish.allow_uids/allow_gids are set, but kernel {} cannot tell who connects to the "
            "publishing socket through io_uring (Linux 6.7+). Remove them and restrict the socket "
            "with server.unix_mode and server.unix_group instead, or upgrade the kernel.",
            probe.kernel);
        return kExitEnvironment;
    }

    std::vector<int> cpus = allowed_cpus();
    if (cpus.empty()) cpus.push_back(0);
    unsigned shards = cfg.shards ? cfg.shards : unsigned(cpus.size());
    if (shards > cpus.size())
        spdlog::warn("{} shards on {} CPUs: shards will share cores", shards, cpus.size());

    rlim_t nofile = raise_nofile_limit();
    unsigned table = cfg.connections_per_shard ? cfg.connections_per_shard : unsigned(nofile);
    if (table > nofile) {
        spdlog::warn(
            "engine.connections_per_shard = {} exceeds the open-files limit {}; using {} "
            "(raise LimitNOFILE to allow more)",
            table, nofile, nofile);
        table = unsigned(nofile);
    }

    // Listeners: one per shard (reuseport) or one for shard 0 (handoff).
    const bool handoff = cfg.accept == "handoff";
    std::vector<int> listeners;
    SocketAddress bind_addr = *addr;
    for (unsigned i = 0; i < (handoff ? 1u : shards); ++i) {
        int fd = open_listener(bind_addr, ListenOptions{!handoff, int(cfg.listen_backlog)}, &error);
        if (fd < 0) {
            if (fd == -EADDRINUSE) {
                SocketAddress next = bind_addr;
                next.set_port(bind_addr.port() % 65535 + 1);
                error +=
                    ": pick another address, for example " + hints.other_http(next.to_string());
            }
            spdlog::critical("{}", error);
            for (int l : listeners)
                close(l);
            return kExitEnvironment;
        }
        if (i == 0) bind_addr = bound_address(fd);  // port 0: the others join the chosen port
        listeners.push_back(fd);
    }

    // The Unix socket for backends, on shard 0; its connections are always spread
    // to the least-loaded shard (SO_REUSEPORT does not exist for Unix sockets).
    std::string unix_path = cfg.unix_path;
    int unix_fd = -1;
    struct stat unix_stat {};
    if (!unix_path.empty()) {
        if (unix_path.front() != '/')
            unix_path = (std::filesystem::path(cfg.data_dir) / unix_path).string();
        UnixListenOptions uo;
        uo.mode = unsigned(std::strtoul(cfg.unix_mode.c_str(), nullptr, 8));
        uo.group = cfg.unix_group;
        uo.backlog = int(cfg.listen_backlog);
        unix_fd = open_unix_listener(unix_path, uo, &error);
        if (unix_fd < 0) {
            if (unix_fd == -EADDRINUSE) error += ": stop it, or " + hints.other_socket(cfg.http);
            if (unix_fd == -EEXIST) error += ": remove it, or " + hints.other_socket(cfg.http);
            spdlog::critical("{}", error);
            for (int l : listeners)
                close(l);
            return kExitEnvironment;
        }
        stat(unix_path.c_str(), &unix_stat);
    }

    // Threads inherit this mask: signals are taken by the main thread only.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    signal(SIGPIPE, SIG_IGN);

    // The log shard's numbering and keeps, from the store (server/store_setup.h).
    Durability durable;
    if (!open_durability(cfg, wall_ms(), &durable, &error)) {
        spdlog::critical("{}", error);
        for (int l : listeners)
            close(l);
        if (unix_fd >= 0) close(unix_fd);
        return kExitEnvironment;
    }

    Mesh mesh(shards, cfg.mesh_ring_capacity);
    LoadBoard board(shards);
    StreamLimit streams(stream_limit(cfg.max_connections, table, shards));
    ChannelPresence presence(shards);
    ShutdownState shutdown;
    const ShardShared shared{mesh, board, streams, presence, shutdown};
    ShardOptions opts = shard_options(cfg, table, auth);
    opts.epoch = durable.epoch;
    opts.next_sequence = durable.next_sequence;
    opts.store = durable.store.get();
    opts.restore = &durable.snapshot;
    opts.restore_floor = durable.floor;
    std::vector<std::unique_ptr<ShardThread>> threads;
    std::latch ready(shards);

    for (unsigned i = 0; i < shards; ++i) {
        auto st = std::make_unique<ShardThread>();
        ShardThread* self = st.get();
        int listener = handoff ? (i == 0 ? listeners[0] : -1) : listeners[i];
        int cpu = cpus[i % cpus.size()];
        st->thread = std::thread([&, i, self, listener, cpu] {
            name_current_thread(fmt::format("ringcast-s{}", i));
            if (int r = pin_current_thread(cpu); r < 0)
                spdlog::warn("shard {}: cannot pin to CPU {}: {}", i, cpu, std::strerror(-r));
            // The shard is built on its own thread so that its memory comes from
            // this thread's mimalloc heap and its ring is bound to this thread.
            auto shard = std::make_unique<Shard>(i, shared, opts, started_ms);
            const char* what = "";
            int r = shard->init(&what);
            self->init_step = what;
            self->init_result.store(r);
            self->ring_mode = r == 0 ? shard->ring_mode() : "";
            if (r == 0 && listener >= 0) shard->add_listener(listener, Shard::kHttp, handoff);
            if (r == 0 && i == 0 && unix_fd >= 0)
                shard->add_listener(unix_fd, Shard::kPublish, true);
            ready.count_down();
            if (r == 0) shard->run();
        });
        threads.push_back(std::move(st));
    }
    ready.wait();
    durable.snapshot = StoreSnapshot{};  // the log shard took what it keeps

    ControlRing control;
    if (!control.init()) {
        spdlog::critical("cannot create the control ring: {}", std::strerror(errno));
        return kExitEnvironment;
    }
    auto stop_all = [&](uint64_t phase) {
        for (unsigned i = 0; i < shards; ++i)
            if (threads[i]->init_result.load() == 0) control.stop(mesh.ring_fd(i), phase);
    };

    for (unsigned i = 0; i < shards; ++i) {
        int r = threads[i]->init_result.load();
        if (r != 0) {
            spdlog::critical("shard {}: {} failed: {}", i, threads[i]->init_step,
                             std::strerror(-r));
            if (r == -ENOMEM || r == -EMFILE)
                spdlog::critical(
                    "hint: lower engine.connections_per_shard or engine.recv_buffers, "
                    "or raise LimitNOFILE / LimitMEMLOCK");
            stop_all(1);
            for (auto& t : threads)
                t->thread.join();
            return kExitEnvironment;
        }
    }

    std::string where = bind_addr.to_string();
    bool mimalloc_active = malloc_is_mimalloc();
    if (!mimalloc_active && RINGCAST_MIMALLOC)
        spdlog::warn(
            "malloc is not mimalloc's (was the binary linked or preloaded differently?): "
            "per-connection memory and allocation speed will differ from the documented figures");
    spdlog::info(
        "ringcastd {} ready: {} shard{} (CPUs {}), accept={}, ring={}, kernel {}, allocator {}",
        RINGCAST_VERSION, shards, shards == 1 ? "" : "s",
        fmt::join(
            std::vector<int>(cpus.begin(), cpus.begin() + std::min<size_t>(shards, cpus.size())),
            ","),
        cfg.accept, threads[0]->ring_mode, probe.kernel, allocator_name(mimalloc_active));
    spdlog::info("up to {} streams ({} per shard connection table, {} shards)", streams.max(),
                 table, shards);
    std::vector<std::string> paths;
    for (const EndpointConfig& e : cfg.endpoints)
        paths.push_back(e.path);
    spdlog::info(
        "listening on http://{} — streams: GET {} (?channels=a,b); API: POST /api/publish, "
        "/api/invalidate, /api/tokens, /api/disconnect, GET /api/stats, /api/ping, "
        "/api/connections/{{id}}, /api/users/{{id}} (docs/protocol.md)",
        where, fmt::join(paths, ", "));
    if (!cfg.auth_algorithm.empty())
        spdlog::info(
            "streams: {} tokens of your application verified; anonymous where an "
            "endpoint allows it",
            cfg.auth_algorithm);
    if (auth.signer) {
        spdlog::info(
            "stream tokens: signed and verified with {} ({}); backends ask for one "
            "with the socket's \"token\" op or POST /api/tokens",
            auth.key_path, auth.key_made ? "a new key, made now" : "auth.token_key_file");
    }
    if (!auth.verifier->configured())
        spdlog::info(
            "streams: anonymous ([auth] is not configured and stream tokens are off; "
            "endpoints that require a token answer 401)");
    if (cfg.publish_http_require_auth)
        spdlog::info(
            "HTTP API: needs an API key ({} configured: publish.api_keys{}) or a token "
            "with the publish/admin claim; the Unix socket needs neither",
            cfg.publish_api_keys.size(),
            cfg.publish_api_key_file.empty() ? std::string()
                                             : " and the file " + cfg.publish_api_key_file);
    else
        spdlog::warn(
            "HTTP API: open to anyone who can reach {} (publish.http_require_auth = "
            "false)",
            where);
    if (!cfg.trusted_proxies.empty()) {
        spdlog::info(
            "behind a reverse proxy: the client is read from {} on requests from {} "
            "(http.trusted_proxies)",
            cfg.forwarded_header, fmt::join(cfg.trusted_proxies, ", "));
        for (const std::string& text : cfg.trusted_proxies) {
            IpRange r;
            std::string why;
            if (IpRange::parse(text, &r, &why) && r.prefix == 0)
                spdlog::warn(
                    "http.trusted_proxies has {}: every client in it can choose the "
                    "address it is counted under (per-IP limits, logs)",
                    text);
        }
    }
    if (unix_fd >= 0)
        spdlog::info(
            "publishing socket: {} (mode {}{}) — try: echo '{{\"op\":\"ping\",\"req\":1}}' | "
            "socat - UNIX-CONNECT:{}",
            unix_path, cfg.unix_mode, cfg.unix_group.empty() ? "" : ", group " + cfg.unix_group,
            unix_path);
    sd_notifyf(0, "READY=1\nSTATUS=listening on %s\nMAINPID=%lu", where.c_str(),
               (unsigned long)getpid());

    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&sigs, &info);
        if (sig == SIGHUP) {
            spdlog::warn(
                "SIGHUP received: configuration reload is not supported by this release; "
                "restart the service to apply changes");
            continue;
        }
        if (sig == SIGINT || sig == SIGTERM) {
            spdlog::info("{} received: draining connections (up to {} ms)", strsignal(sig),
                         cfg.shutdown_timeout_ms);
            break;
        }
    }
    sd_notify(0, "STOPPING=1\nSTATUS=draining");
    stop_all(0);

    // Wait for every shard to report its connections closed. A second signal
    // skips the wait. The shards enforce shutdown_timeout themselves; the extra
    // second here only guards against a shard that stopped answering.
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(cfg.shutdown_timeout_ms + 1000);
    while (shutdown.drained.load() < shards && std::chrono::steady_clock::now() < deadline) {
        timespec ts{0, 50'000'000};
        int sig = sigtimedwait(&sigs, nullptr, &ts);
        if (sig == SIGINT || sig == SIGTERM) {
            spdlog::warn("second {} received: stopping without waiting", strsignal(sig));
            break;
        }
    }
    if (shutdown.drained.load() < shards)
        spdlog::warn("{} of {} shards did not finish draining in time",
                     shards - shutdown.drained.load(), shards);
    stop_all(1);
    for (auto& t : threads)
        t->thread.join();
    if (durable.store) {
        durable.store->close();
        StoreStats st = durable.store->stats();
        spdlog::info("store: {} closed cleanly ({} changes written in {} commits{})",
                     durable.store->path(), st.records_written, st.commits,
                     st.given_up ? fmt::format(", {} given up", st.given_up) : std::string());
    }
    // Remove the socket file, unless another daemon has replaced it meanwhile.
    struct stat now {};
    if (unix_fd >= 0 && stat(unix_path.c_str(), &now) == 0 && now.st_ino == unix_stat.st_ino &&
        now.st_dev == unix_stat.st_dev)
        unlink(unix_path.c_str());
    spdlog::info("stopped");
    return kExitOk;
}

}  // namespace ringcast

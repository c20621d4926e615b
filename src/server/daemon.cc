#include "server/daemon.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#if RINGCAST_MIMALLOC
#include <mimalloc.h>
#endif
#include <spdlog/spdlog.h>

#include "core/affinity.h"
#include "core/clock.h"
#include "core/nofile_limit.h"
#include "core/uring_probe.h"
#include "net/address.h"
#include "net/ip_range.h"
#include "server/alerts_setup.h"
#include "server/auth_setup.h"
#include "server/handover_give.h"
#include "server/handover_take.h"
#include "server/launch_hints.h"
#include "server/listener_set.h"
#include "server/options.h"
#include "server/reload.h"
#include "server/service_monitor.h"
#include "server/shard_set.h"
#include "server/socket_activation.h"
#include "server/store_setup.h"
#include "server/successor.h"
#include "server/systemd_notify.h"
#include "server/tls_setup.h"
#include "tls/ktls_probe.h"

namespace ringcast {

namespace {

// What the checks decided, for the steps after them.
struct Plan {
    SocketAddress http;  // where to listen, as configured (port 0: any)
    AuthSetup auth;
    TlsSetup tls;  // [tls]: the certificate; no context without tls.listen
    ProbeReport probe;
    std::vector<int> cpus;  // allowed CPUs, ascending; shard i runs on cpus[i % size]
    unsigned shards = 0;
    unsigned table = 0;  // each shard's direct-descriptor table (connections)
};

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

// --- the steps, in the order run_daemon takes them ------------------------------
// Each returns kExitOk to go on, or the exit code after logging why not; what a
// step made is owned by an object of run_daemon, which undoes it on the way out.

// The settings that only this start can check: the data directory, the address,
// the key files.
int check_settings(const Config& cfg, const LaunchHints& hints, Plan* plan) {
    std::string error;
    if (!prepare_data_dir(cfg.data_dir, &error)) {
        spdlog::critical("{}; choose another with {}", error, hints.other_data_dir());
        return kExitEnvironment;
    }
    std::optional<SocketAddress> addr = parse_address(cfg.http, &error);
    if (!addr) {
        spdlog::critical("invalid HTTP address '{}': {}; give one like {}", cfg.http, error,
                         hints.other_http("127.0.0.1:8080"));
        return kExitUsage;
    }
    plan->http = *addr;
    if (!cfg.metrics_listen.empty() && !parse_address(cfg.metrics_listen, &error)) {
        spdlog::critical(
            "invalid metrics.listen '{}': {}; give one like \"127.0.0.1:9090\", or "
            "\"\" for none",
            cfg.metrics_listen, error);
        return kExitUsage;
    }
    if (!make_auth(cfg, &plan->auth, &error)) {
        spdlog::critical("{}", error);
        return kExitUsage;
    }
    if (!cfg.tls_listen.empty() && !parse_address(cfg.tls_listen, &error)) {
        spdlog::critical(
            "invalid tls.listen '{}': {}; give one like \"0.0.0.0:8443\", or \"\" for none",
            cfg.tls_listen, error);
        return kExitUsage;
    }
    // Before any listener opens: a bad certificate or key stops the start here.
    if (!make_tls(cfg, &plan->tls, &error)) {
        spdlog::critical("{}", error);
        return kExitUsage;
    }
    return kExitOk;
}

// io_uring and what the kernel can do with it, the CPUs, the open-files limit.
int check_machine(const Config& cfg, Plan* plan) {
    plan->probe = probe_io_uring();
    const ProbeReport& probe = plan->probe;
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

    plan->cpus = allowed_cpus();
    if (plan->cpus.empty()) plan->cpus.push_back(0);
    plan->shards = cfg.shards ? cfg.shards : unsigned(plan->cpus.size());
    if (plan->shards > plan->cpus.size())
        spdlog::warn("{} shards on {} CPUs: shards will share cores", plan->shards,
                     plan->cpus.size());

    rlim_t nofile = raise_nofile_limit();
    plan->table = cfg.connections_per_shard ? cfg.connections_per_shard : unsigned(nofile);
    if (plan->table > nofile) {
        spdlog::warn(
            "engine.connections_per_shard = {} exceeds the open-files limit {}; using {} "
            "(raise LimitNOFILE to allow more)",
            plan->table, nofile, nofile);
        plan->table = unsigned(nofile);
    }
    return kExitOk;
}

// The sockets systemd passed (socket activation) are taken instead of binding.
int open_listeners(const Config& cfg, const Plan& plan, const LaunchHints& hints,
                   ListenerSet* listeners) {
    std::string error;
    ActivatedSockets passed;
    if (!take_activated_sockets(&passed, &error)) {
        for (size_t at = 0; at < error.size();) {
            size_t end = std::min(error.find('\n', at), error.size());
            spdlog::critical("{}", error.substr(at, end - at));
            at = end + 1;
        }
        return kExitUsage;
    }
    if (passed.http >= 0)
        spdlog::info("socket activation: HTTP on the socket systemd passed (\"http\"), not {}{}",
                     cfg.http,
                     cfg.accept == "reuseport" && plan.shards > 1
                         ? "; connections spread by handoff (server.accept = \"reuseport\" needs a "
                           "socket per shard)"
                         : "");
    if (passed.publish >= 0)
        spdlog::info("socket activation: publishing on the socket systemd passed (\"publish\")");
    if (passed.https >= 0 && cfg.tls_listen.empty()) {
        spdlog::critical(
            "socket activation: an \"https\" socket was passed, but [tls] listen is \"\": set it "
            "(with tls.certificate and tls.key) to serve HTTPS on that socket");
        for (int fd : {passed.http, passed.publish, passed.https})
            if (fd >= 0) close(fd);
        return kExitUsage;
    }
    if (passed.https >= 0)
        spdlog::info("socket activation: HTTPS on the socket systemd passed (\"https\"), not {}",
                     cfg.tls_listen);
    if (!listeners->open(cfg, plan.http, plan.shards, hints, passed, &error)) {
        spdlog::critical("{}", error);
        return kExitEnvironment;
    }
    return kExitOk;
}

// Threads inherit this mask: signals are taken by the main thread only.
sigset_t block_signals() {
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return sigs;
}

// The log shard's numbering and keeps, from the store (server/store_setup.h).
int open_store(const Config& cfg, Durability* durable) {
    std::string error;
    if (!open_durability(cfg, wall_ms(), durable, &error)) {
        spdlog::critical("{}", error);
        return kExitEnvironment;
    }
    return kExitOk;
}

// The alerts' file and what it holds (server/alerts_setup.h).
int open_alert_file(const Config& cfg, AlertsSetup* alerts) {
    std::string error;
    if (!open_alerts(cfg, alerts, &error)) {
        spdlog::critical("{}", error);
        return kExitEnvironment;
    }
    return kExitOk;
}

int start_shards(const Config& cfg, const Plan& plan, uint64_t started_ms, ListenerSet& listeners,
                 Durability* durable, AlertsSetup* alerts, std::span<const EmbeddedFile> pages,
                 Takeover* takeover, ShardSet* shards) {
    ShardOptions opts = shard_options(cfg, plan.table, plan.auth);
    opts.transport.tls = plan.tls.context;
    // Streams go to the new daemon on their connections only where the kernel
    // gives a direct descriptor back as a file descriptor.
    opts.handover.carry = cfg.upgrade_carry_streams && plan.probe.fd_install;
    std::vector<std::vector<HandedStream>> adopt(plan.shards);
    if (takeover) {
        // Round robin: the load board then counts them where they land.
        for (size_t i = 0; i < takeover->streams.size(); ++i) {
            adopt[i % plan.shards].push_back(takeover->streams[i]);
            takeover->streams[i].fd = -1;  // the shard's now
        }
        opts.adopt = &adopt;
        opts.resume_id = takeover->resume_id();
    }
    opts.http.web = web_options(cfg, pages);
    opts.alerts = alerts->options;
    opts.alerts_loaded = alerts->loaded;
    if (opts.redis_enabled) {  // the cluster's set comes from Redis (docs/alerts.md)
        opts.alerts_seed = std::move(opts.alerts_loaded);
        opts.alerts_loaded = std::make_shared<const AlertSet>();
    }
    opts.alert_db = alerts->db.get();
    opts.epoch = durable->epoch;
    opts.next_sequence = durable->next_sequence;
    opts.store = durable->store.get();
    opts.restore = &durable->snapshot;
    opts.restore_floor = durable->floor;
    bool started = shards->start(opts, plan.cpus, listeners, started_ms);
    durable->snapshot = StoreSnapshot{};  // the log shard took what it keeps
    return started ? kExitOk : kExitEnvironment;
}

// Who may open streams and use the API, as the configuration says.
void announce_access(const Config& cfg, const AuthSetup& auth, const std::string& where) {
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
    if (cfg.trusted_proxies.empty()) return;
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

// Which pages are served, and from where.
void announce_pages(const Config& cfg, std::span<const EmbeddedFile> embedded,
                    const std::string& where) {
    if (!cfg.web_enabled) {
        spdlog::info("pages: off ([web] enabled = false)");
        return;
    }
    if (!cfg.web_root.empty()) {
        spdlog::info(
            "pages: http://{}/<page>/ from the folder {}, read at each request ([web] root)", where,
            web_options(cfg, embedded).root);
        return;
    }
    std::vector<std::string> urls;
    for (const std::string& page : embedded_pages(embedded))
        urls.push_back(fmt::format("http://{}/{}/", where, page));
    if (urls.empty())
        spdlog::info("pages: none were built into this ringcastd (web/pages/ was empty)");
    else
        spdlog::info("pages: {}", fmt::join(urls, ", "));
}

// The startup lines (tests and operators read them), then READY=1 to systemd.
void announce(const Config& cfg, const Plan& plan, const ShardSet& shards,
              const ListenerSet& listeners, std::span<const EmbeddedFile> pages,
              const SystemdNotifier& systemd) {
    const std::string where = listeners.http_address().to_string();
    const bool mimalloc_active = malloc_is_mimalloc();
    if (!mimalloc_active && RINGCAST_MIMALLOC)
        spdlog::warn(
            "malloc is not mimalloc's (was the binary linked or preloaded differently?): "
            "per-connection memory and allocation speed will differ from the documented figures");
    const unsigned n = plan.shards;
    spdlog::info(
        "ringcastd {} ready: {} shard{} (CPUs {}), accept={}, ring={}, kernel {}, allocator {}",
        RINGCAST_VERSION, n, n == 1 ? "" : "s",
        fmt::join(std::vector<int>(plan.cpus.begin(),
                                   plan.cpus.begin() + std::min<size_t>(n, plan.cpus.size())),
                  ","),
        listeners.handoff() ? "handoff" : "reuseport", shards.ring_mode(), plan.probe.kernel,
        allocator_name(mimalloc_active));
    spdlog::info("up to {} streams ({} per shard connection table, {} shards)",
                 shards.max_streams(), plan.table, n);
    std::vector<std::string> paths;
    for (const EndpointConfig& e : cfg.endpoints)
        paths.push_back(e.path);
    spdlog::info(
        "listening on http://{} — streams: GET {} (?channels=a,b); API: POST /api/publish, "
        "/api/invalidate, /api/tokens, /api/disconnect, GET /api/stats, /api/ping, "
        "/api/connections, /api/users/{{id}}, /api/alerts, /api/log-level, /metrics, "
        "/healthz/live, /healthz/ready (docs/protocol.md, docs/alerts.md, docs/operations.md)",
        where, fmt::join(paths, ", "));
    if (const auto& tls = listeners.https_address(); tls && plan.tls.context) {
        const KtlsProbe& ktls = kernel_tls();
        spdlog::info(
            "listening on https://{} — the same endpoints and API over TLS ({} or newer; "
            "ALPN {}; session tickets {}); certificate {}",
            tls->to_string(), cfg.tls_min_version == "1.3" ? "TLS 1.3" : "TLS 1.2",
            cfg.http2_enabled ? "h2, http/1.1" : "http/1.1", cfg.tls_session_tickets ? "on" : "off",
            plan.tls.context->summary());
        const TlsContext& ctx = *plan.tls.context;
        spdlog::info("TLS encryption: {} ({}; tls.ktls = \"{}\", tls.seal = \"{}\"{})",
                     tls_path(ctx.ktls(), ctx.seal()), ktls.detail, cfg.tls_ktls, cfg.tls_seal,
                     ctx.ktls()   ? ": TLS 1.3 connections send through kernel TLS"
                     : ctx.seal() ? ": ringcastd seals the records of TLS 1.3 connections"
                                  : "");
    }
    if (const auto& m = listeners.metrics_address())
        spdlog::info(
            "metrics listener on http://{}: GET /metrics, /healthz/live, /healthz/ready "
            "(open to anyone who can connect; docs/operations.md)",
            m->to_string());
    announce_access(cfg, plan.auth, where);
    announce_pages(cfg, pages, where);
    if (const std::string& path = listeners.unix_path(); !path.empty())
        spdlog::info(
            "publishing socket: {} ({}) — try: echo '{{\"op\":\"ping\",\"req\":1}}' | "
            "socat - UNIX-CONNECT:{}",
            path,
            listeners.unix_passed()
                ? std::string("passed by systemd")
                : "mode " + cfg.unix_mode +
                      (cfg.unix_group.empty() ? "" : ", group " + cfg.unix_group),
            path);
    systemd.ready("listening on " + where);
}

// SIGUSR2: the binary at this daemon's path, started to take over from it
// (server/successor.h); its request arrives on the handover socket.
void start_upgrade(const HandoverListener& handover, const LaunchCommand& command) {
    if (handover.fd() < 0) {
        spdlog::warn("SIGUSR2 received, but upgrades are off (upgrade.socket = \"\")");
        return;
    }
    std::string error;
    pid_t pid = start_successor(command, &error);
    if (pid < 0) {
        spdlog::error("SIGUSR2: cannot start the new daemon: {}; this daemon goes on", error);
        return;
    }
    spdlog::info("SIGUSR2 received: started {} --takeover (pid {}) to take over from this daemon",
                 command.path, pid);
}

// What ended the wait: a signal to stop, or a daemon asking to take over.
struct Wake {
    bool takeover = false;
    int peer = -1;  // the asking daemon's connection
};

// Until SIGTERM or SIGINT, or a takeover request on the handover socket;
// SIGHUP reloads the configuration (server/reload.h). Meanwhile the monitor
// keeps systemd informed (STATUS=, WATCHDOG=1).
Wake wait_for_signals(const sigset_t& sigs, Reloader& reloader, ServiceMonitor* monitor,
                      HandoverListener& handover, const LaunchCommand& command) {
    for (;;) {
        int sig = monitor->wait_signal(sigs, handover.fd());
        reap_successors();
        if (sig == ServiceMonitor::kFdReady) {
            if (int peer = handover.accept_peer(); peer >= 0) return Wake{true, peer};
            continue;
        }
        if (sig == SIGUSR2) {
            start_upgrade(handover, command);
            continue;
        }
        if (sig == SIGHUP) {
            spdlog::info("SIGHUP received: reloading the configuration");
            reloader.reload();
            continue;
        }
        if (sig == SIGINT || sig == SIGTERM) {
            spdlog::info("{} received: draining connections (up to {} ms)", strsignal(sig),
                         reloader.running().shutdown_timeout_ms);
            return Wake{};
        }
    }
}

// Phase 0, the wait for every shard to drain, phase 1 and the join, then the
// store closed and the socket file removed.
int drain_and_stop(const Config& cfg, const sigset_t& sigs, ShardSet* shards, Durability* durable,
                   ListenerSet* listeners, ServiceMonitor* monitor) {
    monitor->draining(cfg.shutdown_timeout_ms);
    listeners->drop_handover_fds();
    shards->stop(0);

    // Wait for every shard to report its connections closed. A second signal
    // skips the wait. The shards enforce shutdown_timeout themselves; the extra
    // second here only guards against a shard that stopped answering.
    const unsigned n = shards->size();
    const uint64_t deadline = mono_ms() + cfg.shutdown_timeout_ms + 1000;
    while (shards->drained() < n && mono_ms() < deadline) {
        int sig = monitor->wait_signal(sigs, std::min(mono_ms() + 50, deadline));
        if (sig == SIGINT || sig == SIGTERM) {
            spdlog::warn("second {} received: stopping without waiting", strsignal(sig));
            break;
        }
    }
    if (shards->drained() < n)
        spdlog::warn("{} of {} shards did not finish draining in time", n - shards->drained(), n);
    shards->stop_and_join();
    if (durable->store) {
        durable->store->close();
        StoreStats st = durable->store->stats();
        spdlog::info("store: {} closed cleanly ({} changes written in {} commits{})",
                     durable->store->path(), st.records_written, st.commits,
                     st.given_up ? fmt::format(", {} given up", st.given_up) : std::string());
    }
    listeners->remove_socket_file();
    spdlog::info("stopped");
    return kExitOk;
}

}  // namespace

// The steps in order. The objects below own what the steps make and are
// destroyed in reverse order, so a step that fails unwinds everything before
// it: the shards are stopped and joined (ShardSet), then the store is closed
// (Durability), then the sockets are closed and the socket file removed
// (ListenerSet).
int run_daemon(const ConfigSource& source, const Config& cfg, std::span<const EmbeddedFile> pages,
               const LaunchCommand& command, bool takeover) {
    const uint64_t started_ms = mono_ms();
    const LaunchHints hints = LaunchHints::from_environment();
    Plan plan;
    if (int rc = check_settings(cfg, hints, &plan); rc != kExitOk) return rc;
    if (int rc = check_machine(cfg, &plan); rc != kExitOk) return rc;
    ListenerSet listeners;
    Takeover handed;  // the old daemon's listeners and streams, with --takeover
    if (takeover) {
        if (int rc = take_over(cfg, plan.shards, hints, &handed, &listeners); rc != kExitOk)
            return rc;
    } else if (int rc = open_listeners(cfg, plan, hints, &listeners); rc != kExitOk) {
        return rc;
    }
    const sigset_t sigs = block_signals();
    Durability durable;
    if (int rc = open_store(cfg, &durable); rc != kExitOk) return rc;
    if (takeover) continue_numbering(handed, &durable);
    AlertsSetup alerts;
    if (int rc = open_alert_file(cfg, &alerts); rc != kExitOk) return rc;
    ShardSet shards(plan.shards, cfg.mesh_ring_capacity,
                    stream_limit(cfg.max_connections, plan.table, plan.shards));
    const SystemdNotifier systemd;
    shards.pulses().set_interval_ms(ServiceMonitor::pulse_interval_ms(systemd.watchdog_usec()));
    if (int rc = start_shards(cfg, plan, started_ms, listeners, &durable, &alerts, pages,
                              takeover ? &handed : nullptr, &shards);
        rc != kExitOk)
        return rc;
    // Before READY: a daemon that says it is ready can be taken over.
    HandoverListener handover;
    if (std::string error; !handover.open(cfg, &error))
        spdlog::warn("{}: upgrades without a reconnect are off (upgrade.socket)", error);
    else if (handover.fd() >= 0)
        spdlog::info("upgrade: `ringcastd --takeover` takes over from this daemon via {} ({})",
                     handover.path(),
                     cfg.upgrade_carry_streams && plan.probe.fd_install
                         ? "streams are handed over on their connections"
                         : "streams drain with a randomised retry and reconnect");
    announce(cfg, plan, shards, listeners, pages, systemd);
    if (takeover) {
        // The old daemon exits once this connection closes: after READY and
        // MAINPID, so that systemd follows the new process.
        close(handed.sock);
        handed.sock = -1;
    }
    ServiceMonitor monitor(shards.pulses(), systemd, cfg.status_interval_ms);
    monitor.start(mono_ms());
    Reloader reloader(source, cfg, plan.table, pages, shards, systemd, plan.tls);
    for (;;) {
        Wake wake = wait_for_signals(sigs, reloader, &monitor, handover, command);
        if (!wake.takeover) break;
        GiveResult r = hand_over(wake.peer, reloader.running(), &shards, &durable, &alerts,
                                 &listeners, systemd);
        if (r == GiveResult::handed_over) return kExitOk;
        if (r == GiveResult::failed) return kExitFailure;
    }
    return drain_and_stop(reloader.running(), sigs, &shards, &durable, &listeners, &monitor);
}

}  // namespace ringcast

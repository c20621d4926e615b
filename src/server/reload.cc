#include "server/reload.h"

#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log_setup.h"
#include "server/alerts_setup.h"
#include "server/auth_setup.h"
#include "server/options.h"

namespace ringcast {

namespace {

// A key a running daemon cannot change: compares and copies one Config field.
struct RestartOnlyKey {
    const char* name;
    bool (*same)(const Config& a, const Config& b);
    void (*keep)(const Config& running, Config& next);
};

template <auto Field>
constexpr RestartOnlyKey field(const char* name) {
    return {name, [](const Config& a, const Config& b) { return a.*Field == b.*Field; },
            [](const Config& running, Config& next) { next.*Field = running.*Field; }};
}

// A keep (history, cache, mailbox) turned on or off: its shards' structures
// and the store's tables are made at the start; its bounds may change.
template <auto Keep>
constexpr RestartOnlyKey keep_switch(const char* name) {
    return {name,
            [](const Config& a, const Config& b) {
                return ((a.*Keep).max_events > 0) == ((b.*Keep).max_events > 0);
            },
            [](const Config& running, Config& next) {
                if (((running.*Keep).max_events > 0) != ((next.*Keep).max_events > 0))
                    (next.*Keep).max_events = (running.*Keep).max_events;
            }};
}

// Sized, opened or bound at the start (listeners, rings, tables, threads,
// files).
constexpr RestartOnlyKey kRestartOnly[] = {
    field<&Config::http>("server.http"),
    field<&Config::shards>("server.shards"),
    field<&Config::data_dir>("server.data_dir"),
    field<&Config::accept>("server.accept"),
    field<&Config::listen_backlog>("server.listen_backlog"),
    field<&Config::unix_path>("server.unix"),
    field<&Config::unix_mode>("server.unix_mode"),
    field<&Config::unix_group>("server.unix_group"),
    field<&Config::store_path>("store.path"),
    field<&Config::store_sync>("store.sync"),
    field<&Config::store_flush_interval_ms>("store.flush_interval"),
    field<&Config::store_max_pending>("store.max_pending"),
    field<&Config::status_interval_ms>("server.status_interval"),
    field<&Config::upgrade_socket>("upgrade.socket"),
    field<&Config::metrics_listen>("metrics.listen"),
    field<&Config::tls_listen>("tls.listen"),
    field<&Config::tls_ticket_rotation_ms>("tls.ticket_rotation"),
    field<&Config::log_format>("log.format"),
    field<&Config::log_access>("log.access"),
    field<&Config::log_rate_limit>("log.rate_limit"),
    field<&Config::log_rate_report_ms>("log.rate_report"),
    field<&Config::alerts_enabled>("alerts.enabled"),
    field<&Config::alerts_path>("alerts.path"),
    field<&Config::alerts_channel>("alerts.channel"),
    field<&Config::alerts_admin_channel>("alerts.admin_channel"),
    field<&Config::cluster_redis>("cluster.redis"),
    field<&Config::cluster_redis_connect_timeout_ms>("cluster.redis_connect_timeout"),
    field<&Config::cluster_redis_command_timeout_ms>("cluster.redis_command_timeout"),
    field<&Config::cluster_redis_reconnect_base_ms>("cluster.redis_reconnect_base"),
    field<&Config::cluster_redis_reconnect_max_ms>("cluster.redis_reconnect_max"),
    field<&Config::cluster_redis_ping_interval_ms>("cluster.redis_ping_interval"),
    field<&Config::cluster_node>("cluster.node"),
    field<&Config::cluster_prefix>("cluster.prefix"),
    field<&Config::cluster_node_ttl_ms>("cluster.node_ttl"),
    field<&Config::sq_entries>("engine.sq_entries"),
    field<&Config::cq_entries>("engine.cq_entries"),
    field<&Config::recv_buffers>("engine.recv_buffers"),
    field<&Config::recv_buffer_size>("engine.recv_buffer_size"),
    field<&Config::mesh_ring_capacity>("engine.mesh_ring_capacity"),
    field<&Config::connections_per_shard>("engine.connections_per_shard"),
    keep_switch<&Config::history>("history.max_events (on/off)"),
    keep_switch<&Config::cache>("cache.max_events (on/off)"),
    keep_switch<&Config::mailbox>("mailbox.max_events (on/off)"),
};

}  // namespace

std::vector<std::string> restart_only_changes(const Config& running, const Config& next) {
    std::vector<std::string> changed;
    for (const RestartOnlyKey& k : kRestartOnly)
        if (!k.same(running, next)) changed.emplace_back(k.name);
    return changed;
}

void keep_restart_only(const Config& running, Config* next) {
    for (const RestartOnlyKey& k : kRestartOnly)
        k.keep(running, *next);
}

bool Reloader::reload() {
    const std::string file = _source.path.empty() ? "the built-in defaults" : _source.path;
    _systemd.reloading("reloading the configuration");
    Config next;
    ConfigProblems problems;
    std::string error;
    AuthSetup auth;
    bool ok = _source.load(&next, &problems);
    if (ok && !make_auth(next, &auth, &error)) {
        problems.add_rule_problem(
            {"auth.secret_file", "auth.public_key_file", "auth.secret", "auth.token_key_file"},
            error);
        ok = false;
    }
    // The certificate and key, read again: new handshakes take them, open
    // connections keep theirs. A bad file refuses the reload like any other
    // problem, and the running certificate stays.
    TlsSetup tls = _tls;
    if (ok) {
        Config fixed = next;
        keep_restart_only(_running, &fixed);  // tls.listen as running
        if (!make_tls(fixed, &tls, &error)) {
            problems.add_rule_problem({"tls.certificate", "tls.key"}, error);
            ok = false;
        }
    }
    if (!ok) {
        spdlog::error("reload refused: {} has problems; the running configuration stays:\n{}", file,
                      problems.report());
        _systemd.ready("reload refused; running the previous configuration");
        return false;
    }
    if (std::vector<std::string> fixed = restart_only_changes(_running, next); !fixed.empty())
        spdlog::warn(
            "reload: {} cannot change while ringcastd runs and keep{} running value{} "
            "(restart the service to apply)",
            fmt::join(fixed, ", "), fixed.size() == 1 ? "s its" : " their",
            fixed.size() == 1 ? "" : "s");
    keep_restart_only(_running, &next);

    auto opts = std::make_shared<ShardOptions>(shard_options(next, _table, auth));
    opts->transport.tls = tls.context;
    if (tls.context) spdlog::info("TLS: certificate {}", tls.context->summary());
    _tls = std::move(tls);
    opts->http.web = web_options(next, _pages);
    opts->alerts = alert_options(next);
    const unsigned n = _shards.size();
    const unsigned applied = _shards.reload(
        std::move(opts), stream_limit(next.max_connections, _table, n), /*wait_ms=*/5000);
    // The file's level, also over one set at runtime (PUT /api/log-level).
    if (spdlog::level::from_str(next.log_level) != spdlog::get_level() &&
        !set_log_level(next.log_level, &error))
        spdlog::error("reload: server.log_level: {}", error);
    _running = std::move(next);
    if (applied < n) {
        spdlog::error(
            "reload: {} of {} shards did not take the new configuration within 5 s (a shard "
            "loop is stuck?); they take it when they next turn",
            n - applied, n);
    } else {
        spdlog::info("configuration reloaded from {} and applied on {} shard{}", file, n,
                     n == 1 ? "" : "s");
    }
    _systemd.ready("configuration reloaded");
    return true;
}

}  // namespace ringcast

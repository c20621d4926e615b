#include "config/config.h"

#include <strings.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/parse.h"
// Header-only: the one definition of a valid [cluster] redis URL.
#include "cluster/redis_url.h"

namespace ringcast {

using namespace config_detail;

extern const char ringcast_default_config[];  // generated from default.toml

std::string_view default_config_toml() {
    return ringcast_default_config;
}

namespace {

bool parse_number_with_unit(std::string_view text, uint64_t* number, std::string_view* unit) {
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
        text.remove_suffix(1);
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *number);
    if (ec != std::errc() || p == text.data()) return false;
    *unit = text.substr(size_t(p - text.data()));
    while (!unit->empty() && unit->front() == ' ')
        unit->remove_prefix(1);
    return true;
}

// One configurable key: where it lives and how to store a TOML value into cfg.
// `set` reports what is wrong with a plain value; `set_nested`, for values whose
// parts have lines of their own (inline tables, [[endpoint]] blocks, arrays
// checked item by item), reports a whole message and the node it is about.
struct Key {
    std::string path;
    std::function<bool(const toml::node&, std::string*)> set;
    std::function<bool(const toml::node&, Problem*)> set_nested = nullptr;
};

// The four bounds of one of the log shard's keeps ([history], [cache], [mailbox]).
void add_keep_keys(std::vector<Key>* keys, const char* section, Config::KeepLimits& k) {
    constexpr uint64_t GiB = 1ull << 30;
    auto path = [section](const char* key) { return fmt::format("{}.{}", section, key); };
    keys->push_back({path("max_events"), [&k](auto& n, auto* e) {
                         return want_uint(n, &k.max_events, 0, 10'000'000, e);
                     }});
    keys->push_back({path("max_bytes"), [&k](auto& n, auto* e) {
                         return want_size(n, &k.max_bytes, 4096, 16 * GiB, e);
                     }});
    keys->push_back({path("max_age"),
                     [&k](auto& n, auto* e) { return want_duration(n, &k.max_age_ms, 1000, e); }});
    keys->push_back({path("max_total_bytes"), [&k](auto& n, auto* e) {
                         return want_size(n, &k.max_total_bytes, 4096, 1024 * GiB, e);
                     }});
}

std::vector<Key> base_schema(Config& c) {
    constexpr uint64_t GiB = 1ull << 30;
    return {
        {"server.http", [&c](auto& n, auto* e) { return want_string(n, &c.http, e); }},
        {"server.shards", [&c](auto& n, auto* e) { return want_uint(n, &c.shards, 0, 1024, e); }},
        {"server.data_dir", [&c](auto& n, auto* e) { return want_string(n, &c.data_dir, e); }},
        {"server.log_level",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.log_level,
                                {"trace", "debug", "info", "warn", "error", "critical", "off"}, e);
         }},
        {"log.format",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.log_format, {"auto", "json", "text"}, e);
         }},
        {"log.access", [&c](auto& n, auto* e) { return want_bool(n, &c.log_access, e); }},
        {"log.rate_limit",
         [&c](auto& n, auto* e) { return want_uint(n, &c.log_rate_limit, 0, 1'000'000, e); }},
        {"log.rate_report",
         [&c](auto& n, auto* e) { return want_duration(n, &c.log_rate_report_ms, 1000, e); }},
        {"server.accept",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.accept, {"handoff", "reuseport"}, e);
         }},
        {"server.unix", [&c](auto& n, auto* e) { return want_string(n, &c.unix_path, e); }},
        {"server.unix_mode",
         [&c](auto& n, auto* e) {
             if (!want_string(n, &c.unix_mode, e)) return false;
             unsigned mode = 0;
             auto [p, ec] = std::from_chars(c.unix_mode.data(),
                                            c.unix_mode.data() + c.unix_mode.size(), mode, 8);
             if (ec != std::errc() || p != c.unix_mode.data() + c.unix_mode.size() || mode > 0777) {
                 *e = "must be an octal file mode as a string, like \"0660\"";
                 return false;
             }
             return true;
         }},
        {"server.unix_group", [&c](auto& n, auto* e) { return want_string(n, &c.unix_group, e); }},
        {"publish.max_line",
         [&c](auto& n, auto* e) { return want_size(n, &c.publish_max_line, 256, GiB, e); }},
        {"publish.max_reply_backlog",
         [&c](auto& n, auto* e) {
             return want_size(n, &c.publish_max_reply_backlog, 4096, 16 * GiB, e);
         }},
        {"publish.max_pending",
         [&c](auto& n, auto* e) { return want_uint(n, &c.publish_max_pending, 1, 1u << 24, e); }},
        {"publish.allow_uids",
         [&c](auto& n, auto* e) { return want_id_list(n, &c.publish_allow_uids, e); }},
        {"publish.allow_gids",
         [&c](auto& n, auto* e) { return want_id_list(n, &c.publish_allow_gids, e); }},
        {"publish.http_require_auth",
         [&c](auto& n, auto* e) { return want_bool(n, &c.publish_http_require_auth, e); }},
        {"publish.api_keys",
         [&c](auto& n, auto* e) {
             return want_string_list(n, &c.publish_api_keys, "API keys", e);
         }},
        {"publish.api_key_file",
         [&c](auto& n, auto* e) { return want_string(n, &c.publish_api_key_file, e); }},
        {"publish.rate_limit", nullptr,
         [&c](auto& n, Problem* p) {
             return parse_rate_window(n, "publish.rate_limit", "max", &c.publish_rate_limit, p);
         }},
        {"publish.user_rate_limit", nullptr,
         [&c](auto& n, Problem* p) {
             return parse_rate_window(n, "publish.user_rate_limit", "max",
                                      &c.publish_user_rate_limit, p);
         }},
        {"auth.algorithm",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.auth_algorithm, {"", "HS256", "RS256", "ES256"}, e);
         }},
        {"auth.secret", [&c](auto& n, auto* e) { return want_string(n, &c.auth_secret, e); }},
        {"auth.secret_file",
         [&c](auto& n, auto* e) { return want_string(n, &c.auth_secret_file, e); }},
        {"auth.public_key_file",
         [&c](auto& n, auto* e) { return want_string(n, &c.auth_public_key_file, e); }},
        {"auth.leeway",
         [&c](auto& n, auto* e) { return want_duration(n, &c.auth_leeway_ms, 0, e); }},
        {"auth.issuer", [&c](auto& n, auto* e) { return want_string(n, &c.auth_issuer, e); }},
        {"auth.audience", [&c](auto& n, auto* e) { return want_string(n, &c.auth_audience, e); }},
        {"auth.header", [&c](auto& n, auto* e) { return want_bool(n, &c.auth_header, e); }},
        {"auth.cookie", [&c](auto& n, auto* e) { return want_string(n, &c.auth_cookie, e); }},
        {"auth.query", [&c](auto& n, auto* e) { return want_string(n, &c.auth_query, e); }},
        {"auth.user_claim",
         [&c](auto& n, auto* e) { return want_string(n, &c.auth_user_claim, e); }},
        {"auth.roles_claim",
         [&c](auto& n, auto* e) { return want_string(n, &c.auth_roles_claim, e); }},
        {"auth.permissions_claim",
         [&c](auto& n, auto* e) { return want_string(n, &c.auth_permissions_claim, e); }},
        {"auth.subscriber_claim",
         [&c](auto& n, auto* e) { return want_string(n, &c.auth_subscriber_claim, e); }},
        {"auth.publish_claim",
         [&c](auto& n, auto* e) { return want_string(n, &c.auth_publish_claim, e); }},
        {"auth.admin_claim",
         [&c](auto& n, auto* e) { return want_string(n, &c.auth_admin_claim, e); }},
        {"auth.token_key_file",
         [&c](auto& n, auto* e) { return want_string(n, &c.auth_token_key_file, e); }},
        {"auth.token_ttl",
         [&c](auto& n, auto* e) { return want_duration(n, &c.auth_token_ttl_ms, 1000, e); }},
        {"auth.token_max_ttl",
         [&c](auto& n, auto* e) { return want_duration(n, &c.auth_token_max_ttl_ms, 1000, e); }},
        {"cors.allowed_origins",
         [&c](auto& n, auto* e) {
             return want_string_list(n, &c.cors_allowed_origins, "origins", e);
         }},
        {"cors.allow_credentials",
         [&c](auto& n, auto* e) { return want_bool(n, &c.cors_allow_credentials, e); }},
        {"cors.max_age",
         [&c](auto& n, auto* e) { return want_duration(n, &c.cors_max_age_ms, 0, e); }},
        {"endpoint", nullptr,
         [&c](auto& n, Problem* p) { return parse_endpoints(n, &c.endpoints, p); }},
        {"channel", nullptr,
         [&c](auto& n, Problem* p) { return parse_channel_rules(n, &c.channels, p); }},
        {"server.listen_backlog",
         [&c](auto& n, auto* e) { return want_uint(n, &c.listen_backlog, 1, 1 << 20, e); }},
        {"server.max_connections",
         [&c](auto& n, auto* e) { return want_uint(n, &c.max_connections, 0, UINT32_MAX, e); }},
        {"server.retry_after",
         [&c](auto& n, auto* e) { return want_duration(n, &c.retry_after_ms, 1000, e); }},
        {"server.shutdown_timeout",
         [&c](auto& n, auto* e) { return want_duration(n, &c.shutdown_timeout_ms, 0, e); }},
        {"server.status_interval",
         [&c](auto& n, auto* e) { return want_duration(n, &c.status_interval_ms, 1000, e); }},
        {"server.lingering_time",
         [&c](auto& n, auto* e) { return want_duration(n, &c.lingering_time_ms, 0, e); }},
        {"server.lingering_bytes",
         [&c](auto& n, auto* e) { return want_size(n, &c.lingering_bytes, 0, 16 * GiB, e); }},
        {"http.max_request_target",
         [&c](auto& n, auto* e) { return want_size(n, &c.max_request_target, 64, 1 << 20, e); }},
        {"http.max_header_bytes",
         [&c](auto& n, auto* e) { return want_size(n, &c.max_header_bytes, 256, 1 << 20, e); }},
        {"http.max_headers",
         [&c](auto& n, auto* e) { return want_uint(n, &c.max_headers, 1, 1000, e); }},
        {"http.max_body", [&c](auto& n, auto* e) { return want_size(n, &c.max_body, 0, GiB, e); }},
        {"http.request_timeout",
         [&c](auto& n, auto* e) { return want_duration(n, &c.request_timeout_ms, 100, e); }},
        {"http.keepalive_timeout",
         [&c](auto& n, auto* e) { return want_duration(n, &c.keepalive_timeout_ms, 100, e); }},
        {"http.trusted_proxies", nullptr,
         [&c](auto& n, Problem* p) {
             return parse_ip_ranges(n, "http.trusted_proxies", &c.trusted_proxies, p);
         }},
        {"http.forwarded_header",
         [&c](auto& n, auto* e) {
             // A header name: any case, kept in its usual spelling.
             std::string name;
             if (!want_string(n, &name, e)) return false;
             for (const char* known : {"X-Forwarded-For", "Forwarded"})
                 if (strcasecmp(name.c_str(), known) == 0) {
                     c.forwarded_header = known;
                     return true;
                 }
             *e = "must be \"X-Forwarded-For\" or \"Forwarded\"";
             return false;
         }},
        {"http2.enabled", [&c](auto& n, auto* e) { return want_bool(n, &c.http2_enabled, e); }},
        {"http2.max_concurrent_streams",
         [&c](auto& n, auto* e) {
             return want_uint(n, &c.http2_max_concurrent_streams, 100, 65535, e);
         }},
        {"http2.max_header_list_size",
         [&c](auto& n, auto* e) {
             return want_size(n, &c.http2_max_header_list_size, 1024, 1 << 20, e);
         }},
        {"http2.initial_window_size",
         [&c](auto& n, auto* e) {
             return want_uint(n, &c.http2_initial_window_size, 1024, (1u << 31) - 1, e);
         }},
        {"http2.connection_queue",
         [&c](auto& n, auto* e) {
             return want_size(n, &c.http2_connection_queue, 16 * 1024, GiB, e);
         }},
        {"http2.reset_burst",
         [&c](auto& n, auto* e) { return want_uint(n, &c.http2_reset_burst, 1, 1'000'000, e); }},
        {"http2.reset_rate",
         [&c](auto& n, auto* e) { return want_uint(n, &c.http2_reset_rate, 1, 1'000'000, e); }},
        {"http2.max_continuations",
         [&c](auto& n, auto* e) { return want_uint(n, &c.http2_max_continuations, 1, 1000, e); }},
        {"http2.max_settings",
         [&c](auto& n, auto* e) { return want_uint(n, &c.http2_max_settings, 8, 1000, e); }},
        {"http2.max_outbound_ack",
         [&c](auto& n, auto* e) {
             return want_uint(n, &c.http2_max_outbound_ack, 10, 1'000'000, e);
         }},
        {"sse.heartbeat_interval",
         [&c](auto& n, auto* e) { return want_duration(n, &c.heartbeat_interval_ms, 100, e); }},
        {"sse.heartbeat_format",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.heartbeat_format, {"event", "comment"}, e);
         }},
        {"sse.retry", [&c](auto& n, auto* e) { return want_duration(n, &c.retry_ms, 0, e); }},
        {"sse.default_channels",
         [&c](auto& n, auto* e) {
             return want_string_list(n, &c.default_channels, "channel names", e);
         }},
        {"sse.max_channels_per_stream",
         [&c](auto& n, auto* e) { return want_uint(n, &c.max_channels_per_stream, 1, 65535, e); }},
        {"sse.open_channels", [&c](auto& n, auto* e) { return want_bool(n, &c.open_channels, e); }},
        {"store.path", [&c](auto& n, auto* e) { return want_string(n, &c.store_path, e); }},
        {"metrics.listen", [&c](auto& n, auto* e) { return want_string(n, &c.metrics_listen, e); }},
        {"tls.listen", [&c](auto& n, auto* e) { return want_string(n, &c.tls_listen, e); }},
        {"tls.certificate",
         [&c](auto& n, auto* e) { return want_string(n, &c.tls_certificate, e); }},
        {"tls.key", [&c](auto& n, auto* e) { return want_string(n, &c.tls_key, e); }},
        {"tls.min_version",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.tls_min_version, {"1.2", "1.3"}, e);
         }},
        {"tls.ciphers", [&c](auto& n, auto* e) { return want_string(n, &c.tls_ciphers, e); }},
        {"tls.ciphersuites",
         [&c](auto& n, auto* e) { return want_string(n, &c.tls_ciphersuites, e); }},
        {"tls.session_tickets",
         [&c](auto& n, auto* e) { return want_bool(n, &c.tls_session_tickets, e); }},
        {"tls.ticket_rotation",
         [&c](auto& n, auto* e) { return want_duration(n, &c.tls_ticket_rotation_ms, 60'000, e); }},
        {"tls.handshake_timeout",
         [&c](auto& n, auto* e) { return want_duration(n, &c.tls_handshake_timeout_ms, 100, e); }},
        {"tls.ktls",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.tls_ktls, {"auto", "on", "off"}, e);
         }},
        {"tls.seal",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.tls_seal, {"auto", "openssl"}, e);
         }},
        {"tls.max_handshakes",
         [&c](auto& n, auto* e) { return want_uint(n, &c.tls_max_handshakes, 1, 1u << 20, e); }},
        {"metrics.open", [&c](auto& n, auto* e) { return want_bool(n, &c.metrics_open, e); }},
        {"metrics.channels",
         [&c](auto& n, auto* e) {
             return want_string_list(n, &c.metrics_channels, "channel names", e);
         }},
        {"metrics.ready_timeout",
         [&c](auto& n, auto* e) { return want_duration(n, &c.metrics_ready_timeout_ms, 10, e); }},
        {"metrics.snapshot_interval",
         [&c](auto& n, auto* e) {
             return want_duration(n, &c.metrics_snapshot_interval_ms, 10, e);
         }},
        {"alerts.enabled", [&c](auto& n, auto* e) { return want_bool(n, &c.alerts_enabled, e); }},
        {"alerts.path", [&c](auto& n, auto* e) { return want_string(n, &c.alerts_path, e); }},
        {"alerts.channel", [&c](auto& n, auto* e) { return want_string(n, &c.alerts_channel, e); }},
        {"alerts.admin_channel",
         [&c](auto& n, auto* e) { return want_string(n, &c.alerts_admin_channel, e); }},
        {"alerts.admin_roles",
         [&c](auto& n, auto* e) {
             return want_string_list(n, &c.alerts_admin_roles, "role names", e);
         }},
        {"alerts.custom_types",
         [&c](auto& n, auto* e) {
             return want_string_list(n, &c.alerts_custom_types, "alert type names", e);
         }},
        {"alerts.max_active",
         [&c](auto& n, auto* e) { return want_uint(n, &c.alerts_max_active, 1, 100000, e); }},
        {"alerts.max_title",
         [&c](auto& n, auto* e) { return want_size(n, &c.alerts_max_title, 16, 65536, e); }},
        {"alerts.max_message",
         [&c](auto& n, auto* e) { return want_size(n, &c.alerts_max_message, 16, 1 << 20, e); }},
        {"alerts.max_details",
         [&c](auto& n, auto* e) { return want_size(n, &c.alerts_max_details, 16, 1 << 20, e); }},
        {"alerts.max_metadata",
         [&c](auto& n, auto* e) { return want_size(n, &c.alerts_max_metadata, 2, 1 << 20, e); }},
        {"alerts.max_actions",
         [&c](auto& n, auto* e) { return want_uint(n, &c.alerts_max_actions, 0, 64, e); }},
        {"store.sync",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.store_sync, {"normal", "full"}, e);
         }},
        {"store.flush_interval",
         [&c](auto& n, auto* e) { return want_duration(n, &c.store_flush_interval_ms, 1, e); }},
        {"store.max_pending",
         [&c](auto& n, auto* e) {
             return want_uint(n, &c.store_max_pending, 1024, 1ull << 30, e);
         }},
        {"web.enabled", [&c](auto& n, auto* e) { return want_bool(n, &c.web_enabled, e); }},
        {"web.root", [&c](auto& n, auto* e) { return want_string(n, &c.web_root, e); }},
        {"cluster.redis",
         [&c](auto& n, auto* e) {
             std::string url;
             if (!want_string(n, &url, e)) return false;
             RedisEndpoint endpoint;
             std::string why;
             if (!url.empty() && !parse_redis_url(url, &endpoint, &why)) {
                 *e = why;
                 return false;
             }
             c.cluster_redis = std::move(url);
             return true;
         }},
        {"cluster.redis_connect_timeout",
         [&c](auto& n, auto* e) {
             return want_duration(n, &c.cluster_redis_connect_timeout_ms, 10, e);
         }},
        {"cluster.redis_command_timeout",
         [&c](auto& n, auto* e) {
             return want_duration(n, &c.cluster_redis_command_timeout_ms, 10, e);
         }},
        {"cluster.redis_reconnect_base",
         [&c](auto& n, auto* e) {
             return want_duration(n, &c.cluster_redis_reconnect_base_ms, 1, e);
         }},
        {"cluster.redis_reconnect_max",
         [&c](auto& n, auto* e) {
             return want_duration(n, &c.cluster_redis_reconnect_max_ms, 1, e);
         }},
        {"cluster.redis_ping_interval",
         [&c](auto& n, auto* e) {
             return want_duration(n, &c.cluster_redis_ping_interval_ms, 0, e);
         }},
        {"cluster.prefix", [&c](auto& n, auto* e) { return want_string(n, &c.cluster_prefix, e); }},
        {"cluster.history_length",
         [&c](auto& n, auto* e) {
             return want_uint(n, &c.cluster_history_length, 100, 100'000'000, e);
         }},
        {"cluster.reply_wait",
         [&c](auto& n, auto* e) { return want_duration(n, &c.cluster_reply_wait_ms, 0, e); }},
        {"cluster.node", [&c](auto& n, auto* e) { return want_string(n, &c.cluster_node, e); }},
        {"cluster.node_ttl",
         [&c](auto& n, auto* e) { return want_duration(n, &c.cluster_node_ttl_ms, 500, e); }},
        {"upgrade.socket", [&c](auto& n, auto* e) { return want_string(n, &c.upgrade_socket, e); }},
        {"upgrade.carry_streams",
         [&c](auto& n, auto* e) { return want_bool(n, &c.upgrade_carry_streams, e); }},
        {"upgrade.retry_spread",
         [&c](auto& n, auto* e) { return want_duration(n, &c.upgrade_retry_spread_ms, 0, e); }},
        {"delivery.max_queue",
         [&c](auto& n, auto* e) { return want_size(n, &c.max_queue, 4096, 16 * GiB, e); }},
        {"delivery.queue_limit",
         [&c](auto& n, auto* e) { return want_size(n, &c.queue_limit, 4096, 16 * GiB, e); }},
        {"delivery.slow_reader",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.slow_reader, {"drop", "disconnect"}, e);
         }},
        {"delivery.write_timeout",
         [&c](auto& n, auto* e) { return want_duration(n, &c.write_timeout_ms, 100, e); }},
        {"engine.sq_entries",
         [&c](auto& n, auto* e) { return want_uint(n, &c.sq_entries, 16, 32768, e); }},
        {"engine.cq_entries",
         [&c](auto& n, auto* e) { return want_uint(n, &c.cq_entries, 64, 65536, e); }},
        {"engine.sends_per_turn",
         [&c](auto& n, auto* e) { return want_uint(n, &c.sends_per_turn, 16, 65536, e); }},
        {"engine.sends_per_turn_awaiting",
         [&c](auto& n, auto* e) { return want_uint(n, &c.sends_per_turn_awaiting, 16, 65536, e); }},
        {"engine.recv_buffers",
         [&c](auto& n, auto* e) { return want_uint(n, &c.recv_buffers, 8, 32768, e); }},
        {"engine.recv_buffer_size",
         [&c](auto& n, auto* e) { return want_size(n, &c.recv_buffer_size, 512, 1 << 20, e); }},
        {"engine.mesh_ring_capacity",
         [&c](auto& n, auto* e) { return want_uint(n, &c.mesh_ring_capacity, 16, 1 << 24, e); }},
        {"engine.connections_per_shard",
         [&c](auto& n, auto* e) { return want_uint(n, &c.connections_per_shard, 0, 1 << 22, e); }},
    };
}

std::vector<Key> schema(Config& c) {
    std::vector<Key> keys = base_schema(c);
    add_keep_keys(&keys, "history", c.history);
    add_keep_keys(&keys, "cache", c.cache);
    add_keep_keys(&keys, "mailbox", c.mailbox);
    return keys;
}

// Every section a key lives in ("server", "publish", ...), for suggestions.
std::vector<std::string> sections(const std::vector<Key>& keys) {
    std::vector<std::string> out;
    for (const Key& key : keys) {
        std::string_view path(key.path);
        for (size_t dot = path.find('.'); dot != path.npos; dot = path.find('.', dot + 1))
            if (std::find(out.begin(), out.end(), path.substr(0, dot)) == out.end())
                out.emplace_back(path.substr(0, dot));
    }
    return out;
}

// A table that is neither a known section nor a key taking a table: a misspelled
// section, or a misspelled key whose value is an inline table.
std::string unknown_table(const toml::node& v, const std::string& path,
                          const std::vector<Key>& keys, const std::string& source) {
    std::vector<std::string> candidates = sections(keys);
    for (const Key& key : keys)
        if (key.set_nested) candidates.emplace_back(key.path);
    std::string best = closest(path, candidates);
    bool best_is_key =
        std::any_of(keys.begin(), keys.end(), [&](const Key& k) { return best == k.path; });
    if (best == "endpoint")
        return fmt::format("{}: unknown section [{}] (did you mean [[endpoint]]?)",
                           where(source, v), path);
    if (best_is_key)
        return fmt::format("{}: unknown key '{}' (did you mean '{}'?)", where(source, v), path,
                           best);
    if (!best.empty())
        return fmt::format("{}: unknown section [{}] (did you mean [{}]?)", where(source, v), path,
                           best);
    return fmt::format("{}: unknown section [{}]", where(source, v), path);
}

// Applies every key of `t` it can, in the order of the file, and records a
// problem for each one it cannot (that key keeps its previous value).
void apply_table(const toml::table& t, const std::string& prefix, const std::vector<Key>& keys,
                 const std::string& source, ConfigProblems* problems) {
    for (const auto& [name, node] : in_file_order(t)) {
        const toml::node& v = *node;
        std::string path = prefix.empty() ? name : prefix + "." + name;
        const Key* found = nullptr;
        for (const Key& key : keys)
            if (path == key.path) found = &key;
        if (found && found->set_nested) {
            Problem p;
            if (!found->set_nested(v, &p)) {
                const toml::node& at = p.at ? *p.at : v;
                problems->add_value_problem(found->path, place_of(at),
                                            fmt::format("{}: {}", where(source, at), p.message));
            }
            continue;
        }
        if (!found && v.is_table()) {
            bool known_section = false;
            for (const Key& key : keys)
                if (std::string_view(key.path).starts_with(path + ".")) known_section = true;
            if (known_section) {
                apply_table(*v.as_table(), path, keys, source, problems);
            } else {
                problems->add_value_problem(path, place_of(v),
                                            unknown_table(v, path, keys, source));
            }
            continue;
        }
        if (!found) {
            std::vector<std::string> paths;
            for (const Key& key : keys)
                paths.emplace_back(key.path);
            problems->add_value_problem(
                path, place_of(v),
                fmt::format("{}: {}", where(source, v), unknown_key_message(path, path, paths)));
            continue;
        }
        std::string why;
        if (!found->set(v, &why))
            problems->add_value_problem(path, place_of(v),
                                        fmt::format("{}: '{}' {}", where(source, v), path, why));
    }
}

// Where the file sets every key, table and [[endpoint]] block, for ordering the
// problems found later.
void record_places(const toml::node& n, const std::string& path, ConfigProblems* problems) {
    if (!path.empty()) problems->set_place(path, place_of(n));
    if (const toml::table* t = n.as_table()) {
        for (const auto& [name, member] : in_file_order(*t))
            record_places(*member, path.empty() ? name : path + "." + name, problems);
    } else if (const toml::array* a = n.as_array(); a && a->is_array_of_tables()) {
        for (size_t i = 0; i < a->size(); ++i)
            record_places(*a->get(i), fmt::format("{}[{}]", path, i), problems);
    }
}

void apply_document(Config& cfg, const toml::table& doc, const std::string& source,
                    ConfigProblems* problems) {
    apply_table(doc, "", schema(cfg), source, problems);
    // A block without heartbeat_interval follows [sse] heartbeat_interval, also
    // when a later file changes only that (the built-in endpoints set none).
    for (EndpointConfig& e : cfg.endpoints)
        if (!e.heartbeat_interval_set) e.heartbeat_interval_ms = cfg.heartbeat_interval_ms;
}

// The text before the line a syntax error is on, for the problems of the
// values above it (parsing stops at the error; those come first in the file).
std::string_view text_before_line(std::string_view text, uint32_t line) {
    size_t at = 0;
    for (uint32_t l = 1; l < line && at != std::string_view::npos; ++l) {
        at = text.find('\n', at);
        if (at != std::string_view::npos) ++at;
    }
    return at == std::string_view::npos ? text : text.substr(0, at);
}

}  // namespace

bool parse_duration_ms(std::string_view text, uint64_t* ms) {
    uint64_t n;
    std::string_view unit;
    if (!parse_number_with_unit(text, &n, &unit)) return false;
    uint64_t mult;
    if (unit == "ms" || unit.empty()) {
        mult = 1;
    } else if (unit == "s") {
        mult = 1000;
    } else if (unit == "m" || unit == "min") {
        mult = 60'000;
    } else if (unit == "h") {
        mult = 3'600'000;
    } else {
        return false;
    }
    // "5124095576030432h" would wrap to a few seconds and pass every range check.
    return !__builtin_mul_overflow(n, mult, ms);
}

bool parse_size_bytes(std::string_view text, uint64_t* bytes) {
    uint64_t n;
    std::string_view unit;
    if (!parse_number_with_unit(text, &n, &unit)) return false;
    uint64_t mult;
    if (unit.empty() || unit == "B") {
        mult = 1;
    } else if (unit == "KiB" || unit == "K" || unit == "k") {
        mult = 1ull << 10;
    } else if (unit == "MiB" || unit == "M") {
        mult = 1ull << 20;
    } else if (unit == "GiB" || unit == "G") {
        mult = 1ull << 30;
    } else {
        return false;
    }
    // "17179869184GiB" would wrap to 0 and pass a range that starts at 0.
    return !__builtin_mul_overflow(n, mult, bytes);
}

bool apply_config_text(Config& cfg, std::string_view text, const std::string& source,
                       ConfigProblems* problems) {
    const size_t before = problems->size();
    problems->set_source(source);
    toml::table doc;
    try {
        doc = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        problems->set_incomplete();
        problems->add_value_problem(
            "", {uint32_t(b.line), uint32_t(b.column)},
            fmt::format("{}:{}:{}: {}", source, b.line, b.column, e.description()));
        // The values above the error were not looked at: read them too, so that
        // a problem there is not reported after this one. A cut that itself does
        // not parse (inside a multi-line array) tells nothing more.
        try {
            toml::table head = toml::parse(text_before_line(text, uint32_t(b.line)), source);
            Config scratch = cfg;
            apply_document(scratch, head, source, problems);
        } catch (const toml::parse_error&) {
        }
        return false;
    }
    record_places(doc, "", problems);
    apply_document(cfg, doc, source, problems);
    return problems->size() == before;
}

bool apply_config_text(Config& cfg, std::string_view text, const std::string& source,
                       std::string* error) {
    Config work = cfg;  // all or nothing
    ConfigProblems problems;
    if (!apply_config_text(work, text, source, &problems)) {
        *error = problems.report();
        return false;
    }
    cfg = std::move(work);
    return true;
}

bool load_config(Config& cfg, const std::string& path, ConfigProblems* problems) {
    std::string error;
    if (!apply_config_text(cfg, default_config_toml(), "<built-in defaults>", &error)) {
        problems->add_value_problem("", {}, error);  // a unit test keeps this from happening
        problems->set_incomplete();
        return false;
    }
    if (path.empty()) return true;
    std::ifstream f(path);
    if (!f) {
        problems->add_value_problem(
            "", {}, fmt::format("cannot read config file {}: {}", path, std::strerror(errno)));
        problems->set_incomplete();
        return false;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    return apply_config_text(cfg, ss.str(), path, problems);
}

bool load_config(Config& cfg, const std::string& path, std::string* error) {
    Config work = cfg;
    ConfigProblems problems;
    if (!load_config(work, path, &problems)) {
        *error = problems.report();
        return false;
    }
    cfg = std::move(work);
    return true;
}

}  // namespace ringcast

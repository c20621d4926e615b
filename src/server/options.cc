#include "server/options.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "cluster/bus_message.h"
#include "net/ip_range.h"
#include "server/alerts_setup.h"

namespace ringcast {

namespace {

EndpointOptions endpoint_options(const EndpointConfig& e, const Config& cfg) {
    EndpointOptions o;
    o.path = e.path;
    o.channels = e.channels;
    o.default_channels = e.channels.empty() ? cfg.default_channels : e.channels;
    o.require_auth = e.require_auth;
    o.allowed_roles = e.allowed_roles;
    o.allowed_permissions = e.allowed_permissions;
    o.heartbeat_interval_ms = e.heartbeat_interval_ms;
    o.connection_timeout_ms = e.connection_timeout_ms;
    o.rate_limit_max = e.rate_limit.max;
    o.rate_limit_window_ms = e.rate_limit.window_ms;
    o.max_connections_per_ip = e.max_connections_per_ip;
    o.max_connections_per_user = e.max_connections_per_user;
    return o;
}

// [cluster] node, or its default: the host name and the port of server.http
// (the pid when that port is 0, picked by the kernel at each start); and a
// random instance id, new at every start (cluster/cluster_node.h).
std::shared_ptr<ClusterNode> cluster_node(const Config& cfg) {
    auto node = std::make_shared<ClusterNode>();
    node->prefix = cfg.cluster_prefix;
    node->ttl_ms = cfg.cluster_node_ttl_ms;
    node->name = cfg.cluster_node;
    if (node->name.empty()) {
        char buf[256] = {};
        const std::string host =
            gethostname(buf, sizeof buf - 1) == 0 && buf[0] ? std::string(buf) : "ringcast";
        std::string port;
        const size_t colon = cfg.http.rfind(':');
        if (colon != std::string::npos) port = cfg.http.substr(colon + 1);
        if (port.empty() || port == "0") port = fmt::format("pid{}", getpid());
        node->name = fmt::format("{}:{}", host, port);
        // A host name may hold what a node name may not (cluster.node's rules).
        for (char& ch : node->name)
            if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' &&
                ch != ':' && ch != '-')
                ch = '-';
    }
    node->instance = make_instance();  // the bus's origin name too (cluster/bus_message.h)
    return node;
}

}  // namespace

ShardOptions shard_options(const Config& cfg, unsigned direct_files, const AuthSetup& auth) {
    ShardOptions o;
    o.reactor.ring.sq_entries = cfg.sq_entries;
    o.reactor.ring.cq_entries = cfg.cq_entries;
    o.reactor.recv_buffers = cfg.recv_buffers;
    o.reactor.recv_buffer_size = unsigned(cfg.recv_buffer_size);
    o.reactor.direct_files = direct_files;

    auto keep = [](const Config::KeepLimits& k) {
        return KeyedLogLimits{k.max_events, k.max_bytes, k.max_age_ms, k.max_total_bytes};
    };
    o.log.history = keep(cfg.history);
    o.log.cache = keep(cfg.cache);
    o.log.mailbox = keep(cfg.mailbox);
    o.http.cache_enabled = cfg.cache.max_events > 0;
    // Half the soft limit: a catch-up queued behind a handshake still in flight
    // must not trip the slow-reader policy (net/queue_policy.h) by itself.
    o.http.catch_up_max_bytes = cfg.queue_limit / 2;

    o.transport.queue.hard = cfg.max_queue;
    o.transport.queue.soft = cfg.queue_limit;
    o.transport.queue.policy =
        cfg.slow_reader == "disconnect" ? SlowReaderPolicy::disconnect : SlowReaderPolicy::drop;
    o.transport.write_timeout_ms = uint32_t(cfg.write_timeout_ms);
    o.transport.lingering_time_ms = uint32_t(cfg.lingering_time_ms);
    o.transport.lingering_bytes = cfg.lingering_bytes;
    // Each send yields one completion; half the CQ leaves room for receives,
    // accepts and closes arriving in the same batch.
    o.transport.max_inflight_sends = std::max<uint32_t>(64, cfg.cq_entries / 2);
    o.transport.sends_per_turn = cfg.sends_per_turn;
    o.transport.sends_per_turn_awaiting = cfg.sends_per_turn_awaiting;
    o.transport.handoff = cfg.accept == "handoff";
    // The context itself (certificate, key) is the caller's: server/tls_setup.h.
    o.transport.tls_limits.handshake_timeout_ms = cfg.tls_handshake_timeout_ms;
    o.transport.tls_limits.max_handshakes = cfg.tls_max_handshakes;

    o.http.limits.max_target = uint32_t(cfg.max_request_target);
    o.http.limits.max_header_bytes = uint32_t(cfg.max_header_bytes);
    o.http.limits.max_headers = cfg.max_headers;
    o.http.limits.max_body = cfg.max_body;
    o.http.request_timeout_ms = uint32_t(cfg.request_timeout_ms);
    o.http.keepalive_timeout_ms = uint32_t(cfg.keepalive_timeout_ms);
    o.http.http2.enabled = cfg.http2_enabled;
    o.http.http2.max_concurrent_streams = cfg.http2_max_concurrent_streams;
    o.http.http2.max_header_list_size = uint32_t(cfg.http2_max_header_list_size);
    o.http.http2.initial_window_size = cfg.http2_initial_window_size;
    o.http.http2.connection_queue = cfg.http2_connection_queue;
    o.http.http2.reset_burst = cfg.http2_reset_burst;
    o.http.http2.reset_rate = cfg.http2_reset_rate;
    o.http.http2.max_continuations = cfg.http2_max_continuations;
    o.http.http2.max_settings = cfg.http2_max_settings;
    o.http.http2.max_outbound_ack = cfg.http2_max_outbound_ack;
    o.http.heartbeat_as_comment = cfg.heartbeat_format == "comment";
    o.http.retry_ms = uint32_t(cfg.retry_ms);
    for (const EndpointConfig& e : cfg.endpoints)
        o.http.endpoints.push_back(endpoint_options(e, cfg));
    std::vector<ChannelRule> rules;
    for (const ChannelRuleConfig& r : cfg.channels)
        rules.push_back({r.name, r.require_auth, r.allowed_roles, r.allowed_permissions});
    o.http.channel_rules = ChannelRules(std::move(rules), cfg.open_channels);
    o.http.verifier = auth.verifier;
    o.http.signer = auth.signer;
    o.publish.signer = auth.signer;
    o.http.api.require_auth = cfg.publish_http_require_auth;
    o.http.api.api_keys = cfg.publish_api_keys;
    o.http.api.alert_admin_roles = cfg.alerts_admin_roles;
    o.http.cors.allowed_origins = cfg.cors_allowed_origins;
    o.http.cors.allow_credentials = cfg.cors_allow_credentials;
    o.http.cors.max_age_s = cfg.cors_max_age_ms / 1000;
    for (const std::string& text : cfg.trusted_proxies) {
        IpRange r;
        std::string why;
        if (IpRange::parse(text, &r, &why)) o.http.proxies.ranges.push_back(r);  // checked at load
    }
    o.http.proxies.header = cfg.forwarded_header == "Forwarded" ? ForwardedHeader::forwarded
                                                                : ForwardedHeader::x_forwarded_for;
    o.http.max_channels_per_stream = cfg.max_channels_per_stream;
    o.http.retry_after_s = uint32_t((cfg.retry_after_ms + 999) / 1000);

    o.publish.max_line = cfg.publish_max_line;
    o.publish.max_reply_backlog = cfg.publish_max_reply_backlog;
    o.publish.max_pending = cfg.publish_max_pending;
    o.publish.allow_uids = cfg.publish_allow_uids;
    o.publish.allow_gids = cfg.publish_allow_gids;
    o.publish.rate_max = cfg.publish_rate_limit.max;
    o.publish.rate_window_ms = cfg.publish_rate_limit.window_ms;
    // One set of rules for both ways in (ops/publish_flow.h); the socket counts
    // publish.rate_limit per connection itself, HTTP by key through the flow.
    o.publish_rules = PublishRules{
        window_rule(cfg.publish_rate_limit.max, cfg.publish_rate_limit.window_ms),
        window_rule(cfg.publish_user_rate_limit.max, cfg.publish_user_rate_limit.window_ms)};

    o.http.alerts = alert_options(cfg);
    o.http.metrics.open = cfg.metrics_open;
    o.http.metrics.ready_timeout_ms = cfg.metrics_ready_timeout_ms;
    o.metric_channels = cfg.metrics_channels;
    o.metrics_snapshot_interval_ms = cfg.metrics_snapshot_interval_ms;
    o.publish.alerts = o.http.alerts;
    o.shutdown_timeout_ms = cfg.shutdown_timeout_ms;
    if (!cfg.cluster_redis.empty()) {
        std::string why;
        o.redis_enabled = parse_redis_url(cfg.cluster_redis, &o.redis.endpoint, &why);  // checked
        o.redis.connect_timeout_ms = cfg.cluster_redis_connect_timeout_ms;
        o.redis.command_timeout_ms = cfg.cluster_redis_command_timeout_ms;
        o.redis.reconnect_min_ms = cfg.cluster_redis_reconnect_base_ms;
        o.redis.reconnect_max_ms = cfg.cluster_redis_reconnect_max_ms;
        o.redis.ping_interval_ms = cfg.cluster_redis_ping_interval_ms;
        o.cluster.prefix = cfg.cluster_prefix;
        o.cluster.history_length = cfg.cluster_history_length;
        o.cluster.reply_wait_ms = cfg.cluster_reply_wait_ms;
        // Whether a user-specific event reached the user is known per node, so
        // mail cannot be decided by one node yet (docs/scaling.md): off.
        o.log.mailbox.max_events = 0;
        o.cluster_node = cluster_node(cfg);
    }
    o.handover.carry = cfg.upgrade_carry_streams;
    o.handover.flush_timeout_ms = cfg.shutdown_timeout_ms;
    o.handover.retry_spread_ms =
        uint32_t(std::min<uint64_t>(cfg.upgrade_retry_spread_ms, 86'400'000));
    return o;
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

WebOptions web_options(const Config& cfg, std::span<const EmbeddedFile> embedded) {
    WebOptions o;
    o.enabled = cfg.web_enabled;
    if (!cfg.web_root.empty())
        o.root = std::filesystem::absolute(cfg.web_root).lexically_normal().string();
    o.files = embedded;
    return o;
}

StoreOptions store_options(const Config& cfg) {
    StoreOptions o;
    o.path = cfg.store_path;
    if (!o.path.empty() && o.path.front() != '/')
        o.path = (std::filesystem::path(cfg.data_dir) / o.path).string();
    o.sync_full = cfg.store_sync == "full";
    o.flush_interval_ms = cfg.store_flush_interval_ms;
    o.max_pending = cfg.store_max_pending;
    return o;
}

}  // namespace ringcast

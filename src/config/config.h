#pragma once
// The daemon's configuration: the embedded defaults (default.toml), then the
// operator's file, then command-line flags, each layer overriding the last.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/problems.h"

namespace ringcast {

// A count allowed per time window ("5 per minute": max = 5, window_ms = 60000).
// max = 0 turns the limit off.
struct RateWindow {
    uint64_t max = 0;
    uint64_t window_ms = 0;

    bool operator==(const RateWindow&) const = default;
};

// One SSE endpoint: an [[endpoint]] block. An EndpointConfig built in code starts
// from these values; the loader starts a block from the documented defaults
// (rate_limit.window 1m, heartbeat_interval = [sse] heartbeat_interval).
struct EndpointConfig {
    std::string path;
    // Channels a stream may pick with ?channels=; [] = any valid name. Without
    // ?channels= a stream gets these, or [sse] default_channels when [].
    std::vector<std::string> channels;
    bool require_auth = false;
    // A token must carry at least one of each non-empty list.
    std::vector<std::string> allowed_roles, allowed_permissions;
    uint64_t heartbeat_interval_ms = 30000;
    uint64_t connection_timeout_ms = 0;  // maximum lifetime; 0 = none
    RateWindow rate_limit;               // new streams per IP per window; max = max_connections
    uint32_t max_connections_per_ip = 0;
    uint32_t max_connections_per_user = 0;
    // Loader bookkeeping: false when the block omitted heartbeat_interval, so that
    // heartbeat_interval_ms follows [sse] heartbeat_interval of every later layer.
    bool heartbeat_interval_set = false;

    bool operator==(const EndpointConfig&) const = default;
};

// Who may subscribe to a channel on any endpoint: a [[channel]] block. `name` is
// a channel name, or a pattern where `*` stands for any run of characters.
struct ChannelRuleConfig {
    std::string name;
    bool require_auth = false;
    // A token must carry at least one of each non-empty list (either implies
    // require_auth).
    std::vector<std::string> allowed_roles, allowed_permissions;

    bool operator==(const ChannelRuleConfig&) const = default;
};

// HS256 secrets shorter than this are refused: RFC 7518 section 3.2 asks for a key
// at least as long as the hash (256 bits). validate_config applies it to
// auth.secret; the daemon applies it to the content of auth.secret_file.
inline constexpr size_t kMinHs256SecretBytes = 32;

// Channels /metrics may name ([metrics] channels): each adds a few series.
inline constexpr size_t kMaxMetricChannels = 100;

struct Config {
    // [server]
    std::string http;
    unsigned shards = 0;
    std::string data_dir;
    std::string log_level;
    // [log]: the shape of log lines, their limits, the access log (core/log_setup.h)
    std::string log_format;  // "auto", "json", "text"
    bool log_access = false;
    uint32_t log_rate_limit = 0;  // lines of one kind per second per shard; 0: no limit
    uint64_t log_rate_report_ms = 0;
    std::string accept;
    uint32_t listen_backlog = 0;
    std::string unix_path;
    std::string unix_mode;
    std::string unix_group;
    uint64_t max_connections = 0;
    uint64_t retry_after_ms = 0;
    uint64_t shutdown_timeout_ms = 0;
    uint64_t status_interval_ms = 0;  // systemd's STATUS= line, refreshed this often
    uint64_t lingering_time_ms = 0;
    uint64_t lingering_bytes = 0;
    // [http]
    uint64_t max_request_target = 0;
    uint64_t max_header_bytes = 0;
    uint32_t max_headers = 0;
    uint64_t max_body = 0;
    uint64_t request_timeout_ms = 0;
    uint64_t keepalive_timeout_ms = 0;
    // Reverse proxies whose forwarding header names the client: addresses and
    // CIDR ranges as written (each valid for net/ip_range.h); [] = none.
    std::vector<std::string> trusted_proxies;
    std::string forwarded_header;  // "X-Forwarded-For" or "Forwarded"
    // [http2]
    bool http2_enabled = true;
    uint32_t http2_max_concurrent_streams = 0;
    uint64_t http2_max_header_list_size = 0;
    uint32_t http2_initial_window_size = 0;
    uint64_t http2_connection_queue = 0;
    uint32_t http2_reset_burst = 0;
    uint32_t http2_reset_rate = 0;
    uint32_t http2_max_continuations = 0;
    uint32_t http2_max_settings = 0;
    uint32_t http2_max_outbound_ack = 0;
    // [sse]
    uint64_t heartbeat_interval_ms = 0;
    std::string heartbeat_format;
    uint64_t retry_ms = 0;
    std::vector<std::string> default_channels;
    uint32_t max_channels_per_stream = 0;
    bool open_channels = true;  // channels no [[channel]] rule names: open to anyone
    // [publish]
    uint64_t publish_max_line = 0;
    uint64_t publish_max_reply_backlog = 0;
    uint32_t publish_max_pending = 0;
    std::vector<uint32_t> publish_allow_uids;
    std::vector<uint32_t> publish_allow_gids;
    bool publish_http_require_auth = false;
    std::vector<std::string> publish_api_keys;
    std::string publish_api_key_file;    // more keys, one per line (read_api_key_file)
    RateWindow publish_rate_limit;       // per publisher
    RateWindow publish_user_rate_limit;  // per target user of user-specific events
    // [auth]
    std::string auth_algorithm;  // "", "HS256", "RS256", "ES256"
    std::string auth_secret;
    std::string auth_secret_file;
    std::string auth_public_key_file;
    uint64_t auth_leeway_ms = 0;
    std::string auth_issuer;
    std::string auth_audience;
    bool auth_header = false;
    std::string auth_cookie;  // "" = not read
    std::string auth_query;   // "" = not read
    std::string auth_user_claim;
    std::string auth_roles_claim;
    std::string auth_permissions_claim;
    std::string auth_subscriber_claim;
    std::string auth_publish_claim;
    std::string auth_admin_claim;
    // ringcastd's own stream tokens (auth/stream_token.h): "" = off; relative to
    // data_dir; made at the first start.
    std::string auth_token_key_file;
    uint64_t auth_token_ttl_ms = 0;
    uint64_t auth_token_max_ttl_ms = 0;
    // [cors]
    std::vector<std::string> cors_allowed_origins;  // [] = no CORS headers; ["*"] = any
    bool cors_allow_credentials = false;
    uint64_t cors_max_age_ms = 0;
    // [history], [cache], [mailbox]: the log shard's keeps (pubsub/event_log.h)
    struct KeepLimits {
        uint32_t max_events = 0;  // per channel (per user for mailboxes); 0 = off
        uint64_t max_bytes = 0;
        uint64_t max_age_ms = 0;
        uint64_t max_total_bytes = 0;
    };
    KeepLimits history, cache, mailbox;
    // [store]
    std::string store_path;  // "" = no store; relative to data_dir
    // [alerts]
    bool alerts_enabled = false;
    std::string alerts_path;  // relative to data_dir
    std::string alerts_channel;
    std::string alerts_admin_channel;
    std::vector<std::string> alerts_admin_roles;
    std::vector<std::string> alerts_custom_types;
    uint64_t alerts_max_active = 0;
    uint64_t alerts_max_title = 0;
    uint64_t alerts_max_message = 0;
    uint64_t alerts_max_details = 0;
    uint64_t alerts_max_metadata = 0;
    uint64_t alerts_max_actions = 0;
    std::string store_sync;  // "normal", "full"
    uint64_t store_flush_interval_ms = 0;
    uint64_t store_max_pending = 0;
    // [metrics]: /metrics and /healthz (docs/operations.md, "Metrics and health")
    std::string metrics_listen;                 // "" = no listener of their own
    bool metrics_open = false;                  // on the main listener without credentials
    std::vector<std::string> metrics_channels;  // channels named in labels
    uint64_t metrics_ready_timeout_ms = 0;
    uint64_t metrics_snapshot_interval_ms = 0;  // each shard's snapshot for /metrics
    // [tls]: HTTPS (docs/operations.md, "HTTPS")
    std::string tls_listen;  // "" = no HTTPS listener
    std::string tls_certificate;
    std::string tls_key;
    std::string tls_min_version;  // "1.2", "1.3"
    std::string tls_ciphers;
    std::string tls_ciphersuites;
    bool tls_session_tickets = true;
    uint64_t tls_ticket_rotation_ms = 0;
    uint64_t tls_handshake_timeout_ms = 0;
    uint32_t tls_max_handshakes = 0;  // per shard
    std::string tls_ktls;  // "auto": kernel TLS transmit where the kernel has it; "on"; "off"
    std::string tls_seal;  // "auto": ringcastd seals TLS 1.3 records itself; "openssl": SSL_write
    // [web]: the pages ringcastd serves (src/web)
    bool web_enabled = true;
    std::string web_root;  // "" = the embedded pages; else a folder read at each request
    // [delivery]
    uint64_t max_queue = 0;    // hard limit: past it a connection is closed
    uint64_t queue_limit = 0;  // soft limit: past it slow_reader applies; <= max_queue
    std::string slow_reader;   // "drop" or "disconnect"
    uint64_t write_timeout_ms = 0;
    // [upgrade]
    std::string upgrade_socket;
    bool upgrade_carry_streams = true;
    uint64_t upgrade_retry_spread_ms = 0;
    // [cluster]: nodes sharing through Redis (docs/scaling.md)
    std::string cluster_redis;  // "" = one node alone; else a URL (cluster/redis_url.h)
    uint64_t cluster_redis_connect_timeout_ms = 0;
    uint64_t cluster_redis_command_timeout_ms = 0;
    uint64_t cluster_redis_reconnect_base_ms = 0;
    uint64_t cluster_redis_reconnect_max_ms = 0;
    uint64_t cluster_redis_ping_interval_ms = 0;  // 0 = no keepalive PING
    std::string cluster_prefix;                   // every key and channel starts with it
    uint64_t cluster_history_length = 0;          // the history stream's MAXLEN ~
    uint64_t cluster_reply_wait_ms = 0;           // a publish reply waits this long for nodes
    std::string cluster_node;                     // "" = <host name>:<port of server.http>
    uint64_t cluster_node_ttl_ms = 0;
    // [engine]
    uint32_t sq_entries = 0;
    uint32_t cq_entries = 0;
    uint32_t sends_per_turn = 0;
    uint32_t sends_per_turn_awaiting = 0;
    uint32_t recv_buffers = 0;
    uint64_t recv_buffer_size = 0;
    uint32_t mesh_ring_capacity = 0;
    uint32_t connections_per_shard = 0;
    // [[endpoint]] blocks. A file with any [[endpoint]] replaces the whole list.
    std::vector<EndpointConfig> endpoints;
    // [[channel]] rules. A file with any [[channel]] (or channel = []) replaces
    // the whole list.
    std::vector<ChannelRuleConfig> channels;
};

// The text of default.toml, compiled into the binary.
std::string_view default_config_toml();

// Parses `text` and applies every key it sets onto cfg, in the order of the
// text. `source` names the text in messages ("/etc/ringcast/ringcast.toml").
// Every value that cannot be taken (a wrong type or range, an unknown key or
// section, a syntax error) is a problem naming the file, line and key; that key
// keeps its previous value and the others are applied. Records where the text
// sets each key, so that rule problems found later are put in the file's order.
// False if it added a problem.
bool apply_config_text(Config& cfg, std::string_view text, const std::string& source,
                       ConfigProblems* problems);
// The same, all or nothing: cfg is changed only if the whole text is good;
// otherwise *error lists the problems in the order of the text.
bool apply_config_text(Config& cfg, std::string_view text, const std::string& source,
                       std::string* error);

// Embedded defaults, then the file at `path` if non-empty (a file that cannot
// be read is a problem).
bool load_config(Config& cfg, const std::string& path, ConfigProblems* problems);
bool load_config(Config& cfg, const std::string& path, std::string* error);

// Checks rules that involve several keys; each broken rule is a problem naming
// the keys (endpoints by their path). Rules that read a key which had a problem
// of its own are not judged, nor any when the file could not be read to its end.
// Key files are not opened here: see read_key_file and read_api_key_file.
// An endpoint that requires authentication while [auth] algorithm is empty is an
// error, unless it is one of the built-in endpoints as shipped (those answer 401
// until [auth] is configured), so that the printed defaults validate as a file.
bool validate_config(const Config& cfg, ConfigProblems* problems);
// The same; *error lists the broken rules in the order they were checked.
bool validate_config(const Config& cfg, std::string* error);

// Reads the file named by auth.secret_file or auth.public_key_file (the path as
// given, relative to the working directory) into *out, minus one trailing line
// ending ("\n" or "\r\n"), so that `echo "$SECRET" > file` gives the secret itself
// (PEM parsers do not need the final newline). False with a message naming the
// file, never its content, when it cannot be read, is not a regular file, is empty
// or is larger than 1 MiB. The caller checks an HS256 secret against
// kMinHs256SecretBytes.
bool read_key_file(const std::string& path, std::string* out, std::string* error);

// Reads publish.api_key_file (the path as given, relative to the working
// directory) and adds the keys it holds to cfg.publish_api_keys (a key already
// there is not added twice). The file holds one key per line; surrounding
// blanks, empty lines and lines starting with '#' are ignored. False with a
// message naming the file (and the line, never a key) when it cannot be read,
// is not a regular file, is larger than 1 MiB, holds no key, or holds a key
// that is not visible ASCII. Does nothing when the setting is "".
bool read_api_key_file(Config& cfg, std::string* error);

// "30s" / 30000 -> 30000 ms; "1MiB" / 1048576 -> bytes. Exposed for tests.
bool parse_duration_ms(std::string_view text, uint64_t* ms);
bool parse_size_bytes(std::string_view text, uint64_t* bytes);

}  // namespace ringcast

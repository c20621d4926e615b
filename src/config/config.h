#pragma once
// The daemon's configuration: the embedded defaults (default.toml), then the
// operator's file, then command-line flags, each layer overriding the last.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast {

struct Config {
    // [server]
    std::string http;
    unsigned shards = 0;
    std::string data_dir;
    std::string log_level;
    std::string accept;
    uint32_t listen_backlog = 0;
    std::string unix_path;
    std::string unix_mode;
    std::string unix_group;
    uint64_t max_connections = 0;
    uint64_t retry_after_ms = 0;
    uint64_t shutdown_timeout_ms = 0;
    // [http]
    uint64_t max_request_target = 0;
    uint64_t max_header_bytes = 0;
    uint32_t max_headers = 0;
    uint64_t max_body = 0;
    uint64_t request_timeout_ms = 0;
    uint64_t keepalive_timeout_ms = 0;
    // [sse]
    uint64_t heartbeat_interval_ms = 0;
    std::string heartbeat_format;
    uint64_t retry_ms = 0;
    std::vector<std::string> default_channels;
    uint32_t max_channels_per_stream = 0;
    // [publish]
    uint64_t publish_max_line = 0;
    uint64_t publish_max_reply_backlog = 0;
    uint32_t publish_max_pending = 0;
    std::vector<uint32_t> publish_allow_uids;
    std::vector<uint32_t> publish_allow_gids;
    // [delivery]
    uint64_t max_queue = 0;
    uint64_t write_timeout_ms = 0;
    // [engine]
    uint32_t sq_entries = 0;
    uint32_t cq_entries = 0;
    uint32_t recv_buffers = 0;
    uint64_t recv_buffer_size = 0;
    uint32_t mesh_ring_capacity = 0;
    uint32_t connections_per_shard = 0;
};

// The text of default.toml, compiled into the binary.
std::string_view default_config_toml();

// Parses `text` and applies every key it sets onto cfg. `source` names the text
// in messages ("/etc/ringcast/ringcast.toml"). Returns false with a message
// naming the file, line and key on any error, unknown keys included.
bool apply_config_text(Config& cfg, std::string_view text, const std::string& source,
                       std::string* error);

// Embedded defaults, then the file at `path` if non-empty.
bool load_config(Config& cfg, const std::string& path, std::string* error);

// Checks rules that involve several keys or the environment; false with a message.
bool validate_config(const Config& cfg, std::string* error);

// "30s" / 30000 -> 30000 ms; "1MiB" / 1048576 -> bytes. Exposed for tests.
bool parse_duration_ms(std::string_view text, uint64_t* ms);
bool parse_size_bytes(std::string_view text, uint64_t* bytes);

}  // namespace ringcast

#include "server/options.h"

#include <algorithm>

namespace ringcast {

ShardOptions shard_options(const Config& cfg, unsigned direct_files) {
    ShardOptions o;
    o.reactor.ring.sq_entries = cfg.sq_entries;
    o.reactor.ring.cq_entries = cfg.cq_entries;
    o.reactor.recv_buffers = cfg.recv_buffers;
    o.reactor.recv_buffer_size = unsigned(cfg.recv_buffer_size);
    o.reactor.direct_files = direct_files;

    o.transport.max_queue_bytes = cfg.max_queue;
    o.transport.write_timeout_ms = uint32_t(cfg.write_timeout_ms);
    // Each send yields one completion; half the CQ leaves room for receives,
    // accepts and closes arriving in the same batch.
    o.transport.max_inflight_sends = std::max<uint32_t>(64, cfg.cq_entries / 2);
    o.transport.handoff = cfg.accept == "handoff";

    o.http.limits.max_target = uint32_t(cfg.max_request_target);
    o.http.limits.max_header_bytes = uint32_t(cfg.max_header_bytes);
    o.http.limits.max_headers = cfg.max_headers;
    o.http.limits.max_body = cfg.max_body;
    o.http.request_timeout_ms = uint32_t(cfg.request_timeout_ms);
    o.http.keepalive_timeout_ms = uint32_t(cfg.keepalive_timeout_ms);
    o.http.heartbeat_interval_ms = uint32_t(cfg.heartbeat_interval_ms);
    o.http.heartbeat_as_comment = cfg.heartbeat_format == "comment";
    o.http.retry_ms = uint32_t(cfg.retry_ms);
    o.http.default_channels = cfg.default_channels;
    o.http.max_channels_per_stream = cfg.max_channels_per_stream;
    o.http.retry_after_s = uint32_t((cfg.retry_after_ms + 999) / 1000);

    o.publish.max_line = cfg.publish_max_line;
    o.publish.max_reply_backlog = cfg.publish_max_reply_backlog;
    o.publish.max_pending = cfg.publish_max_pending;
    o.publish.allow_uids = cfg.publish_allow_uids;
    o.publish.allow_gids = cfg.publish_allow_gids;

    o.shutdown_timeout_ms = cfg.shutdown_timeout_ms;
    return o;
}

}  // namespace ringcast

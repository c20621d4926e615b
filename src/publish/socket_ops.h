#pragma once
// The operations of the socket protocol on one shard, one line each: publish (one
// message or a batch, through the publish flow shared with HTTP, with this
// connection's own publish.rate_limit: socket_publish.cc), and stats, invalidate,
// the directory's queries and stream tokens (socket_queries.cc), and the alerts
// API (socket_alerts.cc). PublishServer
// reads the lines and hands each request here; answers that need other shards
// come back by connection handle into the reply slot their request reserved.
#include <cstdint>
#include <string>

#include <simdjson.h>

#include "alerts/alert_options.h"
#include "alerts/alert_service.h"
#include "auth/stream_token.h"
#include "ops/directory.h"
#include "ops/publish_flow.h"
#include "ops/stats.h"
#include "publish/publish_request.h"
#include "pubsub/hub.h"

namespace ringcast {

class PublishServer;
class PublishConnection;

class SocketOps {
public:
    // publish.rate_limit, counted per connection (no messages); max 0: off.
    struct Rate {
        uint64_t max = 0;
        uint64_t window_ms = 0;
    };

    SocketOps(PublishServer& server, Reactor& reactor, Hub& hub, StatsCollector& stats,
              Directory& directory, PublishFlow& flow, Rate rate,
              std::shared_ptr<const StreamTokenSigner> signer, const AlertOptions& alerts,
              uint64_t started_ms);
    SocketOps(const SocketOps&) = delete;
    SocketOps& operator=(const SocketOps&) = delete;
    // A reload: publish.rate_limit and the token key (auth.token_key_file).
    void apply(Rate rate, std::shared_ptr<const StreamTokenSigner> signer) {
        _rate = rate;
        _signer = std::move(signer);
    }

    // socket_publish.cc
    void publish(PublishConnection& c, const SocketRequest& r, simdjson::dom::object obj);
    void publish_batch(PublishConnection& c, const SocketRequest& r, simdjson::dom::array messages);
    // socket_queries.cc
    // "cluster": true: every live node's summary (cluster/cluster_stats.h).
    void stats(PublishConnection& c, const SocketRequest& r, simdjson::dom::object obj);
    void invalidate(PublishConnection& c, const SocketRequest& r, simdjson::dom::object obj);
    void directory(PublishConnection& c, const SocketRequest& r, simdjson::dom::object obj);
    // A stream token signed here (auth/stream_token.h), at once.
    void issue_token(PublishConnection& c, const SocketRequest& r, simdjson::dom::object obj);
    // The daemon's log level: read, or changed at once (ops/log_level_request.h).
    void log_level(PublishConnection& c, const SocketRequest& r, simdjson::dom::object obj);
    // socket_alerts.cc: alerts.list, get, create, update, patch, delete, preview
    // and refresh, as the HTTP alerts API does them (docs/alerts.md).
    static bool is_alert_op(std::string_view op);
    void alerts(PublishConnection& c, const SocketRequest& r, std::string_view op,
                simdjson::dom::object obj);

private:
    // publish.rate_limit on this connection: counts one publish, or says when to retry.
    bool over_rate(PublishConnection& c, uint64_t* retry_ms);
    std::string rate_message() const;
    // socket_alerts.cc
    void alerts_list(PublishConnection& c, const SocketRequest& r, simdjson::dom::object obj);
    void alert_get(PublishConnection& c, const SocketRequest& r, uint64_t id);
    void alerts_preview(PublishConnection& c, const SocketRequest& r, simdjson::dom::object alert);
    void change_alert(PublishConnection& c, const SocketRequest& r, AlertRequest request);

    PublishServer& _server;
    Reactor& _reactor;
    Hub& _hub;
    StatsCollector& _stats;
    Directory& _directory;
    PublishFlow& _flow;
    Rate _rate;
    std::shared_ptr<const StreamTokenSigner> _signer;
    const AlertOptions& _alerts;
    uint64_t _started_ms;
};

}  // namespace ringcast

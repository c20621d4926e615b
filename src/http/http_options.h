#pragma once
// What the HTTP side of a shard is configured with ([http], [sse], [auth],
// [[endpoint]], [[channel]], [cors], [publish]'s API keys, [web]), mapped by the daemon
// (src/server/options.cc).
#include <cstdint>
#include <memory>
#include <vector>

#include "alerts/alert_options.h"
#include "auth/stream_token.h"
#include "auth/token_verifier.h"
#include "http/api_auth.h"
#include "http/channel_rules.h"
#include "http/client_address.h"
#include "http/cors.h"
#include "http/endpoint.h"
#include "http/request_parser.h"
#include "http2/h2_options.h"
#include "web/web_pages.h"

namespace ringcast {

// [metrics]: who may read /metrics and /healthz/ready on the main listener, and
// how long the readiness probe waits for the shards.
struct MetricsHttpOptions {
    bool open = false;
    uint64_t ready_timeout_ms = 2000;
};

struct HttpOptions {
    HttpLimits limits;
    uint32_t request_timeout_ms = 10'000;    // a request must arrive completely within this
    uint32_t keepalive_timeout_ms = 60'000;  // idle keep-alive connections are closed after this
    bool heartbeat_as_comment = false;       // ": heartbeat" instead of a named event
    uint32_t retry_ms = 1000;                // EventSource reconnection hint
    std::vector<EndpointOptions> endpoints;  // the SSE endpoints ([[endpoint]])
    ChannelRules channel_rules;              // who may subscribe to what ([[channel]])
    std::shared_ptr<const TokenVerifier> verifier;    // shared by every shard (verify() is const)
    std::shared_ptr<const StreamTokenSigner> signer;  // POST /api/tokens; nullptr: off
    ApiAuthOptions api;                               // who may publish and read stats
    AlertOptions alerts;  // the alerts API and the `alerts` event of connecting streams
    CorsOptions cors;
    // http.trusted_proxies and the header they write: who a request's client is.
    TrustedProxies proxies;
    uint32_t max_channels_per_stream = 32;
    bool cache_enabled = true;              // persistent events are kept for new streams ([cache])
    uint64_t catch_up_max_bytes = 1 << 20;  // what a stream gets before going live, at most
    uint32_t retry_after_s = 5;             // for 503 answers
    WebOptions web;                         // the pages ([web]): web/web_pages.h
    MetricsHttpOptions metrics;             // [metrics]
    H2Options http2;                        // [http2]
};

}  // namespace ringcast

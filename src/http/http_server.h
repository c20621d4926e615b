#pragma once
// The HTTP side of one shard: parses requests on each connection, routes them,
// and turns GET /api/sse/stream into a long-lived event stream.
//
// A connection is in one of these modes:
//   reading   - parsing a request (deadline: request timeout, then keep-alive idle)
//   waiting   - the request needs other shards (publish, stats); later bytes are
//               held back until the reply is queued, so pipelined replies stay in order
//   streaming - an SSE stream: subscribed to channels, heartbeats on a timer,
//               anything the client sends is ignored
// The parser and request buffers exist only while a request is in progress, so an
// idle stream holds none of them.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

#include "auth/stream_token.h"
#include "auth/token_verifier.h"
#include "http/api_auth.h"
#include "http/channel_rules.h"
#include "http/client_address.h"
#include "http/cors.h"
#include "http/endpoint.h"
#include "http/request_parser.h"
#include "http/router.h"
#include "http/stream_admission.h"
#include "http/stream_limit.h"
#include "net/transport.h"
#include "ops/directory.h"
#include "ops/limiter.h"
#include "ops/publish_flow.h"
#include "ops/stats.h"
#include "pubsub/audience.h"
#include "pubsub/channel_index.h"
#include "pubsub/hub.h"
#include "pubsub/message.h"

namespace ringcast {

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
    CorsOptions cors;
    // http.trusted_proxies and the header they write: who a request's client is.
    TrustedProxies proxies;
    uint32_t max_channels_per_stream = 32;
    bool cache_enabled = true;              // persistent events are kept for new streams ([cache])
    uint64_t catch_up_max_bytes = 1 << 20;  // what a stream gets before going live, at most
    uint32_t retry_after_s = 5;             // for 503 answers
};

// What only some streams need, off the connection so that an anonymous stream
// without limits stays in a smaller allocation class.
struct StreamExtras {
    Identity identity;  // an authenticated stream's (else the stream is kAnonymous)
    bool authenticated = false;
    // The stream's lifetime is its token's (exp + auth.leeway, sooner than the
    // endpoint's connection_timeout): at its end the client is told why.
    bool ends_with_token = false;
    // Limiter keys this stream holds an open count under (released on close).
    std::vector<std::string> limit_holds;
    // The client a trusted proxy named, when it is not the peer itself (else
    // empty). Here, not in HttpConnection, which has no byte to spare: a stream
    // behind a proxy pays for this allocation (160 bytes with mimalloc, the
    // class an authenticated stream's extras are in already).
    PeerAddress client;
};

class HttpConnection : public Connection {
public:
    enum class Mode : uint8_t { reading, waiting, streaming };

private:
    friend class HttpServer;
    std::unique_ptr<RequestParser> _parser;
    std::unique_ptr<std::string> _held;          // bytes that arrived while waiting
    Member _member;                              // identity and subscriptions, once streaming
    std::unique_ptr<StreamExtras> _extras;       // identity, limiter holds: when needed
    const EndpointOptions* _endpoint = nullptr;  // a stream's endpoint
    uint64_t _stream_started_ms = 0;
    Mode _mode = Mode::reading;
    bool _sent_continue = false;
    bool _close_after_reply = false;
    // Endpoint lifetime or token expiry, from _stream_started_ms; 0: none. 32 bits
    // (49 days at most) keep it in the padding after the flags: the connection
    // stays within 256 bytes, mimalloc's size class below 320.
    uint32_t _lifetime_ms = 0;
};

class HttpServer : public ConnectionHandler, public StreamCatalog {
public:
    // `protocol` is the id the transport knows this server's connections by.
    HttpServer(Reactor& reactor, Transport& transport, ChannelIndex& index, Audience& audience,
               Limiter& limiter, Hub& hub, StatsCollector& stats, Directory& directory,
               PublishFlow& flow, StreamLimit& streams, const HttpOptions& opts,
               uint64_t started_ms, uint8_t protocol);
    ~HttpServer() override;

    // ConnectionHandler
    Connection* create_connection() override;
    void destroy_connection(Connection* c) override;
    void on_open(Connection& c) override;
    void on_data(Connection& c, const char* data, size_t len) override;
    void on_drained(Connection& c) override;
    void on_peer_eof(Connection& c) override;
    void on_deadline(Connection& c, uint64_t now_ms) override;
    void on_closed(Connection& c) override;
    // What slow readers lose (slow_readers.cc).
    void on_frames_dropped(Connection& c, std::span<LocalFrame* const> frames,
                           DropReason why) override;
    void on_slow_reader_closed(Connection& c, SlowReaderClose why, uint64_t queued) override;

    // Graceful shutdown: new requests get 503, streams are flushed and closed.
    void begin_shutdown();

    // StreamCatalog
    bool describe(const Connection& c, JsonWriter& w) const override;
    std::string_view user_of(const Connection& c) const override;
    // Number of SSE streams on this shard (read by stats).
    const uint64_t& stream_count() const { return _streams; }
    const RefusalStats& refusals() const { return _refused; }
    const CatchUpStats& catch_ups() const { return _catch_up_stats; }
    const QueueLossStats& queue_losses() const { return _losses; }

private:
    void process_input(HttpConnection& c, const char* data, size_t len);
    void handle_request(HttpConnection& c, HttpRequest& req);
    void finish_request(HttpConnection& c);
    void reply(HttpConnection& c, std::string response);
    void reply_error(HttpConnection& c, int status, std::string_view message, bool close);
    // Whether the answer to c's request keeps the connection: the one decision
    // every reply's Connection header and the close after it follow.
    bool keeps_alive(const HttpConnection& c) const;
    // The connection a later answer is for, if it is still open.
    HttpConnection* alive(ConnectionHandle h) const;

    struct PendingOpen;
    void open_stream(HttpConnection& c, HttpRequest& req, const EndpointOptions& ep);
    // After every check: subscribes, sends the handshake, starts the heartbeat.
    void start_stream(HttpConnection& c, const EndpointOptions& ep, StreamAdmission& a,
                      std::string_view origin);
    void on_limit_answer(ConnectionHandle h, PendingOpen& p, std::vector<LimitVerdict>& verdicts);
    // Subscribes the stream to the channels it holds, and lists it under its user.
    void go_live(Member& m, const std::vector<Channel*>& held);
    void on_catch_up_answer(CatchUpWaiter& w);
    // Queues what a stream gets before it goes live: a history-gap refresh, the
    // events meant for it, and the log's position.
    void queue_catch_up(HttpConnection& c, CatchUpWaiter& w);
    void count_refusal(int status);
    void refuse(HttpConnection& c, const Refusal& r);
    // When a stream's next heartbeat is due, or its lifetime ends if sooner.
    uint64_t stream_deadline(const HttpConnection& c, uint64_t now_ms) const;
    // `publisher`: the limiter key of who publishes ("" when unknown).
    void start_publish(HttpConnection& c, HttpRequest& req, std::string publisher);
    void start_batch(HttpConnection& c, simdjson::dom::object obj, const std::string& publisher);
    void start_stats(HttpConnection& c);
    // api_queries.cc: GET /api/ping, POST /api/tokens, and the directory's
    // GET /api/connections/{id}, GET /api/users/{userId}, POST /api/disconnect.
    void answer_ping(HttpConnection& c);
    void issue_token(HttpConnection& c, HttpRequest& req);
    void start_directory(HttpConnection& c, HttpRequest& req, Route route, std::string_view name);
    // The request body as a JSON object; otherwise a 400 (reason invalid_json) is
    // answered and false returned.
    bool body_object(HttpConnection& c, const HttpRequest& req, simdjson::dom::object* out);
    // 400 bad_request with the socket protocol's code as its reason
    // (invalid_json, invalid_field), so both protocols name a mistake alike.
    void reply_bad_request(HttpConnection& c, std::string_view reason, std::string_view message);
    void start_invalidate(HttpConnection& c, HttpRequest& req);
    void send_heartbeat(HttpConnection& c);
    // The `token-expired` event a stream gets when its token ends it.
    void send_token_expired(HttpConnection& c);
    LocalFrame* heartbeat_frame();

    // A request that waited for other shards is answered: the reply, then the
    // next pipelined request, if one arrived meanwhile.
    void complete_async(HttpConnection& c, std::string response);
    // The same for an answer that comes back by handle: nothing if c is gone.
    void complete_async(ConnectionHandle h,
                        const std::function<std::string(HttpConnection&)>& answer);
    // c waits for other shards: nothing more is parsed or timed out meanwhile.
    void wait_for_answer(HttpConnection& c);

    std::string connection_id(const Connection& c) const;
    // The client of the request being handled on c (each request of a proxy's
    // keep-alive connection may come from another), or of the stream c carries:
    // the peer, or the address a trusted proxy's header names (client_address.h).
    PeerAddress client_of(const HttpConnection& c) const;
    // Once per shard: a request carrying the forwarding header from a peer that
    // is not a trusted proxy (a proxy missing from http.trusted_proxies?).
    void note_untrusted_forwarding(const HttpConnection& c, const HttpRequest& req);

    Reactor& _reactor;
    Transport& _transport;
    ChannelIndex& _index;
    Audience& _audience;
    Limiter& _limiter;
    Hub& _hub;
    StatsCollector& _stats;
    Directory& _directory;
    PublishFlow& _flow;
    StreamLimit& _limit;
    HttpOptions _opts;
    uint64_t _started_ms;
    uint8_t _protocol;
    simdjson::dom::parser _json;
    uint64_t _streams = 0;
    RefusalStats _refused;
    CatchUpStats _catch_up_stats;
    QueueLossStats _losses;
    bool _shutting_down = false;
    bool _untrusted_forwarding_noted = false;
    LocalFrame* _heartbeat = nullptr;  // shared by every stream whose beat falls in the same ms
    int64_t _heartbeat_ms = -1;
};

}  // namespace ringcast

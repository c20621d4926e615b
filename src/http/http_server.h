#pragma once
// The HTTP side of one shard: reads and parses requests on each connection,
// routes them — a GET on an endpoint to the streams (sse_streams.h), an API
// route to the API (api_requests.h), a page's path to the pages
// (web/web_pages.h) — and writes every answer, with the one
// keep-alive decision (keeps_alive()) they all follow. The modes a connection
// goes through are in http_connection.h.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/api_requests.h"
#include "http/http_connection.h"
#include "http/http_options.h"
#include "http/sse_streams.h"
#include "http/stream_admission.h"
#include "http/stream_export.h"
#include "http/stream_limit.h"
#include "http2/h2_session.h"
#include "net/transport.h"
#include "ops/directory.h"
#include "ops/limiter.h"
#include "ops/publish_flow.h"
#include "ops/stats.h"
#include "pubsub/audience.h"
#include "pubsub/channel_index.h"
#include "pubsub/hub.h"
#include "web/web_pages.h"

namespace ringcast {

class HttpServer : public ConnectionHandler {
public:
    // `protocol` is the id the transport knows this server's connections by;
    // `worker` reads the pages of a web root ([web] root).
    HttpServer(Reactor& reactor, Transport& transport, ChannelIndex& index, Audience& audience,
               Limiter& limiter, Hub& hub, StatsCollector& stats, Directory& directory,
               PublishFlow& flow, StreamLimit& streams, BlockingWorker& worker,
               const HttpOptions& opts, uint64_t started_ms, uint8_t protocol);
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
    void on_frames_dropped(Connection& c, std::span<LocalFrame* const> frames,
                           DropReason why) override;
    void on_slow_reader_closed(Connection& c, SlowReaderClose why, uint64_t queued) override;

    // Graceful shutdown: new requests get 503, streams are flushed and closed.
    void begin_shutdown();
    // A reload (server/reload.h): every option, for the next request and
    // stream; open streams follow their endpoint's new options.
    void apply(const HttpOptions& next);
    // Connections of transport protocol `id` came through the metrics listener
    // ([metrics] listen): they may ask only /metrics and /healthz/*, without credentials.
    void serve_metrics_listener(uint8_t id) { _metrics_protocol = id; }
    bool on_metrics_listener(const HttpConnection& c) const {
        return c.protocol() == _metrics_protocol;
    }
    // A waiting request's own deadline (the readiness probe's timeout).
    void set_waiting_deadline(HttpConnection& c, uint64_t at_ms) {
        _transport.set_deadline(c, at_ms);
    }
    // An upgrade (http/stream_export.h): as begin_shutdown(), except that the
    // streams stay open to be handed over by handover().begin().
    void begin_handover();
    StreamExport& handover() { return _export; }
    void on_fd_installed(Connection& c, int fd) override;
    // A stream handed over by the daemon this one replaces, on connection c
    // (just opened for its socket); one that cannot be served here ends with
    // a retry, and its client reconnects.
    void adopt_stream(Connection& c, const HandedStream& s, const std::string& resume_id);

    SseStreams& streams() { return _streams; }
    // HTTP/2: connections and streams (http2/h2_options.h).
    const H2Stats& h2_stats() const { return _h2_stats; }
    const RefusalStats& refusals() const { return _refused; }
    uint8_t protocol() const { return _protocol; }

    // --- answering: for the streams and the API ---------------------------------
    // Queues a response (with the CORS headers an allowed Origin gets).
    void reply(HttpConnection& c, std::string response);
    // An error answer; `close` ends the connection after it (lingering: the rest
    // of a request it could not read may still come).
    void reply_error(HttpConnection& c, int status, std::string_view message, bool close);
    // A refusal: 401 (with its challenge), 403, 400, 429, 503, counted.
    // Answers the refusal and logs it as a `what` event (core/log_event.h).
    void refuse(HttpConnection& c, const Refusal& r, std::string_view what = "request refused");
    void count_refusal(int status);
    // The reply for the current request is queued: close, or get ready for the next.
    void finish_request(HttpConnection& c);
    // Whether the answer to c's request keeps the connection: the one decision
    // every reply's Connection header and the close after it follow.
    bool keeps_alive(const HttpConnection& c) const;
    // c waits for other shards: nothing more is parsed or timed out meanwhile.
    void wait_for_answer(HttpConnection& c);
    // A request that waited is answered: the reply, then the next pipelined
    // request, if one arrived meanwhile.
    void complete_async(HttpConnection& c, std::string response);
    // The same for an answer that comes back by handle: nothing if c is gone.
    void complete_async(ConnectionHandle h,
                        const std::function<std::string(HttpConnection&)>& answer);
    // The connection a later answer is for, if it is still open.
    HttpConnection* alive(ConnectionHandle h) const;
    // The client of the request being handled on c (each request of a proxy's
    // keep-alive connection may come from another), or of the stream c carries:
    // the peer, or the address a trusted proxy's header names (client_address.h).
    PeerAddress client_of(const HttpConnection& c) const;
    std::string connection_id(const Connection& c) const;
    bool shutting_down() const { return _shutting_down; }

private:
    // The access log line of an answered API request ([log] access).
    void log_request(const HttpConnection& c, std::string_view response) const;
    void process_input(HttpConnection& c, const char* data, size_t len);
    void handle_request(HttpConnection& c, HttpRequest& req);
    // A path of the pages: answered at once from the embedded files, or once
    // the worker has read it from the web root.
    void serve_page(HttpConnection& c, HttpRequest& req, const WebPath& path);
    // Once per shard: a request carrying the forwarding header from a peer that
    // is not a trusted proxy (a proxy missing from http.trusted_proxies?).
    void note_untrusted_forwarding(const HttpConnection& c, const HttpRequest& req);
    // c's first bytes are (a part of) the HTTP/2 client preface: true if they
    // were taken (c is an HTTP/2 connection now, or waits for the rest).
    bool take_h2_preface(HttpConnection& c, const char* data, size_t len);
    H2Session* h2_session(const Connection& c) const;

    Reactor& _reactor;
    Transport& _transport;
    HttpOptions _opts;
    uint8_t _protocol;
    uint8_t _metrics_protocol = 0xff;  // none until serve_metrics_listener()
    RefusalStats _refused;
    SseStreams _streams;
    ApiRequests _api;
    WebPages _web;
    StreamExport _export;
    // The HTTP/2 connections' sessions, by serial: a connection in Mode::h2
    // has one; an HTTP/1.1 connection pays nothing for it.
    std::unordered_map<uint64_t, std::unique_ptr<H2Session>> _h2;
    H2Stats _h2_stats;
    bool _shutting_down = false;
    bool _untrusted_forwarding_noted = false;
};

}  // namespace ringcast

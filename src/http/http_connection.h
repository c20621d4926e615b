#pragma once
// One HTTP connection as the HTTP side keeps it: the transport's Connection plus
// what a request in progress or a stream needs. It is the per-connection memory
// of an idle stream, so it is kept small (static_asserts in http_server.cc).
//
// A connection is in one of these modes:
//   reading   - parsing a request (deadline: request timeout, then keep-alive idle)
//   waiting   - the request needs other shards (publish, stats); later bytes are
//               held back until the reply is queued, so pipelined replies stay in order
//   streaming - an SSE stream: subscribed to channels, heartbeats on a timer,
//               anything the client sends is ignored
//   h2        - an HTTP/2 connection (it sent the client preface): its bytes go
//               to its session (http2/h2_session.h), whose streams are
//               connections of their own (virtual ones, net/mux_host.h)
// The parser and request buffers exist only while a request is in progress, so an
// idle stream holds none of them.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http/endpoint.h"
#include "http/request_parser.h"
#include "net/connection.h"
#include "net/peer_address.h"
#include "pubsub/audience.h"

namespace ringcast {

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
    enum class Mode : uint8_t { reading, waiting, streaming, h2 };
    // Why a stream ended, for its log lines: set where the end is decided.
    // `other`: a network error, the write timeout, a disconnect request.
    enum class End : uint8_t { other, client, lifetime, token_expired, slow_reader, shutdown };

    // A stream's subscriptions, if it was never closed (SseStreams::on_closed
    // frees them): a shard stopped without a drain (Transport::destroy_all).
    ~HttpConnection() { delete[] _member.subs; }

private:
    // The three parts of the HTTP side: parsing and replies, streams, the API.
    friend class HttpServer;
    friend class SseStreams;
    friend class ApiRequests;
    std::unique_ptr<RequestParser> _parser;
    std::unique_ptr<std::string> _held;          // bytes that arrived while waiting
    Member _member;                              // identity and subscriptions, once streaming
    std::unique_ptr<StreamExtras> _extras;       // identity, limiter holds: when needed
    const EndpointOptions* _endpoint = nullptr;  // a stream's endpoint
    uint64_t _stream_started_ms = 0;
    Mode _mode = Mode::reading;
    bool _sent_continue = false;
    bool _close_after_reply = false;
    End _end = End::other;  // in the padding before _lifetime_ms
    // Endpoint lifetime or token expiry, from _stream_started_ms; 0: none. 32 bits
    // (49 days at most) keep it in the padding after the flags: the connection
    // stays within 256 bytes, mimalloc's size class below 320.
    uint32_t _lifetime_ms = 0;
};

}  // namespace ringcast

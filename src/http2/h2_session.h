#pragma once
// One HTTP/2 connection (h2c with prior knowledge today; h2 by ALPN once TLS
// carries it): an nghttp2 server session over the connection's bytes, whose
// streams are virtual connections of the transport (net/mux_host.h) that the
// HTTP layer serves as it serves any connection.
//
// In: each stream's HEADERS and DATA become the HTTP/1.1 request bytes of its
// virtual connection (request_translation.h), read by the HTTP layer's own
// on_data(). Out: the first bytes the HTTP layer queues on a stream are its
// HTTP/1.1 response head (response_head.h), sent as HEADERS; the rest is the
// body, moved into this connection's queue behind one 9-byte DATA frame
// header per frame (nghttp2's NO_COPY DATA): a fanned-out event costs each
// stream a header, its bytes stay shared. A body with a Content-Length ends
// the stream when that many bytes have gone; an SSE stream ends when the HTTP
// layer closes its connection (END_STREAM after a drain, RST_STREAM if
// queued bytes were lost). What the peer's window or this connection's queue
// bound (H2Options::connection_queue) holds back stays in the stream's queue,
// where the slow-reader policy applies to it as to any reader.
//
// Every callback that can reach the HTTP layer (on_data of a stream) or the
// transport (closes) is deferred there to the end of the turn, so nothing
// re-enters nghttp2 while it runs.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/reactor.h"
#include "http2/h2_options.h"
#include "http2/request_translation.h"
#include "http2/response_head.h"
#include "net/transport.h"

struct nghttp2_session;

namespace ringcast {

class H2Session final : public MuxHost {
public:
    // parent: the connection that sent the client preface; its streams are
    // connections of `child_protocol`, handled by `children`.
    H2Session(Reactor& reactor, Transport& transport, ConnectionHandler& children,
              uint8_t child_protocol, Connection& parent, const H2Options& opts, H2Stats& stats,
              uint64_t idle_ms);
    ~H2Session() override;
    H2Session(const H2Session&) = delete;
    H2Session& operator=(const H2Session&) = delete;

    // The parent's events, forwarded by its protocol handler.
    void on_data(const char* data, size_t len);
    void on_drained();
    void on_peer_eof();
    void on_deadline();
    // The parent is closing: every stream goes with it.
    void on_closed();
    // Drain, reload, upgrade: GOAWAY (no new streams); the connection closes
    // once its last stream has ended.
    void shutdown();

    size_t stream_count() const { return _streams.size(); }

    // MuxHost
    void child_ready(Connection& child) override;
    void child_closed(Connection& child, bool clean) override;

private:
    struct Stream;
    friend struct H2Callbacks;

    Stream* stream(int32_t id) const;
    // Writes what nghttp2 has to send; closes the connection when it is done.
    void send();
    void flush_pending();
    void maybe_close();
    void fail(int error, const char* where);
    // The child's response head, read from the front of its queue.
    bool read_head(Stream& s);
    void submit_head(Stream& s);
    void end_stream(Stream& s, uint32_t error_code);
    void close_child(Stream& s);

    // nghttp2's callbacks, as members.
    int begin_headers(int32_t id);
    int header(int32_t id, std::string_view name, std::string_view value);
    int frame_received(int32_t id, uint8_t type, uint8_t flags);
    int data_chunk(int32_t id, const uint8_t* data, size_t len);
    int stream_closed(int32_t id, uint32_t error_code);
    long read_data(Stream& s, size_t length, uint32_t* flags);
    int send_data(Stream& s, const uint8_t* framehd, size_t length, uint8_t flags);
    void frame_sent(uint8_t type, uint32_t error_code);
    void deliver(Stream& s, const std::string& bytes);

    Reactor& _reactor;
    Transport& _transport;
    ConnectionHandler& _children;
    Connection& _parent;
    const H2Options _opts;
    H2Stats& _stats;
    const uint64_t _idle_ms;
    uint8_t _child_protocol;
    nghttp2_session* _session = nullptr;
    std::unordered_map<int32_t, std::unique_ptr<Stream>> _streams;
    std::unordered_map<uint64_t, Stream*> _by_child;  // by the child's serial
    std::string _pending;  // frames nghttp2 wrote, not yet in the parent's queue
    bool _sending = false;
    bool _blocked = false;  // a stream was held back by the connection's queue bound
    bool _closing = false;
    bool _idle = false;     // no stream: the keep-alive deadline runs
    bool _errored = false;  // closed for an error: counted and logged once
};

}  // namespace ringcast

#pragma once
// The Unix-socket publish protocol on one shard (docs/protocol.md).
//
// Each line is a JSON request. Requests answered at once (ping, errors) reply in
// place; those that need other shards (publish, stats, connection queries) reserve
// a reply slot and are answered when the last shard reports, in request order.
// Replies produced during a turn leave in one write per connection at the end of
// the turn (flush()).
//
// Backpressure: a connection whose unwritten replies exceed max_reply_backlog, or
// whose requests awaiting an answer exceed max_pending, stops being read until
// the client catches up; the kernel's socket buffer then pushes back on it. A
// client that never reads is disconnected by the transport's write timeout.
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

#include "alerts/alert_options.h"
#include "auth/stream_token.h"
#include "net/transport.h"
#include "ops/directory.h"
#include "ops/limiter.h"
#include "ops/publish_flow.h"
#include "ops/stats.h"
#include "publish/line_reader.h"
#include "publish/publish_request.h"
#include "publish/reply_queue.h"
#include "publish/socket_ops.h"
#include "pubsub/hub.h"
#include "pubsub/message.h"

namespace ringcast {

struct PublishOptions {
    size_t max_line = 1 << 20;
    size_t max_reply_backlog = 4u << 20;
    size_t max_pending = 65536;
    std::vector<uint32_t> allow_uids;  // empty (both): any process that can open the socket
    std::vector<uint32_t> allow_gids;
    // publish.rate_limit, counted per connection (no messages); rate_max 0: off.
    uint64_t rate_max = 0;
    uint64_t rate_window_ms = 0;
    // The "token" op (auth/stream_token.h); nullptr: stream tokens are off.
    std::shared_ptr<const StreamTokenSigner> signer;
    // [alerts]: whether the alerts.* ops are served, and the bounds of an alert.
    AlertOptions alerts;
};

class PublishConnection : public Connection {
private:
    friend class PublishServer;
    friend class SocketOps;
    explicit PublishConnection(size_t max_line) : _reader(max_line) {}

    LineReader _reader;
    ReplyQueue _replies;
    std::string _held;  // bytes that arrived while reading was stopped
    ucred _peer{0, uint32_t(-1), uint32_t(-1)};
    bool _peer_known = false;
    bool _stopped = false;  // not reading: too many replies waiting
    bool _dirty = false;    // on the flush list: has replies to write this turn
    bool _finish = false;   // close once every reply is written
    bool _linger = false;   // close lingering: input is left unread (Transport::close_lingering)
    bool _eof = false;      // the peer will send nothing more
    uint64_t _rate_start_ms = 0;  // publish.rate_limit: this connection's window
    uint64_t _rate_count = 0;
};

class PublishServer : public ConnectionHandler {
public:
    // `protocol` is the id the transport knows this server's connections by.
    PublishServer(Reactor& reactor, Transport& transport, Hub& hub, StatsCollector& stats,
                  Directory& directory, PublishFlow& flow, const PublishOptions& opts,
                  uint64_t started_ms, uint8_t protocol);
    ~PublishServer() override;

    // Writes the replies produced this turn (called before the transport flushes).
    void flush();
    // Graceful shutdown: in-flight requests are answered, new ones refused.
    void begin_shutdown();
    // A reload: every option; max_line applies to the connections made after it.
    void apply(const PublishOptions& next) {
        _opts = next;
        _ops.apply({next.rate_max, next.rate_window_ms}, next.signer);
    }
    // Requests refused here (rate_limited: publish.rate_limit, user_rate_limit).
    const RefusalStats& refusals() const { return _refused; }

    // ConnectionHandler
    Connection* create_connection() override;
    void destroy_connection(Connection* c) override;
    void on_open(Connection& c) override;
    void on_data(Connection& c, const char* data, size_t len) override;
    void on_drained(Connection& c) override;
    void on_peer_eof(Connection& c) override;
    void on_deadline(Connection&, uint64_t) override {}
    void on_closed(Connection& c) override;
    int peer_option() const override { return SO_PEERCRED; }
    void* peer_buffer(Connection& c, uint32_t* len) override;
    void on_peer(Connection& c, int result) override;

    // --- answering: for the ops (socket_ops.h) ---------------------------------
    // Replies. `body` holds the members after "ok" (",\"id\":..."), or is empty.
    void reply_ok(PublishConnection& c, const SocketRequest& r, std::string_view body);
    void reply_error(PublishConnection& c, const SocketRequest& r, std::string_view code,
                     std::string_view message);
    void reply_error_object(PublishConnection& c, const SocketRequest& r, std::string_view error);
    // A place among the replies for an answer that comes later: the request's,
    // or (no "req") a silent one that holds its error line if it fails.
    uint64_t reserve(PublishConnection& c, const SocketRequest& r);
    void mark_dirty(PublishConnection& c);
    // The connection a later answer is for, if it is still open.
    PublishConnection* alive(ConnectionHandle h) const;
    // A request refused by a rate limit, counted.
    void count_rate_limited() { ++_refused.rate_limited; }

private:
    void process(PublishConnection& c, const char* data, size_t len);
    // Everything the peer sent has been read: its unterminated last line, if
    // any, is a request like the others; then the connection finishes.
    void end_of_input(PublishConnection& c);
    // A line over publish.max_line: line_too_long, then close; nothing more is read.
    void refuse_long_line(PublishConnection& c);
    bool handle_line(PublishConnection& c, std::string_view line, uint64_t number);
    std::string ok_line(const SocketRequest& r, std::string_view body) const;

    Reactor& _reactor;
    Transport& _transport;
    PublishOptions _opts;
    RefusalStats _refused;
    simdjson::dom::parser _json;
    std::vector<ConnectionHandle> _dirty;  // connections with replies to write
    uint8_t _protocol;
    bool _shutting_down = false;
    SocketOps _ops;  // the ops a line asks for
};

}  // namespace ringcast

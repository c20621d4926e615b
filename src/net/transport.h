#pragma once
// Runs the socket side of one shard on its io_uring: multishot accept into direct
// descriptors, multishot receive into the shared provided buffers, batched sends
// of queued frames, timers and close. A protocol plugs in as a ConnectionHandler.
//
// Send path, in short: enqueue() appends a frame reference to the connection's
// queue and puts the connection on the shard's dirty list. Once per loop turn,
// flush() walks the dirty list and starts one send per connection that has none in
// flight, covering everything queued (one SEND for one frame, one SENDMSG with an
// iovec for several). When a send completes, fully written frames are released, a
// short write continues where it stopped, and anything queued meanwhile goes out in
// the next batch. A connection never has two sends in flight, so bytes leave in
// queue order.
//
// Closing is deferred to flush(): a protocol may close a connection while walking a
// list that contains it (a fan-out, say), and the list stays intact.
#include <cstdint>
#include <vector>

#include "core/reactor.h"
#include "net/connection.h"
#include "net/load_board.h"

namespace ringcast {

class ConnectionHandler {
public:
    virtual ~ConnectionHandler() = default;
    virtual Connection* create_connection() = 0;
    virtual void destroy_connection(Connection* c) = 0;
    virtual void on_open(Connection& c) = 0;
    // Bytes from the peer. The buffer is only valid during the call.
    virtual void on_data(Connection& c, const char* data, size_t len) = 0;
    // The output queue became empty.
    virtual void on_drained(Connection& c) = 0;
    // The peer closed its sending side (a half-close: it may still be waiting for
    // answers to what it sent). The protocol closes when it has answered.
    virtual void on_peer_eof(Connection& c) = 0;
    // The protocol deadline set with Transport::set_deadline() passed.
    virtual void on_deadline(Connection& c, uint64_t now_ms) = 0;
    // The connection is closing: drop every reference to it (subscriptions, ...).
    // No further callbacks follow except destroy_connection().
    virtual void on_closed(Connection& c) = 0;

    // Optional: a SOL_SOCKET option (SO_PEERCRED, say) the transport reads from a
    // new connection before on_open(), into peer_buffer(). on_peer() gets the
    // option's length, or -errno if the kernel could not read it.
    virtual int peer_option() const { return 0; }
    virtual void* peer_buffer(Connection&, uint32_t* len) {
        *len = 0;
        return nullptr;
    }
    virtual void on_peer(Connection&, int /*result*/) {}
};

struct TransportOptions {
    uint64_t max_queue_bytes = 4u << 20;  // unsent bytes per connection, then it is dropped
    uint32_t write_timeout_ms = 30'000;   // one send pending this long: the reader is gone
    uint32_t max_inflight_sends = 32768;  // per shard; keeps the CQ from overflowing
    bool handoff = false;                 // accepted connections go to the least-loaded shard
};

struct TransportStats {
    uint64_t accepted = 0;
    uint64_t handed_off = 0;
    uint64_t adopted = 0;
    uint64_t closed = 0;
    uint64_t sends = 0;
    uint64_t send_frames = 0;
    uint64_t bytes_sent = 0;
    uint64_t short_sends = 0;
    uint64_t dropped_slow = 0;     // queue over max_queue_bytes
    uint64_t dropped_stalled = 0;  // a send pending longer than write_timeout
    uint64_t recv_starved = 0;     // -ENOBUFS: provided buffers ran out
    uint64_t accept_errors = 0;
};

class Transport {
public:
    static constexpr unsigned kMaxIov = 64;

    static constexpr unsigned kMaxProtocols = 4;

    Transport(Reactor& reactor, LoadBoard& board, const TransportOptions& opts);
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // Who handles connections of protocol `id` (HTTP, the publish socket...).
    void set_protocol(uint8_t id, ConnectionHandler& handler) { _protocols[id] = &handler; }
    // Starts a multishot accept on a listening socket owned by this shard; its
    // connections speak `protocol`. With `balance`, each goes to the shard that
    // holds the fewest connections (TransportOptions::handoff decides for TCP).
    void add_listener(int fd, uint8_t protocol, bool balance);
    void stop_accepting();

    // Queues one frame for the connection (the queue becomes a user of lf).
    // Returns false, queueing nothing, if the connection is not open or its queue
    // would exceed max_queue_bytes; in the latter case the connection is dropped.
    bool enqueue(Connection& c, LocalFrame* lf);
    // Queues a private copy of `bytes` (responses, handshakes); its send starts
    // ahead of the fan-out sends of the same turn.
    bool send_copy(Connection& c, std::string_view bytes);

    // Closes the connection; with flush_first, what is queued is written first
    // (bounded by write_timeout).
    void close(Connection& c, bool flush_first);
    void set_deadline(Connection& c, uint64_t at_ms);
    void pause_reading(Connection& c);
    void resume_reading(Connection& c);

    // Reactor plumbing.
    void on_completion(const io_uring_cqe& cqe);
    void on_timer(TimerNode* node);
    void flush();
    bool has_pending_work() const {
        return (_dirty_head && _inflight_sends < _opts.max_inflight_sends) ||
               !_close_list.empty() || !_cancel_list.empty() || (_accept_retry && _accepting);
    }

    size_t connection_count() const { return _count; }
    const TransportStats& stats() const { return _stats; }
    template <typename F>
    void for_each_connection(F&& f) {
        for (Connection* c = _all; c;) {
            Connection* next = c->_next_all;
            f(*c);
            c = next;
        }
    }

private:
    struct Listener {
        int fd;
        bool armed;
        uint8_t protocol;
        bool balance;
    };

    void arm_accept(Listener* l);
    void on_accept(const io_uring_cqe& cqe);
    void handoff(uint32_t slot, unsigned target, uint8_t protocol);
    void adopt(uint32_t slot, uint8_t protocol);
    void open_connection(Connection& c);
    ConnectionHandler& handler(const Connection& c) const { return *_protocols[c._protocol]; }
    void arm_recv(Connection& c);
    void on_recv(Connection& c, const io_uring_cqe& cqe);
    void submit_send(Connection& c);
    void on_send(Connection& c, const io_uring_cqe& cqe);
    // urgent: start this connection's send before the others queued this turn.
    void mark_dirty(Connection& c, bool urgent = false);
    bool begin_close(Connection& c);
    void cancel_recv(Connection& c);
    void maybe_destroy(Connection& c);
    void reschedule_timer(Connection& c);

    Reactor& _reactor;
    LoadBoard& _board;
    ConnectionHandler* _protocols[kMaxProtocols] = {};
    TransportOptions _opts;
    TransportStats _stats;
    OutChunkPool _chunks;
    std::vector<SendOp*> _free_send_ops;
    std::vector<Listener*> _listeners;
    std::vector<Connection*> _close_list;
    std::vector<Connection*> _starved;
    std::vector<Connection*> _cancel_list;  // receive cancels waiting for an SQE
    Connection* _dirty_head = nullptr;
    Connection* _dirty_tail = nullptr;
    Connection* _all = nullptr;
    size_t _count = 0;
    uint64_t _next_serial = 1;
    uint32_t _inflight_sends = 0;
    bool _accepting = true;
    bool _accept_blocked = false;  // the direct-descriptor table was full
    bool _accept_retry = false;    // a listener needs (re-)arming at the end of the turn
};

}  // namespace ringcast

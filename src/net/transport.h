#pragma once
// Runs the socket side of one shard on its io_uring: accept into direct
// descriptors (learning each peer's address), multishot receive into the shared
// provided buffers, batched sends of queued frames, timers and close. A protocol
// plugs in as a ConnectionHandler.
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
#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "core/reactor.h"
#include "net/connection.h"
#include "net/load_board.h"
#include "net/queue_policy.h"

namespace ringcast {

struct SendOp;

// Why frames left a queue without being written (on_frames_dropped).
enum class DropReason : uint8_t {
    // Past delivery.queue_limit with slow_reader = "drop":
    compacted,  // a compaction of the queue dropped these, lowest priority first
    refused,    // the frame being queued, below everything queued, dropped alone
    expired,    // past their expiry before they started going out
};

// Why a connection is closed for falling behind (on_slow_reader_closed).
enum class SlowReaderClose : uint8_t {
    queue_limit,  // past delivery.queue_limit with slow_reader = "disconnect"
    max_queue,    // past delivery.max_queue, whatever the policy
};

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

    // Optional: frames removed from c's queue without being written, once per
    // removal (a compaction, a send that found expired frames at the front),
    // before they are released: lf->frame is still valid. c.queued_bytes() is
    // already what stays queued. May not close or queue on c.
    virtual void on_frames_dropped(Connection&, std::span<LocalFrame* const>, DropReason) {}
    // Optional: c is about to be closed for falling behind; `queued` counts the
    // bytes it held with the frame that took it over the limit.
    virtual void on_slow_reader_closed(Connection&, SlowReaderClose, uint64_t /*queued*/) {}
};

struct TransportOptions {
    QueueLimits queue;                   // unsent bytes per connection: soft, hard, policy
    uint32_t write_timeout_ms = 30'000;  // one send pending this long: the reader is gone
    // Bounds of a lingering close (close_lingering()): how long after shutting
    // down writing the peer has to close its side, and how many of its bytes are
    // discarded meanwhile; past either the connection is closed at once.
    uint32_t lingering_time_ms = 5'000;
    uint64_t lingering_bytes = 16u << 20;
    uint32_t max_inflight_sends = 32768;  // per shard; keeps the CQ from overflowing
    bool handoff = false;                 // accepted connections go to the least-loaded shard
};

struct TransportStats {
    uint64_t accepted = 0;
    uint64_t handed_off = 0;
    uint64_t adopted = 0;
    uint64_t adopted_v6 = 0;  // IPv6 peers kept by the accepting shard (see on_accept)
    uint64_t closed = 0;
    uint64_t sends = 0;
    uint64_t send_frames = 0;
    uint64_t bytes_sent = 0;
    uint64_t short_sends = 0;
    uint64_t dropped_slow = 0;      // queue over queue.hard (delivery.max_queue)
    uint64_t slow_disconnects = 0;  // over queue.soft with policy disconnect
    uint64_t dropped_stalled = 0;   // a send pending longer than write_timeout
    uint64_t recv_starved = 0;      // -ENOBUFS: provided buffers ran out
    uint64_t accept_errors = 0;
};

class Transport {
public:
    static constexpr unsigned kMaxIov = 64;
    static_assert(kMaxIov <= 255, "OutQueue counts the frames of a send in one byte");

    static constexpr unsigned kMaxProtocols = 4;

    Transport(Reactor& reactor, LoadBoard& board, const TransportOptions& opts);
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // Who handles connections of protocol `id` (HTTP, the publish socket...).
    void set_protocol(uint8_t id, ConnectionHandler& handler) { _protocols[id] = &handler; }
    // Starts accepting on a listening socket owned by this shard; its
    // connections speak `protocol`. With `balance`, each goes to the shard that
    // holds the fewest connections (TransportOptions::handoff decides for TCP).
    void add_listener(int fd, uint8_t protocol, bool balance);
    void stop_accepting();

    // Queues one frame for the connection (the queue becomes a user of lf).
    // Returns false, queueing nothing, if the connection is not open, or if its
    // queue would go past the soft limit and the slow-reader policy (see
    // net/queue_policy.h) dropped this frame or closed the connection. Frames the
    // policy drops are reported to the handler (on_frames_dropped) first. lf stays
    // usable by the caller whatever happens (a fan-out goes on with it).
    bool enqueue(Connection& c, LocalFrame* lf);
    // Queues a private copy of `bytes` (responses, handshakes); its send starts
    // ahead of the fan-out sends of the same turn.
    bool send_copy(Connection& c, std::string_view bytes);

    // Closes the connection; with flush_first, what is queued is written first
    // (bounded by write_timeout).
    void close(Connection& c, bool flush_first);
    // Closes the connection without resetting it, for a protocol that gives up
    // on a peer still sending (an over-long request, a refused one): closing a
    // socket with unread input makes the kernel reset the connection, and a TCP
    // reset destroys the answers the peer has not read yet (a Unix-socket peer
    // reads them, then gets ECONNRESET; its writes fail with EPIPE at once).
    // So, as nginx's lingering_close: what is queued is written (bounded by
    // write_timeout), the writing side is shut down (the peer reads EOF after
    // the answers), and the peer's bytes are read and discarded until its own
    // EOF; then the connection closes. The protocol gets no more data, EOF or
    // deadlines, queues nothing more, and cannot pause reading. Bounded by
    // lingering_time (from the shutdown) and lingering_bytes (from this call):
    // past either, the connection is closed at once, reset or not.
    void close_lingering(Connection& c);
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

    // A handle on `c` (net/connection.h), and the connection a handle names:
    // nullptr once it is closed for its protocol (on_closed() ran) or gone.
    static ConnectionHandle handle(const Connection& c) { return {c._slot, c._serial}; }
    Connection* find(ConnectionHandle h) const {
        if (h.slot >= _by_slot.size()) return nullptr;
        Connection* c = _by_slot[h.slot];
        return c && c->_serial == h.serial && c->_state != Connection::State::closing ? c : nullptr;
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
    // Single-shot accepts each listener keeps in flight (fewer when the table
    // has fewer free slots). A multishot accept cannot tell us who connected:
    // each completion would write its address into the same buffer, overwritten
    // by the next accept before we read it, and getsockopt(SO_PEERNAME) through
    // the ring needs Linux 6.7. So each accept in flight has its own address
    // buffer and is re-armed as it completes. The kernel wakes one waiting
    // accept per incoming connection: with 16 armed a burst is taken 16 per loop
    // turn instead of one. Measured (ringcast-load --idle, 10,000 connects, 2
    // shards, median of 5): 0.395 s with 1, 0.372 s with 16, 0.363 s with 64,
    // 0.368 s with the multishot accept; 16 buys nearly all of it for 16 x 144
    // bytes per listener, nothing per connection.
    static constexpr unsigned kAcceptsPerListener = 16;

    struct Listener;
    struct AcceptSlot {
        sockaddr_storage addr;  // written by the kernel when the accept completes
        socklen_t len;
        bool armed;
        bool cancelling;  // armed, and a cancel is on its way (trim_accepts())
        Listener* listener;
    };
    struct Listener {
        int fd;
        uint8_t protocol;
        bool balance;
        uint8_t armed;       // accepts in flight; after stop, the fd closes when none is left
        uint8_t cancelling;  // of which being cancelled for want of free slots
        AcceptSlot slots[kAcceptsPerListener];
    };
    // A handoff in flight, until the acceptor's MSG_RING completion says whether
    // it went through; if it did not, the connection stays here with its address.
    struct HandoffOp {
        PeerAddress peer;
        uint8_t protocol;
        uint16_t target;
        uint32_t slot;
    };

    uint32_t free_slots() const;
    void arm_accept(Listener* l);
    void cancel_accepts(Listener* l);
    void trim_accepts();
    void slot_freed();
    void note_table_full();
    void on_accept(const io_uring_cqe& cqe);
    void handoff(uint32_t slot, unsigned target, uint8_t protocol, const PeerAddress& peer);
    void on_handoff_sent(const io_uring_cqe& cqe);
    void adopt(uint32_t slot, uint8_t protocol, const PeerAddress& peer);
    void open_connection(Connection& c);
    ConnectionHandler& handler(const Connection& c) const { return *_protocols[c._protocol]; }
    void arm_recv(Connection& c);
    void on_recv(Connection& c, const io_uring_cqe& cqe);
    // The reader is behind: a send of ours is pending in the kernel, or the last
    // one was cut short (a send to a socket with room completes in full, within
    // the turn). Only then does the soft limit apply.
    static bool socket_full(const Connection& c) {
        return c._send_inflight || c._out.partially_written();
    }
    bool enqueue_over_limit(Connection& c, LocalFrame* lf);
    // Tells the handler about removed frames, then lets go of them.
    void report_removed(Connection& c, LocalFrame* incoming);
    void submit_send(Connection& c, int64_t now_wall_ms);
    // The queue emptied: a send completed, or its last frames expired.
    void queue_emptied(Connection& c);
    // A lingering close wrote everything: SHUT_WR, then wait for the peer.
    void shut_down_writing(Connection& c);
    // A lingering connection received `bytes` (discarded), or its peer's EOF (0).
    void lingering_input(Connection& c, size_t bytes);
    // Closes a lingering connection at one of its bounds.
    void cut_lingering(Connection& c);
    void on_send(Connection& c, const io_uring_cqe& cqe, SendOp* op);
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
    RemovedFrames _removed;  // scratch for the queue policy, reused (no allocation in steady state)
    std::vector<SendOp*> _free_send_ops;
    std::deque<HandoffOp> _handoff_ops;  // stable addresses; recycled through the free list
    std::vector<HandoffOp*> _free_handoff_ops;
    std::vector<Listener*> _listeners;
    std::vector<Connection*> _close_list;
    std::vector<Connection*> _starved;
    std::vector<Connection*> _cancel_list;  // receive cancels waiting for an SQE
    Connection* _dirty_head = nullptr;
    Connection* _dirty_tail = nullptr;
    Connection* _all = nullptr;
    std::vector<Connection*> _by_slot;  // live connections by direct-descriptor slot (find())
    size_t _count = 0;
    uint64_t _next_serial = 1;
    uint32_t _inflight_sends = 0;
    bool _accepting = true;
    // Slots of our direct-descriptor table in use (connections, and sockets on
    // their way to another shard), counted from completions: a listener keeps no
    // more accepts armed than there are free slots (arm_accept()).
    uint32_t _slots_used = 0;
    uint32_t _accepts_armed = 0;     // over all listeners
    bool _accept_blocked = false;    // the table is full: no accept until a slot frees
    bool _table_full_noted = false;  // logged; cleared once the table has room again
    bool _accept_retry = false;      // a listener needs (re-)arming at the end of the turn
};

}  // namespace ringcast

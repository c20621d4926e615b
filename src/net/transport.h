#pragma once
// Runs the connections of one shard on its io_uring: multishot receive into the
// shared provided buffers, batched sends of queued frames, timers and close. A
// protocol plugs in as a ConnectionHandler. Accepting (and handing sockets to
// other shards) is the Acceptor's job (net/acceptor.h); it gives the transport
// each socket with adopt(), and the transport gives each slot back.
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
//
// Whatever may outlive a connection (a reply from another shard, a request
// waiting on a limiter) names it by a ConnectionHandle (net/connection_handle.h),
// never by a pointer: find() turns the handle back into the connection, or
// nullptr once it has closed, even if a new connection has its slot by then.
#include <sys/socket.h>

#include <cassert>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/reactor.h"
#include "net/acceptor.h"
#include "net/connection.h"
#include "net/connection_handle.h"
#include "net/load_board.h"
#include "net/mux_host.h"
#include "net/queue_policy.h"
#include "net/slot_table.h"
#include "net/virtual_slots.h"
#include "tls/cipher_buffers.h"
#include "tls/tls_options.h"

namespace ringcast {

struct SendOp;
class TlsContext;
class TlsStream;
struct KtlsTx;

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

    // Optional: the answer to Transport::install_fd(): the connection's socket
    // as a file descriptor of the process (the caller's to close), or -errno.
    virtual void on_fd_installed(Connection&, int /*fd*/) {}

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
    // Sends started per flush() (loop turn), at most: a turn that submits
    // thousands of sends spends milliseconds in io_uring_enter, and an urgent
    // reply queued meanwhile (a publish acknowledgement) would wait a whole
    // fan-out for its turn. The dirty list keeps its order across turns.
    uint32_t sends_per_turn = 512;
    // The same while this shard awaits other shards' answers (Reactor::awaiting_answers):
    // their reports complete a publisher's acknowledgement, read between turns.
    uint32_t sends_per_turn_awaiting = 64;
    bool handoff = false;  // accepted connections go to the least-loaded shard
    // The certificate and settings of the TLS listeners' connections (nullptr:
    // none), and the bounds on their handshakes (net/transport_tls.cc).
    std::shared_ptr<const TlsContext> tls;
    TlsLimits tls_limits;
};

// The acceptor's counters (accepted, handed_off, adopted, adopted_v6,
// accept_errors), then the connections'.
struct TransportStats : AcceptStats {
    uint64_t closed = 0;
    uint64_t sends = 0;
    uint64_t send_frames = 0;
    uint64_t bytes_sent = 0;
    uint64_t short_sends = 0;
    uint64_t dropped_slow = 0;      // queue over queue.hard (delivery.max_queue)
    uint64_t slow_disconnects = 0;  // over queue.soft with policy disconnect
    uint64_t dropped_stalled = 0;   // a send pending longer than write_timeout
    uint64_t recv_starved = 0;      // -ENOBUFS: provided buffers ran out
    // TLS connections (net/transport_tls.cc).
    uint64_t tls_handshakes = 0;          // completed, full or resumed
    uint64_t tls_resumed = 0;             // of which resumed (a session ticket)
    uint64_t tls_handshake_failures = 0;  // bad or garbage handshakes, peers gone mid-way
    uint64_t tls_handshake_timeouts = 0;  // not done within tls.handshake_timeout
    uint64_t tls_refused = 0;             // closed at once: tls.max_handshakes in flight
    uint64_t tls_errors = 0;              // established connections ended by a TLS error
    uint64_t tls_handshaking = 0;         // now: handshakes in flight
    uint64_t tls_open = 0;                // now: established TLS connections
    uint64_t tls_ktls = 0;                // now: of which the kernel encrypts what they send
    uint64_t tls_ktls_fallbacks = 0;      // could have, stayed in user space (TLS 1.2, refused)
    uint64_t tls_sealed = 0;              // now: of which ringcastd seals the records itself
    bool tls_enabled = false;             // a TLS context is set (tls.listen)
    bool tls_ktls_enabled = false;        // ... made for kTLS transmit (tls.ktls, the kernel)
    bool tls_seal_enabled = false;        // ... made to seal records here (tls.seal)
};

class Transport final : private ConnectionAdopter {
public:
    static constexpr unsigned kMaxIov = 64;
    static_assert(kMaxIov <= 255, "OutQueue counts the frames of a send in one byte");

    static constexpr unsigned kMaxProtocols = 4;
    // Or'ed into a listener's protocol: its connections speak the protocol
    // over TLS (TransportOptions::tls), the handler seeing only plaintext.
    static constexpr uint8_t kTlsFlag = 0x80;
    static_assert(kMaxProtocols <= kTlsFlag);

    Transport(Reactor& reactor, LoadBoard& board, const TransportOptions& opts);
    ~Transport();
    // Frees every connection still held, with what it has queued: the shard
    // is going away without having closed them (a second signal skipped the
    // drain). Only destroy_connection() is called, so the protocols must still
    // exist: their owner calls this before they go. A send still in the kernel
    // (a reader that stopped reading) is cancelled when the ring closes right
    // after; until then it may read freed, still mapped memory of a process
    // that is exiting, which sends the peer garbage it will never see whole.
    void destroy_all();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // Who handles connections of protocol `id` (HTTP, the publish socket...).
    void set_protocol(uint8_t id, ConnectionHandler& handler) { _protocols[id] = &handler; }
    // Starts accepting on a listening socket owned by this shard; its
    // connections speak `protocol`. With `balance`, each goes to the shard that
    // holds the fewest connections (the daemon balances TCP with accept =
    // "handoff").
    void add_listener(int fd, uint8_t protocol, bool balance) {
        _acceptor.add_listener(fd, protocol, balance);
    }
    void stop_accepting() { _acceptor.stop_accepting(); }
    // A reload: the queue bounds, timeouts and send pacing change; what the
    // rings were sized for (max_inflight_sends) and how connections are
    // spread (handoff) stay. Queues already over a new bound meet it at their
    // next write.
    void apply(const TransportOptions& next) {
        _opts.queue = next.queue;
        _opts.tls = next.tls;  // new handshakes take a reloaded certificate
        _opts.tls_limits = next.tls_limits;
        _opts.write_timeout_ms = next.write_timeout_ms;
        _opts.lingering_time_ms = next.lingering_time_ms;
        _opts.lingering_bytes = next.lingering_bytes;
        _opts.sends_per_turn = next.sends_per_turn;
        _opts.sends_per_turn_awaiting = next.sends_per_turn_awaiting;
    }

    // For an upgrade (server/handover_*.h): gives c's direct descriptor back as
    // a file descriptor of the process (IORING_OP_FIXED_FD_INSTALL), the same
    // socket, which outlives the connection's close here; the handler's
    // on_fd_installed() gets it. Call it when nothing is queued or in flight
    // (output_idle()). False if no SQE was free: try again next turn.
    bool install_fd(Connection& c);
    static bool output_idle(const Connection& c) { return c._out.bytes() == 0 && !sending(c); }
    // A socket the caller registered in slot `slot` of this shard's table (an
    // upgrade's streams): counted, adopted and opened like an accepted one.
    // Returns its connection.
    // What the transport keeps per TLS connection (net/tls_conn.h).
    struct TlsConn;
    // Whether c speaks TLS: its state lives in this process only and cannot be
    // handed over (an upgrade ends such streams with a retry instead).
    static bool is_tls(const Connection& c) { return c._tls; }
    Connection* adopt_registered(uint32_t slot, uint8_t protocol, const PeerAddress& peer) {
        _acceptor.adopt_registered(slot, protocol, peer);
        return _by_slot.get(slot);
    }

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
    // Connections with frames queued and no send started yet (the dirty list).
    bool sends_waiting() const { return _dirty_head != nullptr; }
    bool has_pending_work() const {
        return (_dirty_head && _inflight_sends < _opts.max_inflight_sends) ||
               !_close_list.empty() || !_recv_retries.empty() || _acceptor.has_pending_work();
    }

    // Names c for whatever may outlive it (see net/connection_handle.h).
    static ConnectionHandle handle(const Connection& c) { return {c._slot, c._serial}; }
    // The connection h names, or nullptr if it has closed: from the moment its
    // handler's on_closed() runs, whether or not its object still exists, and
    // whatever connection has its slot now. O(1). A connection found may have
    // a close pending (is_open() says whether to queue for it).
    Connection* find(ConnectionHandle h) const {
        Connection* c = is_virtual_slot(h.slot) ? _virtual.get(h.slot) : _by_slot.get(h.slot);
        return c && c->_serial == h.serial ? c : nullptr;
    }

    // Sockets; the virtual connections of HTTP/2 streams are counted apart.
    size_t connection_count() const { return _count; }
    size_t virtual_count() const { return _virtual_count; }

    // --- virtual connections (net/mux_host.h; transport_mux.cc) ------------------
    static bool is_virtual_slot(uint32_t slot) { return slot >= VirtualSlots::kBase; }
    static bool is_virtual(const Connection& c) { return is_virtual_slot(c._slot); }
    // A connection without a socket, for `host` to carry (an HTTP/2 stream):
    // opened (on_open()) with `peer`, no receive; its bytes come from the host
    // calling the handler's on_data() itself. Found by handle like any other.
    Connection* open_virtual(uint8_t protocol, const PeerAddress& peer, MuxHost& host);
    // The host is going away: its children get no more child_ready() nor
    // child_closed(), and are closed (at the end of the turn).
    void detach_virtual(Connection& child);
    // c carries virtual connections: its queue holds framed bytes, so nothing
    // queued there is ever dropped or skipped as expired (a gap would corrupt
    // the framing); the host bounds it by pulling less.
    static void set_mux_parent(Connection& c) { c._mux_parent = true; }
    // Bytes of child's queue that could move now, at most max; expired frames
    // at its front are dropped first (and reported, as a send would).
    uint64_t movable_bytes(Connection& child, uint64_t max);
    // Appends a private copy of prefix (a frame header) to parent's queue, then
    // moves n bytes (at most movable_bytes()) of child's queue behind it: whole
    // frames by pointer, a cut frame as a copy of its slice. A child whose
    // queue empties is treated as after a completed send (drained, or closed
    // if it was draining). child may be null (a header alone).
    void move_output(Connection* child, Connection& parent, uint64_t n,
                     std::string_view prefix = {});
    // The unsent bytes of the first frame of c's queue (empty if none), and
    // taking n of them out as if written: for a host that reads what the
    // protocol above wrote (an HTTP/1.1 response head) instead of moving it.
    static std::string_view front_bytes(const Connection& c) { return c._out.front_bytes(); }
    void discard_front(Connection& c, uint64_t n);
    TransportStats stats() const;
    template <typename F>
    void for_each_connection(F&& f) {
        for (Connection* c = _all; c;) {
            Connection* next = c->_next_all;
            f(*c);
            c = next;
        }
    }

private:
    // ConnectionAdopter: a socket the acceptor took, now this transport's.
    void adopt(uint32_t slot, uint8_t protocol, const PeerAddress& peer) override;
    void open_connection(Connection& c);
    ConnectionHandler& handler(const Connection& c) const { return *_protocols[c._protocol]; }
    void arm_recv(Connection& c);
    void retry_recv(Connection& c);
    void on_recv(Connection& c, const io_uring_cqe& cqe);
    // The reader is behind: a send of ours is pending in the kernel, or the last
    // one was cut short (a send to a socket with room completes in full, within
    // the turn). Only then does the soft limit apply.
    // A virtual connection is behind when its host left bytes in its queue the
    // last time it was called (the peer's window is closed, or the real
    // connection's queue is full), until its queue empties.
    static bool socket_full(const Connection& c) {
        if (is_virtual(c)) return c._mux_behind;
        return sending(c) || c._out.partially_written();
    }
    // A send is in flight: the queue knows how many of its frames it covers
    // (a TLS connection's send may carry ciphertext of no frame: a handshake).
    static bool sending(const Connection& c) { return c._out.in_flight() != 0 || c._tls_send; }
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
    // Connection::_pending_ops: each operation started is ended exactly once;
    // maybe_destroy() after the last one frees a closing connection.
    static void op_started(Connection& c) { ++c._pending_ops; }
    static void op_ended(Connection& c) {
        assert(c._pending_ops > 0);
        --c._pending_ops;
    }
    void maybe_destroy(Connection& c);
    // flush() found a virtual connection on the dirty list: its host takes over.
    void mux_ready(Connection& c);
    // begin_close() of a virtual connection: no socket to close.
    void close_virtual(Connection& c);
    void reschedule_timer(Connection& c);

    // --- TLS (net/transport_tls.cc) ------------------------------------------
    TlsConn* tls_of(const Connection& c);
    // A new TLS connection: its stream and handshake deadline. False: refused
    // (no context, or tls.max_handshakes in flight), and closing.
    bool tls_begin(Connection& c);
    // Ciphertext received: the handshake advances, plaintext goes to the handler.
    void tls_input(Connection& c, const char* data, size_t len);
    // The handshake is done: the protocol sees the connection from now on.
    void tls_established(Connection& c, TlsConn& t);
    // The peer's EOF: mid-handshake it is a failure; else the protocol's.
    void tls_peer_eof(Connection& c);
    // The handshake deadline passed.
    void tls_handshake_timeout(Connection& c);
    // Encrypts what is queued and sends the ciphertext. False if no send started.
    bool submit_tls_send(Connection& c, int64_t now_wall_ms);
    void on_tls_send(Connection& c, const io_uring_cqe& cqe);
    // Whether a graceful close must still write ciphertext: records waiting,
    // or the close_notify not yet queued.
    bool tls_wants_flush(const Connection& c);
    // Draining or lingering with nothing queued: close_notify, once. True if it
    // was queued now (its send comes back to queue_emptied()).
    bool tls_close_notify(Connection& c);
    // The connection is closing (begin_close): counts and logs what it was.
    void tls_closing(Connection& c);
    // Records sealed here from now on (tls/record_sealer.h), from the
    // handshake's secret or, when the kernel refused it, from the kTLS export;
    // else SSL_write goes on (logged at debug).
    void tls_seal_start(Connection& c, TlsConn& t, const KtlsTx* exported);
    std::span<char> tls_scratch();

    // --- kTLS transmit (net/transport_ktls.cc) -----------------------------------
    // The handshake's last ciphertext is out: export the keys and ask for a
    // descriptor to give them to the kernel. False: this connection stays in
    // user space (t.ktls is none), nothing submitted.
    bool ktls_start(Connection& c, TlsConn& t);
    void on_ktls_fd(Connection& c, const io_uring_cqe& cqe);
    // Sends of a connection the kernel encrypts: the queue as plain sends, then
    // the close_notify alert when it is queued. False if no send started.
    bool submit_ktls_send(Connection& c, TlsConn& t, int64_t now_wall_ms);
    void on_ktls_alert(Connection& c, const io_uring_cqe& cqe);
    // Whether c's sends are plain ones the kernel encrypts.
    bool ktls_on(const Connection& c);

    Reactor& _reactor;
    LoadBoard& _board;
    Acceptor _acceptor;
    ConnectionHandler* _protocols[kMaxProtocols] = {};
    TransportOptions _opts;
    TransportStats _stats;
    OutChunkPool _chunks;
    RemovedFrames _removed;  // scratch for the queue policy, reused (no allocation in steady state)
    std::vector<SendOp*> _free_send_ops;
    std::vector<Connection*> _close_list;
    std::vector<Connection*> _recv_retries;  // see retry_recv()
    Connection* _dirty_head = nullptr;
    Connection* _dirty_tail = nullptr;
    Connection* _all = nullptr;
    // The open connections by slot, for find(): entries are set by adopt() and
    // cleared when on_closed() runs, before the kernel can give the slot to the
    // next connection. Grown as slots are used, up to the size of the table (8
    // bytes a slot, as the kernel keeps per slot itself): the kernel gives out a
    // slot just freed before going higher, so it stays about as long as the
    // most connections held at once.
    SlotTable _by_slot;
    VirtualSlots _virtual;  // virtual connections by slot, with their hosts
    size_t _count = 0;
    size_t _virtual_count = 0;
    uint64_t _next_serial = 1;
    uint32_t _inflight_sends = 0;
    // Ciphertext buffers reused across this shard's TLS connections' writes.
    CipherBuffers _cipher_buffers;
    // The TLS connections' state, by connection: a side table, so that a plain
    // connection carries no pointer for it. Freed with the connection.
    std::unordered_map<const Connection*, std::unique_ptr<TlsConn>> _tls;
    std::unique_ptr<char[]> _tls_buffer;  // 16 KiB: decrypting and coalescing, shared
};

}  // namespace ringcast

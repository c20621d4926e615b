#pragma once
// A client connection as the transport sees it: a direct descriptor, an output
// queue of shared frames, at most one send in flight, a multishot receive and one
// timer. Protocols derive from it to add their own per-connection state and must
// keep it small: this object *is* the per-connection memory of an idle stream.
//
// How a connection ends (Redis's refs and CONN_FLAG_CLOSE_SCHEDULED): a close
// asked for during the turn only marks it (_close_requested) and takes effect at
// the end of the turn, when no list walk of the protocol holds it any more. The
// protocol then gets on_closed() and lets go, the socket's close is submitted,
// and the state is closing. The object itself goes when nothing is left that
// will come back to it: _pending_ops counts the operations in the kernel (the
// multishot receive, a send, the close, the peer read) and those the transport
// owes it at the end of the turn (a place on the dirty list, a receive to arm or
// cancel there). Destruction is `closing && pending_ops == 0`, in one place
// (Transport::maybe_destroy).
#include <cstdint>

#include "core/timer_wheel.h"
#include "net/out_queue.h"
#include "net/peer_address.h"

namespace ringcast {

class Connection {
public:
    enum class State : uint8_t {
        open,       // reading and writing
        draining,   // closing once the queue is written; takes no new frames
        lingering,  // closing once the queue is written and the peer has stopped
                    // sending (Transport::close_lingering); takes no new bytes
        closing,    // gone for the protocol; waiting for its pending operations
    };

    Connection() = default;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    enum class QueueResult : uint8_t { queued, not_open, over_limit };

    // Appends a frame to the output queue; the queue becomes one of lf's users.
    // Pure bookkeeping: sending is the transport's job. This is the whole
    // per-recipient cost of a fan-out. over_limit (queueing nothing) when the queue
    // would hold more than max_bytes: the transport's slow-reader policy takes it
    // from there (net/queue_policy.h).
    QueueResult queue_frame(LocalFrame* lf, uint64_t max_bytes, LocalFramePool& frames,
                            OutChunkPool& chunks) {
        // A close requested this turn takes effect at the end of the turn; until
        // then the connection must not accept (and count) frames it will never send.
        if (_state != State::open || _close_requested) return QueueResult::not_open;
        uint32_t size = lf->frame->size();
        if (size == 0) return QueueResult::queued;  // nothing to write (and OutQueue needs bytes)
        if (_out.bytes() + size > max_bytes) return QueueResult::over_limit;
        frames.add_user(lf);
        _out.push(lf, chunks);
        return QueueResult::queued;
    }
    // Releases every queued frame.
    void discard_queue(LocalFramePool& frames, OutChunkPool& chunks) { _out.clear(frames, chunks); }

    uint64_t serial() const { return _serial; }
    uint8_t protocol() const { return _protocol; }
    // Monotonic ms of the last bytes received from or written to the peer.
    uint64_t last_activity_ms() const { return _last_activity; }
    State state() const { return _state; }
    bool is_open() const { return _state == State::open && !_close_requested; }
    uint64_t queued_bytes() const { return _out.bytes(); }
    // The peer's IP address, as accepted (IPv4-mapped IPv6 shown as IPv4); empty
    // for a Unix-socket peer. Known from on_open() on.
    const PeerAddress& peer() const { return _peer; }

private:
    friend class Transport;

    OutQueue _out;
    TimerNode _timer;
    Connection* _next_dirty = nullptr;
    Connection* _prev_all = nullptr;  // every live connection of the shard
    Connection* _next_all = nullptr;
    uint64_t _serial = 0;
    // A lingering connection's protocol has let go of it, so its deadline is
    // free to count what the peer still sends (a field more would grow every
    // idle stream by 8 bytes, see below). Neither is read in the other's state.
    union {
        uint64_t _deadline = 0;  // the protocol's next deadline (0: none)
        uint64_t _lingered;      // while lingering: bytes received and discarded
    };
    uint64_t _send_started = 0;    // ms; valid while a send is in flight (_out.in_flight())
    uint64_t _drain_deadline = 0;  // ms; valid while draining or lingering
    uint64_t _last_activity = 0;   // ms
    // The last 32 bytes: slot (4), peer (17), state, protocol, the count and
    // the flags (6), 2 bytes of padding. Past 32 the object grows by 8, and can
    // push a protocol's object into the allocator's next size class
    // (HttpConnection is 256 bytes, mimalloc's class boundary, as of the peer
    // address). Whether a send is in flight is the queue's (_out.in_flight()),
    // not a flag here.
    uint32_t _slot = 0;  // direct descriptor index
    PeerAddress _peer;
    State _state = State::open;
    uint8_t _protocol = 0;
    uint8_t _pending_ops = 0;  // see the top of this file; at most 6 at once
    bool _close_requested = false;
    bool _recv_armed = false;   // a multishot receive is in the kernel
    bool _recv_retry = false;   // on the transport's list of receives to arm or cancel
    bool _read_paused = false;  // the protocol asked for no more bytes
    bool _dirty = false;        // on the transport's dirty list
    // Four rarely-changed flags in one byte (bit-fields): with one bool each
    // they would take the last byte of padding and three more, and the object
    // would grow by 8 (see above).
    // A TLS connection: its TlsStream is in the transport's side table (a plain
    // connection pays these bits and nothing else), and its sends carry
    // ciphertext, with or without frames (net/transport_tls.cc).
    bool _tls : 1 = false;
    bool _tls_send : 1 = false;    // a send of ciphertext is in flight
    bool _mux_parent : 1 = false;  // carries virtual connections (Transport::set_mux_parent)
    bool _mux_behind : 1 = false;  // virtual: its host left bytes in its queue (socket_full)
};

}  // namespace ringcast

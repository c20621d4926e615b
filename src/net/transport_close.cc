// How a connection ends, the part of Transport that closes: at once or once
// its queue is written (close()), or lingering (close_lingering(): written, shut
// down for writing, the peer's bytes read and discarded until its EOF), then
// the close itself at the end of the turn (begin_close()), and the object's
// destruction once its last pending operation is back (maybe_destroy(); see
// net/connection.h). The rest of Transport is in transport.cc.
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "core/user_data.h"
#include "net/tls_conn.h"
#include "net/transport.h"

namespace ringcast {

void Transport::close(Connection& c, bool flush_first) {
    if (c._state == Connection::State::closing || c._close_requested) return;
    if (flush_first && c._state == Connection::State::lingering) return;  // closing already
    // (Frames in flight are still queued.) A TLS connection also writes its
    // last records and its close_notify.
    if (flush_first && (!c._out.empty() || (c._tls && tls_wants_flush(c)))) {
        if (c._state != Connection::State::draining) {
            c._state = Connection::State::draining;
            c._drain_deadline = _reactor.now_ms() + _opts.write_timeout_ms;
            reschedule_timer(c);
            if (c._tls) mark_dirty(c);  // the close_notify may be all there is to send
        }
        return;
    }
    c._close_requested = true;
    _close_list.push_back(&c);
}

void Transport::close_lingering(Connection& c) {
    if (c._state == Connection::State::closing || c._state == Connection::State::lingering ||
        c._close_requested)
        return;
    if (is_virtual(c)) {  // no socket to keep reading: its host ends the stream
        close(c, true);
        return;
    }
    // Writing what is queued has write_timeout, as a drain has (a drain this
    // call turns into a linger keeps its deadline).
    if (c._state != Connection::State::draining)
        c._drain_deadline = _reactor.now_ms() + _opts.write_timeout_ms;
    c._state = Connection::State::lingering;
    c._lingered = 0;
    // Read again if the protocol had stopped: the peer's bytes must leave the
    // socket for the close not to be a reset. A cancel still on its way ends
    // the receive, which on_recv() then re-arms.
    c._read_paused = false;
    if (!c._recv_armed && !c._recv_retry) arm_recv(c);
    if (c._out.empty() && !(c._tls && tls_wants_flush(c))) {
        shut_down_writing(c);
    } else {
        reschedule_timer(c);
        if (c._tls) mark_dirty(c);  // the close_notify may be all there is to send
    }
}

// A lingering connection is in one of two steps: writing its queue, then
// (queue empty, nothing in flight) shut down for writing and waiting for the
// peer's EOF. Nothing is queued after the call, so the queue empties once, and
// this runs once.
void Transport::shut_down_writing(Connection& c) {
    io_uring_sqe* sqe = _reactor.ring().sqe();
    if (!sqe) {
        close(c, false);  // the kernel is pushing back on the ring: no linger
        return;
    }
    // Fire and forget: a failure (the peer is gone) shows on the receive too.
    io_uring_prep_shutdown(sqe, int(c._slot), SHUT_WR);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, tag(Op::ignore));
    c._drain_deadline = _reactor.now_ms() + _opts.lingering_time_ms;
    reschedule_timer(c);
}

void Transport::lingering_input(Connection& c, size_t bytes) {
    if (c._close_requested) return;  // cut already; receives in flight still complete
    if (bytes == 0) {
        // The peer is done: close once the queue is written (a drain), or now.
        if (!c._out.empty()) {
            c._state = Connection::State::draining;
            c._deadline = 0;  // the union's other member again, and no protocol deadline
        } else {
            close(c, false);
        }
        return;
    }
    c._lingered += bytes;
    if (c._lingered > _opts.lingering_bytes) {
        spdlog::debug(
            "shard {}: connection {} closed: the peer sent {} bytes after its last answer "
            "(lingering bytes {})",
            _reactor.id(), c._serial, c._lingered, _opts.lingering_bytes);
        cut_lingering(c);
    }
}

// The receive is cancelled before the close shuts the socket down: once reading
// is shut down the kernel sends the peer no window update, so a receive still
// draining the socket would close its window, and a close that then finds no
// unread input sends no reset. A peer still sending would hang on the closed
// window (for tcp_fin_timeout) instead of learning at once that it was cut.
void Transport::cut_lingering(Connection& c) {
    if (c._recv_armed) cancel_recv(c);
    close(c, false);
}

// Returns false, changing nothing, when the ring has no room for the cancel
// and close SQEs right now (the kernel is pushing back); the caller retries on
// the next turn.
bool Transport::begin_close(Connection& c) {
    if (c._state == Connection::State::closing) return true;
    if (is_virtual(c)) {
        close_virtual(c);
        return true;
    }
    Ring& ring = _reactor.ring();
    if (ring.sq_space() < 2) ring.submit();
    if (ring.sq_space() < 2) return false;

    if (c._tls) tls_closing(c);
    c._state = Connection::State::closing;
    _by_slot.clear(c._slot);  // handles find nothing from here on
    _reactor.timers().cancel(&c._timer);
    handler(c).on_closed(c);
    _board.add(_reactor.id(), -1);
    ++_stats.closed;

    // A request in the kernel holds the socket: the close alone would only drop
    // the table's reference, and the socket would live on until the peer acted.
    // So what is still there (the multishot receive, a send waiting for room)
    // is cancelled first, by its direct descriptor, and the hard link makes the
    // close run whatever the cancel found. shutdown() would end them too, but
    // the kernel always runs it on an io-wq worker thread: a fifth of the
    // daemon's CPU when 10k streams leave at once (docs/performance.md). A
    // peer that closed first has ended the receive already: then the close is
    // all there is. (Without IORING_ASYNC_CANCEL_FD_FIXED, Linux 6.0, the
    // cancel fails and the close's completion cancels the receive instead.)
    // The receive alone, the common case, is cancelled by its tag: the kernel
    // finds a request by its user_data in a hash table, but by descriptor only
    // by looking at every request in the ring, which made closing n streams at
    // once cost n^2 (an upgrade's export, a drain).
    if (sending(c)) {
        io_uring_sqe* cancel = ring.sqe();
        io_uring_prep_cancel_fd(cancel, int(c._slot),
                                IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_FD_FIXED);
        cancel->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
        io_uring_sqe_set_data64(cancel, tag(Op::ignore));
    } else if (c._recv_armed) {
        io_uring_sqe* cancel = ring.sqe();
        io_uring_prep_cancel64(cancel, tag(Op::recv, &c), 0);
        cancel->flags |= IOSQE_IO_HARDLINK | IOSQE_CQE_SKIP_SUCCESS;
        io_uring_sqe_set_data64(cancel, tag(Op::ignore));
    }
    io_uring_sqe* cl = ring.sqe();
    io_uring_prep_close_direct(cl, c._slot);
    io_uring_sqe_set_data64(cl, tag(Op::close, &c));
    op_started(c);
    return true;
}

// Cancels the connection's multishot receive (pause, or a close that did not
// end it). Without an SQE now, it is retried at the end of the turn.
void Transport::cancel_recv(Connection& c) {
    io_uring_sqe* sqe = _reactor.ring().sqe();
    if (!sqe) {
        retry_recv(c);
        return;
    }
    io_uring_prep_cancel64(sqe, tag(Op::recv, &c), 0);
    io_uring_sqe_set_data64(sqe, tag(Op::cancel));
}

void Transport::maybe_destroy(Connection& c) {
    if (c._state != Connection::State::closing || c._pending_ops != 0) return;
    c.discard_queue(_reactor.frames(), _chunks);
    if (c._tls) _tls.erase(&c);  // no send reads its ciphertext any more
    if (c._prev_all) c._prev_all->_next_all = c._next_all;
    if (c._next_all) c._next_all->_prev_all = c._prev_all;
    if (_all == &c) _all = c._next_all;
    --(is_virtual(c) ? _virtual_count : _count);
    handler(c).destroy_connection(&c);
}

}  // namespace ringcast

#include "net/transport.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/log_event.h"
#include "core/uring_cmd.h"
#include "core/user_data.h"
#include "net/tls_conn.h"

namespace ringcast {

// msghdr and iovecs of a multi-frame send, kept until the send completes. Its
// completion is tagged with the SendOp, which names the connection, so that the
// connection does not carry a pointer for it.
struct SendOp {
    Connection* conn;
    msghdr msg;
    iovec iov[Transport::kMaxIov];
};

namespace {

// Connection is standard-layout, so the timer node's offset is well defined.
Connection* connection_of(TimerNode* n, size_t offset) {
    return reinterpret_cast<Connection*>(reinterpret_cast<char*>(n) - offset);
}

}  // namespace

Transport::Transport(Reactor& reactor, LoadBoard& board, const TransportOptions& opts)
    : _reactor(reactor), _board(board), _acceptor(reactor, board, *this), _opts(opts) {}

Transport::~Transport() {
    for (SendOp* op : _free_send_ops)
        delete op;
}

void Transport::destroy_all() {
    while (Connection* c = _all) {
        _all = c->_next_all;
        _by_slot.clear(c->_slot);
        c->discard_queue(_reactor.frames(), _chunks);
        if (c->_tls) _tls.erase(c);
        handler(*c).destroy_connection(c);
    }
    _dirty_head = _dirty_tail = nullptr;
    _count = 0;
    _virtual_count = 0;
}

TransportStats Transport::stats() const {
    TransportStats s = _stats;
    static_cast<AcceptStats&>(s) = _acceptor.stats();
    s.tls_enabled = _opts.tls != nullptr;
    s.tls_ktls_enabled = _opts.tls && _opts.tls->ktls();
    s.tls_seal_enabled = _opts.tls && _opts.tls->seal();
    return s;
}

// --- open ------------------------------------------------------------------------

void Transport::adopt(uint32_t slot, uint8_t protocol, const PeerAddress& peer) {
    const bool tls = protocol & kTlsFlag;
    protocol &= uint8_t(~kTlsFlag);
    Connection* c = _protocols[protocol]->create_connection();
    c->_protocol = protocol;
    c->_tls = tls;
    c->_slot = slot;
    c->_peer = peer;
    c->_serial = _next_serial++;
    c->_last_activity = _reactor.now_ms();
    assert(_by_slot.get(slot) == nullptr);  // a slot's last connection let go of it
    _by_slot.set(slot, c);
    c->_next_all = _all;
    if (_all) _all->_prev_all = c;
    _all = c;
    ++_count;
    ConnectionHandler& h = handler(*c);
    if (int option = h.peer_option()) {
        // Ask the kernel who is on the other end before reading a byte: the
        // protocol decides on_open() whether to serve this peer at all.
        uint32_t len = 0;
        void* buf = h.peer_buffer(*c, &len);
        io_uring_sqe* sqe = buf ? _reactor.ring().sqe() : nullptr;
        if (sqe) {
            prep_getsockopt(sqe, int(slot), SOL_SOCKET, option, buf, len);
            sqe->flags |= IOSQE_FIXED_FILE;
            io_uring_sqe_set_data64(sqe, tag(Op::peer, c));
            op_started(*c);
            return;
        }
        h.on_peer(*c, -EAGAIN);
    }
    open_connection(*c);
}

bool Transport::install_fd(Connection& c) {
    io_uring_sqe* sqe = _reactor.ring().sqe();
    if (!sqe) return false;
    prep_fixed_fd_install(sqe, int(c._slot));
    io_uring_sqe_set_data64(sqe, tag(Op::fd_install, &c));
    op_started(c);
    return true;
}

void Transport::open_connection(Connection& c) {
    // A TLS connection opens for the protocol once its handshake is done.
    if (c._tls && !tls_begin(c)) return;
    arm_recv(c);
    if (!c._tls) handler(c).on_open(c);
}

// --- receive ---------------------------------------------------------------------

void Transport::arm_recv(Connection& c) {
    io_uring_sqe* sqe = _reactor.ring().sqe();
    if (!sqe) {
        retry_recv(c);
        return;
    }
    // Multishot: one SQE keeps delivering data as it arrives, each chunk in a
    // buffer taken from the shard's provided-buffer ring only at that moment.
    io_uring_prep_recv_multishot(sqe, int(c._slot), nullptr, 0, 0);
    sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
    sqe->buf_group = Reactor::kRecvBufferGroup;
    io_uring_sqe_set_data64(sqe, tag(Op::recv, &c));
    c._recv_armed = true;
    op_started(c);
}

// The receive is put right at the end of the turn, armed or cancelled as the
// connection then wants: the provided buffers ran out (they are back by then),
// or no SQE was to be had for arming or cancelling it.
void Transport::retry_recv(Connection& c) {
    if (c._recv_retry) return;
    c._recv_retry = true;
    op_started(c);
    _recv_retries.push_back(&c);
}

void Transport::pause_reading(Connection& c) {
    // A lingering connection reads until the peer's EOF, whatever the protocol says.
    if (c._read_paused || c._state == Connection::State::lingering) return;
    c._read_paused = true;
    if (c._recv_armed) cancel_recv(c);
}

void Transport::resume_reading(Connection& c) {
    if (!c._read_paused) return;
    c._read_paused = false;
    if (c._state != Connection::State::closing && !c._recv_armed && !c._recv_retry &&
        !is_virtual(c))
        arm_recv(c);
}

void Transport::on_recv(Connection& c, const io_uring_cqe& cqe) {
    bool more = cqe.flags & IORING_CQE_F_MORE;
    if (!more) c._recv_armed = false;
    int res = cqe.res;
    if (res > 0) {
        uint16_t bid = uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
        BufferRing& bufs = _reactor.buffers();
        c._last_activity = _reactor.now_ms();
        // While paused, bytes already in flight are still handed over: the
        // protocol buffers them (bounded by its own limits).
        if (c._state == Connection::State::lingering) {
            lingering_input(c, size_t(res));
        } else if (c._state != Connection::State::closing) {
            if (c._tls) {
                tls_input(c, bufs.buffer(bid), size_t(res));
            } else {
                handler(c).on_data(c, bufs.buffer(bid), size_t(res));
            }
        }
        bufs.recycle(bid);
    } else if (res == 0) {
        // The peer closed its side: nothing more will come. It may still read
        // answers (a half-close), so the protocol decides when to close.
        if (c._state == Connection::State::lingering) {
            lingering_input(c, 0);
        } else if (c._state != Connection::State::closing && !c._close_requested) {
            if (c._tls) {
                tls_peer_eof(c);
            } else {
                handler(c).on_peer_eof(c);
            }
        }
    } else if (res == -ENOBUFS) {
        // Every provided buffer is in use: not an EOF. Re-arm once buffers return.
        ++_stats.recv_starved;
        if (c._state != Connection::State::closing) retry_recv(c);
    } else if (res != -ECANCELED) {
        close(c, false);  // ECONNRESET, ETIMEDOUT...: the connection is dead
    }
    // The multishot ended without closing the connection: after data (the
    // kernel may end a multishot at any time), or after a cancel from
    // pause_reading() when resume_reading() ran before this completion arrived.
    if (!c._recv_armed && (res > 0 || res == -ECANCELED) &&
        c._state != Connection::State::closing && !c._close_requested && !c._read_paused &&
        !c._recv_retry)
        arm_recv(c);
    if (!more) op_ended(c);  // this receive is over (another may be armed)
    maybe_destroy(c);
}

// --- send ------------------------------------------------------------------------

bool Transport::enqueue(Connection& c, LocalFrame* lf) {
    // The common case is queue_frame() and mark_dirty(): one comparison, against
    // the soft limit if the reader is behind, else the hard one. Everything about
    // slow readers is behind over_limit (net/queue_policy.h).
    const uint64_t limit = socket_full(c) ? _opts.queue.soft : _opts.queue.hard;
    switch (c.queue_frame(lf, limit, _reactor.frames(), _chunks)) {
        case Connection::QueueResult::queued: mark_dirty(c); return true;
        case Connection::QueueResult::not_open: return false;
        case Connection::QueueResult::over_limit: return enqueue_over_limit(c, lf);
    }
    return false;
}

bool Transport::enqueue_over_limit(Connection& c, LocalFrame* lf) {
    const uint64_t before = c._out.bytes() + lf->frame->size();
    Admission a = admit_over_limit(c._out, lf, _opts.queue, socket_full(c), wall_ms(),
                                   _reactor.frames(), _chunks, &_removed);
    report_removed(c, lf);
    switch (a) {
        case Admission::queued: mark_dirty(c); return true;
        case Admission::dropped: return false;
        case Admission::disconnect:
            ++_stats.slow_disconnects;
            spdlog::debug("shard {}: connection {} past the queue limit: {} bytes, limit {}",
                          _reactor.id(), c._serial, before, _opts.queue.soft);
            handler(c).on_slow_reader_closed(c, SlowReaderClose::queue_limit, before);
            close(c, false);
            return false;
        case Admission::overflow:
            ++_stats.dropped_slow;
            spdlog::debug("shard {}: connection {} past max_queue: {} bytes, limit {}",
                          _reactor.id(), c._serial, before, _opts.queue.hard);
            handler(c).on_slow_reader_closed(c, SlowReaderClose::max_queue, before);
            close(c, false);
            return false;
    }
    return false;
}

void Transport::report_removed(Connection& c, LocalFrame* incoming) {
    if (_removed.empty()) return;
    ConnectionHandler& h = handler(c);
    if (!_removed.expired.empty()) h.on_frames_dropped(c, _removed.expired, DropReason::expired);
    if (!_removed.dropped.empty())
        h.on_frames_dropped(c, _removed.dropped,
                            _removed.compacted ? DropReason::compacted : DropReason::refused);
    release_removed(&_removed, incoming, _reactor.frames());
}

bool Transport::send_copy(Connection& c, std::string_view bytes) {
    if (c._state == Connection::State::closing || c._state == Connection::State::lingering ||
        c._close_requested)
        return false;
    if (bytes.empty()) return true;
    LocalFrame* lf = _reactor.frames().wrap(SharedFrame::copy_of(bytes));
    _reactor.frames().add_user(lf);
    c._out.push(lf, _chunks);
    // Replies and handshakes go before this turn's fan-out sends: a publisher
    // waiting for its acknowledgement should not queue behind ten thousand
    // subscribers.
    mark_dirty(c, true);
    return true;
}

void Transport::mark_dirty(Connection& c, bool urgent) {
    if (c._dirty) return;
    c._dirty = true;
    op_started(c);  // flush() will look at it, closing or not
    if (urgent) {
        c._next_dirty = _dirty_head;
        _dirty_head = &c;
        if (!_dirty_tail) _dirty_tail = &c;
        return;
    }
    c._next_dirty = nullptr;
    if (_dirty_tail) {
        _dirty_tail->_next_dirty = &c;
    } else {
        _dirty_head = &c;
    }
    _dirty_tail = &c;
}

void Transport::submit_send(Connection& c, int64_t now_wall_ms) {
    if (c._mux_parent) now_wall_ms = 0;  // framed bytes: none may be skipped (set_mux_parent)
    // An expired frame is never written: those at the front go now; gather()
    // stops before any further one, which reaches the front with the next send.
    if (c._out.front_expired(now_wall_ms)) {
        c._out.take_expired_front(now_wall_ms, &_removed, _chunks);
        report_removed(c, nullptr);
        if (c._out.empty()) {
            queue_emptied(c);
            return;
        }
    }
    // A send covers at most half the soft limit (beyond its first frame): the
    // frames of a send in flight cannot be dropped, and a queue that is mostly
    // one stuck send would leave the slow-reader policy nothing to drop but
    // each newcomer.
    iovec iov[kMaxIov];
    size_t total = 0;
    unsigned n = c._out.gather(iov, kMaxIov, &total, now_wall_ms, _opts.queue.soft / 2);
    if (n == 0) return;
    io_uring_sqe* sqe = _reactor.ring().sqe();
    if (!sqe) {
        mark_dirty(c);
        return;
    }
    // MSG_NOSIGNAL: a peer that vanished must give us EPIPE, not SIGPIPE.
    if (n == 1) {
        io_uring_prep_send(sqe, int(c._slot), iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
        io_uring_sqe_set_data64(sqe, tag(Op::send, &c));
    } else {
        SendOp* op;
        if (!_free_send_ops.empty()) {
            op = _free_send_ops.back();
            _free_send_ops.pop_back();
        } else {
            op = new SendOp;
        }
        std::memcpy(op->iov, iov, n * sizeof(iovec));
        std::memset(&op->msg, 0, sizeof op->msg);
        op->conn = &c;
        op->msg.msg_iov = op->iov;
        op->msg.msg_iovlen = n;
        io_uring_prep_sendmsg(sqe, int(c._slot), &op->msg, MSG_NOSIGNAL);
        io_uring_sqe_set_data64(sqe, tag(Op::sendmsg, op));
    }
    sqe->flags |= IOSQE_FIXED_FILE;
    c._out.set_in_flight(n);  // the queue policy must leave these frames alone
    op_started(c);
    c._send_started = _reactor.now_ms();
    ++_inflight_sends;
    ++_stats.sends;
    _stats.send_frames += n;
    // Make sure a stalled reader is noticed: the timer must fire no later than
    // the write timeout of this send. Usually an earlier deadline (heartbeat) is
    // already armed and nothing needs to move.
    uint64_t stall_at = c._send_started + _opts.write_timeout_ms;
    if (!c._timer.linked() || c._timer.expiry > stall_at)
        _reactor.timers().schedule(&c._timer, stall_at);
}

void Transport::on_send(Connection& c, const io_uring_cqe& cqe, SendOp* op) {
    if (c._tls && !ktls_on(c)) {
        on_tls_send(c, cqe);
        return;
    }
    --_inflight_sends;
    if (op) _free_send_ops.push_back(op);
    int res = cqe.res;
    if (res >= 0) {
        _stats.bytes_sent += uint64_t(res);
        c._last_activity = _reactor.now_ms();
        size_t before = c._out.bytes();
        c._out.consume(size_t(res), _reactor.frames(), _chunks);
        if (c._out.bytes() > 0 && before - c._out.bytes() < before) ++_stats.short_sends;
    }
    if (res < 0) {
        c._out.set_in_flight(0);
        close(c, false);  // EPIPE, ECONNRESET, ECANCELED: the peer is gone
    } else if (c._state == Connection::State::closing) {
        // nothing: maybe_destroy below
    } else if (!c._out.empty()) {
        mark_dirty(c);
    } else {
        queue_emptied(c);
    }
    op_ended(c);
    maybe_destroy(c);
}

void Transport::queue_emptied(Connection& c) {
    if (c._tls && c._state != Connection::State::open && tls_close_notify(c)) return;
    if (c._state == Connection::State::draining) {
        close(c, false);
    } else if (c._state == Connection::State::lingering) {
        shut_down_writing(c);
    } else {
        handler(c).on_drained(c);
    }
}

void Transport::flush() {
    // Closes first: a connection closed during this turn must not get a send.
    if (!_close_list.empty()) {
        std::vector<Connection*> list;
        list.swap(_close_list);
        for (Connection* c : list)
            if (!begin_close(*c)) _close_list.push_back(c);
    }
    if (!_recv_retries.empty()) {
        std::vector<Connection*> list;
        list.swap(_recv_retries);
        for (Connection* c : list) {
            c->_recv_retry = false;
            const bool wanted = c->_state != Connection::State::closing && !c->_read_paused;
            if (c->_recv_armed && !wanted) {
                cancel_recv(*c);
            } else if (!c->_recv_armed && wanted) {
                arm_recv(*c);
            }
            op_ended(*c);
            maybe_destroy(*c);
        }
    }
    _acceptor.flush();
    // One clock read per turn for every send's expiry checks.
    const int64_t now_wall = _dirty_head ? wall_ms() : 0;
    uint32_t budget = _reactor.awaiting_answers()
                          ? std::min(_opts.sends_per_turn, _opts.sends_per_turn_awaiting)
                          : _opts.sends_per_turn;
    while (_dirty_head && _inflight_sends < _opts.max_inflight_sends && budget > 0) {
        Connection& c = *_dirty_head;
        _dirty_head = c._next_dirty;
        if (!_dirty_head) _dirty_tail = nullptr;
        c._dirty = false;
        c._next_dirty = nullptr;
        op_ended(c);
        if (c._state == Connection::State::closing) {
            maybe_destroy(c);
            continue;
        }
        if (is_virtual(c)) {
            mux_ready(c);
            continue;
        }
        if (c._tls) {
            if (!c._tls_send && submit_tls_send(c, now_wall)) --budget;
            continue;
        }
        if (sending(c) || c._out.empty()) continue;
        submit_send(c, now_wall);
        --budget;
    }
}

// --- timers (closing is in transport_close.cc) -----------------------------------

void Transport::set_deadline(Connection& c, uint64_t at_ms) {
    if (c._state == Connection::State::lingering) return;  // the protocol has let go
    c._deadline = at_ms;
    if (c._state == Connection::State::closing) return;
    if (at_ms && (!c._timer.linked() || c._timer.expiry > at_ms))
        _reactor.timers().schedule(&c._timer, at_ms);
}

// Arms the timer for the earliest of: the protocol deadline, the write timeout
// of the send in flight, the end of a drain or a linger.
void Transport::reschedule_timer(Connection& c) {
    const bool lingering = c._state == Connection::State::lingering;
    uint64_t at = !lingering && c._deadline ? c._deadline : UINT64_MAX;
    if (sending(c)) at = std::min<uint64_t>(at, c._send_started + _opts.write_timeout_ms);
    if (c._state == Connection::State::draining || lingering) at = std::min(at, c._drain_deadline);
    if (at == UINT64_MAX) {
        _reactor.timers().cancel(&c._timer);
    } else {
        _reactor.timers().schedule(&c._timer, at);
    }
}

void Transport::on_timer(TimerNode* node) {
    Connection& c = *connection_of(node, offsetof(Connection, _timer));
    if (c._state == Connection::State::closing) return;
    uint64_t now = _reactor.now_ms();
    if (sending(c) && now >= c._send_started + _opts.write_timeout_ms) {
        ++_stats.dropped_stalled;
        log_event(spdlog::level::info, "stalled writer disconnected",
                  {{"reason", "write_timeout"},
                   {"conn", fmt::format("c{}-{}", _reactor.id(), c._serial)},
                   {"ip", c.peer().text()},
                   {"pending_ms", now - c._send_started}});
        close(c, false);
        return;
    }
    if (c._state == Connection::State::draining && now >= c._drain_deadline) {
        close(c, false);
        return;
    }
    if (c._state == Connection::State::lingering) {
        if (now < c._drain_deadline) {
            reschedule_timer(c);
            return;
        }
        if (!c._out.empty()) {
            spdlog::debug(
                "shard {}: connection {} closed: its last answers were not read within "
                "the write timeout",
                _reactor.id(), c._serial);
        } else {
            spdlog::debug(
                "shard {}: connection {} closed: the peer did not close within the "
                "lingering time ({} bytes discarded meanwhile)",
                _reactor.id(), c._serial, c._lingered);
        }
        cut_lingering(c);
        return;
    }
    if (c._deadline && now >= c._deadline) {
        c._deadline = 0;
        if (TlsConn* t = c._tls ? tls_of(c) : nullptr; t && !t->opened) {
            tls_handshake_timeout(c);
            return;
        }
        handler(c).on_deadline(c, now);  // may set a new deadline or close
        if (c._state == Connection::State::closing || c._close_requested) return;
    }
    reschedule_timer(c);
}

// --- dispatch --------------------------------------------------------------------

void Transport::on_completion(const io_uring_cqe& cqe) {
    switch (op_of(cqe.user_data)) {
        case Op::accept:
        case Op::handoff:
        case Op::handoff_sent: _acceptor.on_completion(cqe); return;
        case Op::recv: on_recv(*pointer_of<Connection>(cqe.user_data), cqe); return;
        case Op::send: on_send(*pointer_of<Connection>(cqe.user_data), cqe, nullptr); return;
        case Op::sendmsg: {
            SendOp* op = pointer_of<SendOp>(cqe.user_data);
            on_send(*op->conn, cqe, op);
            return;
        }
        case Op::close: {
            Connection& c = *pointer_of<Connection>(cqe.user_data);
            _acceptor.slot_freed();
            // The cancel linked before the close did not end the receive (a
            // kernel without cancel by direct descriptor): cancel it by its tag.
            if (c._recv_armed) cancel_recv(c);
            op_ended(c);
            maybe_destroy(c);
            return;
        }
        case Op::fd_install: {
            Connection& c = *pointer_of<Connection>(cqe.user_data);
            op_ended(c);
            if (c._state == Connection::State::closing) {
                if (cqe.res >= 0) ::close(cqe.res);
                maybe_destroy(c);
                return;
            }
            handler(c).on_fd_installed(c, cqe.res);
            return;
        }
        case Op::ktls_fd: on_ktls_fd(*pointer_of<Connection>(cqe.user_data), cqe); return;
        case Op::ktls_alert: on_ktls_alert(*pointer_of<Connection>(cqe.user_data), cqe); return;
        case Op::peer: {
            Connection& c = *pointer_of<Connection>(cqe.user_data);
            op_ended(c);
            if (c._state == Connection::State::closing) {
                maybe_destroy(c);
                return;
            }
            handler(c).on_peer(c, cqe.res);
            if (c._state == Connection::State::open && !c._close_requested) open_connection(c);
            return;
        }
        default: return;
    }
}

}  // namespace ringcast

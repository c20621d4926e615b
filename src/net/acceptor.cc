#include "net/acceptor.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "core/log_event.h"
#include "core/user_data.h"

namespace ringcast {

Acceptor::Acceptor(Reactor& reactor, LoadBoard& board, ConnectionAdopter& adopter)
    : _reactor(reactor), _board(board), _adopter(adopter) {}

Acceptor::~Acceptor() {
    for (Listener* l : _listeners) {
        if (l->fd >= 0) ::close(l->fd);
        delete l;
    }
}

void Acceptor::add_listener(int fd, uint8_t protocol, bool balance) {
    auto* l = new Listener{};
    l->fd = fd;
    l->protocol = protocol;
    l->balance = balance;
    for (AcceptSlot& s : l->slots)
        s.listener = l;
    _listeners.push_back(l);
    arm(l);
}

// Free slots of our direct-descriptor table, by our count.
uint32_t Acceptor::free_slots() const {
    uint32_t table = _reactor.direct_files();
    if (table == 0) return UINT32_MAX;  // no table registered: nothing to count
    return _slots_used < table ? table - _slots_used : 0;
}

// Arms the listener's accepts that are not in flight, but never more than there
// are free slots: the kernel accepts a connection before it looks for a slot and
// drops it (the client sees a reset) when there is none, so with a full table
// new connections must wait in the listen backlog instead. (Two listeners may
// both count the same free slot; the first ENFILE then stops the rest.)
void Acceptor::arm(Listener* l) {
    if (!_accepting || l->fd < 0 || _blocked) return;
    uint32_t room = free_slots();
    if (room == 0) {
        _blocked = true;
        note_table_full();
        return;
    }
    for (AcceptSlot& s : l->slots) {
        if (l->armed >= room) return;
        if (s.armed) continue;
        io_uring_sqe* sqe = _reactor.ring().sqe();
        if (!sqe) {
            _retry = true;  // no room in the ring now: try again at the end of the turn
            return;
        }
        // Accepted sockets go straight into the ring's direct-descriptor table: they
        // never occupy the process fd table, and every later operation on them skips
        // the fd lookup (IOSQE_FIXED_FILE). The kernel writes the peer's address
        // into the slot's buffer before the completion is posted.
        s.len = sizeof s.addr;
        io_uring_prep_accept(sqe, l->fd, reinterpret_cast<sockaddr*>(&s.addr), &s.len, 0);
        // Set by hand: liburing 2.3's io_uring_prep_accept_direct() stores index + 1,
        // which wraps IORING_FILE_INDEX_ALLOC to 0, a plain accept into the fd table.
        sqe->file_index = IORING_FILE_INDEX_ALLOC;
        io_uring_sqe_set_data64(sqe, tag(Op::accept, &s));
        s.armed = true;
        ++l->armed;
        ++_armed;
    }
}

// The table filled up while accepts were in flight: cancel those beyond the free
// slots (each completes with -ECANCELED and is not re-armed until there is room),
// so that a burst of connections cannot outrun the table.
void Acceptor::trim() {
    uint32_t room = free_slots();
    if (room >= kAcceptsPerListener) return;  // the usual case: nothing to do
    for (Listener* l : _listeners) {
        for (unsigned i = kAcceptsPerListener;
             i-- > 0 && uint32_t(l->armed - l->cancelling) > room;) {
            AcceptSlot& s = l->slots[i];
            if (!s.armed || s.cancelling) continue;
            io_uring_sqe* sqe = _reactor.ring().sqe();
            if (!sqe) return;  // an ENFILE, should one come, stops accepting anyway
            io_uring_prep_cancel64(sqe, tag(Op::accept, &s), 0);
            io_uring_sqe_set_data64(sqe, tag(Op::cancel));
            s.cancelling = true;
            ++l->cancelling;
        }
    }
}

// Says so once per spell of a full table, not on every connection that fills
// the last slot again.
void Acceptor::note_table_full() {
    if (_table_full_noted) return;
    _table_full_noted = true;
    log_event(spdlog::level::warn, "connection table full",
              {{"reason", "table_full"}, {"action", "accept paused until a slot frees"}});
}

// A slot of our table was released (a connection closed, or a socket left for
// another shard): accepting resumes at the end of the turn if it was held back.
void Acceptor::slot_freed() {
    if (_slots_used > 0) --_slots_used;
    _blocked = false;
    if (_table_full_noted && free_slots() > kAcceptsPerListener) _table_full_noted = false;
    if (_accepting && _armed < _listeners.size() * kAcceptsPerListener) _retry = true;
}

// Cancels every accept in flight on the listener (each completes with -ECANCELED).
void Acceptor::cancel_all(Listener* l) {
    Ring& ring = _reactor.ring();
    if (ring.sq_space() < 1) ring.submit();
    io_uring_sqe* sqe = ring.sqe();
    if (!sqe) return;
    io_uring_prep_cancel_fd(sqe, l->fd, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, tag(Op::cancel));
}

void Acceptor::stop_accepting() {
    _accepting = false;
    for (Listener* l : _listeners) {
        if (l->armed) {
            cancel_all(l);  // the fd is closed when the last one completes
        } else if (l->fd >= 0) {
            ::close(l->fd);
            l->fd = -1;
        }
    }
}

void Acceptor::flush() {
    if (!_retry || !_accepting) return;
    _retry = false;
    for (Listener* l : _listeners)
        arm(l);
}

void Acceptor::on_completion(const io_uring_cqe& cqe) {
    switch (op_of(cqe.user_data)) {
        case Op::accept: on_accept(cqe); return;
        case Op::handoff: on_handed_over(cqe); return;
        case Op::handoff_sent: on_handoff_sent(cqe); return;
        default: return;
    }
}

void Acceptor::on_accept(const io_uring_cqe& cqe) {
    AcceptSlot& s = *pointer_of<AcceptSlot>(cqe.user_data);
    Listener* l = s.listener;
    s.armed = false;
    --l->armed;
    --_armed;
    if (s.cancelling) {
        s.cancelling = false;
        --l->cancelling;
    }
    if (cqe.res >= 0) {
        ++_stats.accepted;
        ++_slots_used;
        trim();
        uint32_t slot = uint32_t(cqe.res);
        PeerAddress peer = PeerAddress::from(s.addr, s.len);
        unsigned self = _reactor.id();
        unsigned target = self;
        if (l->balance) {
            // Only the socket's slot, its protocol and 32 bits of address can
            // travel with a handoff (HandoffTag): an IPv6 peer stays on this shard.
            if (peer.is_v6()) {
                ++_stats.adopted_v6;
            } else {
                target = _board.least_loaded(self);
            }
        }
        // Count the connection where it is going right away, so that a burst of
        // accepts spreads out instead of all chasing the same least-loaded shard.
        _board.add(target, 1);
        if (target == self) {
            _adopter.adopt(slot, l->protocol, peer);
        } else {
            handoff(slot, target, l->protocol, peer);
        }
    } else if (cqe.res == -ENFILE || cqe.res == -EMFILE) {
        // Direct-descriptor table full although we counted room (a socket handed
        // to us by another shard took the slot, say): the connection was dropped.
        // Stop accepting until a connection closes, and cancel the other accepts
        // in flight, which would each drop one more.
        if (!_blocked) {
            _blocked = true;
            for (Listener* other : _listeners)
                if (other->armed) cancel_all(other);
        }
        note_table_full();
        _slots_used = std::max(_slots_used, _reactor.direct_files());  // full is full
        ++_stats.accept_errors;
    } else if (cqe.res != -ECANCELED) {
        ++_stats.accept_errors;
        spdlog::warn("shard {}: accept failed: {}", _reactor.id(), std::strerror(-cqe.res));
    }
    if (!_accepting) {
        if (l->armed == 0 && l->fd >= 0) {
            ::close(l->fd);
            l->fd = -1;
        }
        return;
    }
    arm(l);
}

// Moves an accepted socket from our direct-descriptor table into the target
// shard's table with MSG_RING (IORING_MSG_SEND_FD). The target gets a CQE tagged
// with a HandoffTag (protocol and IPv4 address) whose result is the slot it was
// given. liburing 2.3 has no io_uring_prep_msg_ring_fd(), so the SQE is filled in
// by hand: addr selects the command, addr3 is our slot, file_index =
// IORING_FILE_INDEX_ALLOC asks the target to pick a free slot. Our own slot is
// closed by a linked SQE that only runs if the transfer worked.
//
// Our side always completes (Op::handoff_sent) and names a HandoffOp record:
// what a failed handoff needs to keep the connection here (slot, target,
// protocol, address) does not fit in 56 bits of tag next to 32 of address. On
// success the record is recycled; on failure we adopt the connection.
void Acceptor::handoff(uint32_t slot, unsigned target, uint8_t protocol, const PeerAddress& peer) {
    Ring& ring = _reactor.ring();
    if (ring.sq_space() < 2) ring.submit();
    io_uring_sqe* sqe = ring.sq_space() >= 2 ? ring.sqe() : nullptr;
    if (!sqe) {
        keep(slot, target, protocol, peer);
        return;
    }
    HandoffOp* op;
    if (!_free_handoff_ops.empty()) {
        op = _free_handoff_ops.back();
        _free_handoff_ops.pop_back();
    } else {
        op = &_handoff_ops.emplace_back();
    }
    *op = HandoffOp{peer, protocol, uint16_t(target), slot};
    io_uring_prep_rw(IORING_OP_MSG_RING, sqe, _reactor.peer_ring_fd(target),
                     reinterpret_cast<void*>(uintptr_t(IORING_MSG_SEND_FD)), 0,
                     handoff_tag({protocol, peer.is_v4(), peer.v4()}));
    sqe->addr3 = slot;
    sqe->file_index = IORING_FILE_INDEX_ALLOC;
    sqe->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(sqe, tag(Op::handoff_sent, op));

    io_uring_sqe* close_sqe = ring.sqe();
    io_uring_prep_close_direct(close_sqe, slot);
    close_sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(close_sqe, tag(Op::ignore));
    ++_stats.handed_off;
}

void Acceptor::on_handoff_sent(const io_uring_cqe& cqe) {
    HandoffOp* op = pointer_of<HandoffOp>(cqe.user_data);
    HandoffOp h = *op;
    _free_handoff_ops.push_back(op);
    if (cqe.res >= 0) {
        slot_freed();  // the target has it; the linked close releases our slot
        return;
    }
    // The handoff did not go through: the socket is still in our table.
    spdlog::debug("shard {}: handoff to shard {} failed ({}), keeping the connection",
                  _reactor.id(), h.target, std::strerror(-cqe.res));
    keep(h.slot, h.target, h.protocol, h.peer);
}

void Acceptor::keep(uint32_t slot, unsigned counted_for, uint8_t protocol,
                    const PeerAddress& peer) {
    _board.add(counted_for, -1);
    _board.add(_reactor.id(), 1);
    _adopter.adopt(slot, protocol, peer);
}

void Acceptor::adopt_registered(uint32_t slot, uint8_t protocol, const PeerAddress& peer) {
    ++_stats.adopted;
    ++_slots_used;
    _board.add(_reactor.id(), 1);
    _adopter.adopt(slot, protocol, peer);
}

// Another shard gave us a connection; res is the slot in our table.
void Acceptor::on_handed_over(const io_uring_cqe& cqe) {
    if (cqe.res < 0) return;
    ++_stats.adopted;
    ++_slots_used;
    trim();
    HandoffTag h = handoff_of(cqe.user_data);
    _adopter.adopt(uint32_t(cqe.res), h.protocol,
                   h.has_v4 ? PeerAddress::from_v4(h.v4) : PeerAddress{});
}

}  // namespace ringcast

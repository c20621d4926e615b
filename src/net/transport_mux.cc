// Virtual connections, the part of Transport that carries several connections
// over one (net/mux_host.h): opening one without a socket, handing it to its
// host instead of sending, moving its queue into the real connection's queue,
// and closing it. The rest of Transport is in transport.cc and
// transport_close.cc.
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "net/transport.h"

namespace ringcast {

Connection* Transport::open_virtual(uint8_t protocol, const PeerAddress& peer, MuxHost& host) {
    Connection* c = _protocols[protocol]->create_connection();
    c->_protocol = protocol;
    c->_peer = peer;
    c->_serial = _next_serial++;
    c->_last_activity = _reactor.now_ms();
    c->_slot = _virtual.add(c, &host);
    c->_next_all = _all;
    if (_all) _all->_prev_all = c;
    _all = c;
    ++_virtual_count;
    handler(*c).on_open(*c);
    return c;
}

void Transport::detach_virtual(Connection& child) {
    _virtual.detach(child._slot);
    close(child, false);
}

void Transport::mux_ready(Connection& c) {
    if (c._out.empty()) return;
    if (MuxHost* host = _virtual.host(c._slot)) host->child_ready(c);
    c._mux_behind = !c._out.empty();
}

uint64_t Transport::movable_bytes(Connection& child, uint64_t max) {
    const int64_t now = wall_ms();
    if (child._out.front_expired(now)) {
        child._out.take_expired_front(now, &_removed, _chunks);
        report_removed(child, nullptr);
        if (child._out.empty()) {
            child._mux_behind = false;
            queue_emptied(child);
            return 0;
        }
    }
    return child._out.ready_bytes(now, max);
}

void Transport::move_output(Connection* child, Connection& parent, uint64_t n,
                            std::string_view prefix) {
    LocalFramePool& frames = _reactor.frames();
    if (!prefix.empty()) {
        LocalFrame* head = frames.wrap(SharedFrame::copy_of(prefix));
        frames.add_user(head);
        parent._out.push(head, _chunks);
    }
    if (child && n > 0) {
        child->_out.move_front(parent._out, n, frames, _chunks);
        child->_last_activity = _reactor.now_ms();
        if (child->_out.empty()) {
            child->_mux_behind = false;
            queue_emptied(*child);
        }
    }
    mark_dirty(parent);
}

void Transport::discard_front(Connection& c, uint64_t n) {
    if (n == 0) return;
    c._out.consume(n, _reactor.frames(), _chunks);
    if (c._out.empty()) {
        c._mux_behind = false;
        queue_emptied(c);
    }
}

void Transport::close_virtual(Connection& c) {
    const bool clean = c._out.empty();
    c._state = Connection::State::closing;
    MuxHost* host = _virtual.host(c._slot);
    _virtual.remove(c._slot);  // handles find nothing from here on
    _reactor.timers().cancel(&c._timer);
    handler(c).on_closed(c);
    if (host) host->child_closed(c, clean);
    maybe_destroy(c);
}

}  // namespace ringcast

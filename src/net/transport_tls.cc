// TLS connections, the part of Transport that runs them (docs/architecture.md,
// "TLS"). A listener added with Transport::kTlsFlag gives connections whose
// bytes pass through a TlsStream (tls/tls_stream.h) on both sides, and the
// protocol handler above sees exactly what it sees on a plain connection:
// on_open() once the handshake is done, plaintext in on_data(), frames out.
//
// Receive: each multishot receive's buffer is fed to the stream, which
// decrypts in place into a scratch buffer shared by the shard's connections.
//
// Send: the queue holds plaintext frames as for any connection, so the
// slow-reader policy, expiry and ordering are untouched. Where a plain
// connection's send would be one SENDMSG of the queued frames' iovec, a TLS
// connection encrypts that same iovec once (TlsStream::encrypt: records of up
// to 16 KiB) into its ciphertext buffer and sends the buffer; the frames stay
// in flight (the queue policy leaves them alone) until the socket took all of
// that ciphertext, short writes continuing where they stopped, and only then
// are they released (OutQueue::consume). Handshake flights, alerts and the
// close_notify are ciphertext of no frame and go out the same way. One send in
// flight per connection, as for plain ones, so bytes leave in order.
//
// Who makes the records is settled when the handshake ends: the kernel
// (net/transport_ktls.cc), else our sealer for TLS 1.3 (tls.seal,
// tls/record_sealer.h), else OpenSSL's SSL_write; the sealer and SSL_write fill
// the same ciphertext buffer.
//
// Handshakes are bounded per shard (tls.max_handshakes in flight: beyond it a
// new connection is closed at once) and in time (tls.handshake_timeout, on the
// connection's protocol deadline, which no protocol holds before on_open()).
// Every way a handshake ends badly is counted and logged with its reason and
// the peer's address (rate-limited by log_event) and touches no other
// connection.
#include <spdlog/spdlog.h>

#include "core/log_event.h"
#include "core/user_data.h"
#include "net/tls_conn.h"

namespace ringcast {

namespace {

constexpr size_t kTlsScratch = 16384;  // one record's plaintext

std::string conn_id(unsigned shard, uint64_t serial) {
    return fmt::format("c{}-{}", shard, serial);
}

}  // namespace

Transport::TlsConn* Transport::tls_of(const Connection& c) {
    auto it = _tls.find(&c);
    return it == _tls.end() ? nullptr : it->second.get();
}

std::span<char> Transport::tls_scratch() {
    if (!_tls_buffer) _tls_buffer = std::make_unique<char[]>(kTlsScratch);
    return {_tls_buffer.get(), kTlsScratch};
}

bool Transport::tls_begin(Connection& c) {
    const char* refused = nullptr;
    std::unique_ptr<TlsStream> stream;
    if (!_opts.tls) {
        refused = "no_certificate";
    } else if (_stats.tls_handshaking >= _opts.tls_limits.max_handshakes) {
        refused = "max_handshakes";
    } else if (!(stream = TlsStream::accept(_opts.tls, &_cipher_buffers))) {
        refused = "out_of_memory";
    }
    if (refused) {
        ++_stats.tls_refused;
        log_event(spdlog::level::warn, "tls connection refused",
                  {{"reason", refused},
                   {"ip", c.peer().text()},
                   {"conn", conn_id(_reactor.id(), c._serial)},
                   {"limit", uint64_t(_opts.tls_limits.max_handshakes)}});
        c._tls = false;  // no stream: a plain close
        close(c, false);
        return false;
    }
    auto t = std::make_unique<TlsConn>();
    t->stream = std::move(stream);
    _tls.emplace(&c, std::move(t));
    ++_stats.tls_handshaking;
    // The protocol's deadline is free until on_open(): the handshake's.
    set_deadline(c, _reactor.now_ms() + _opts.tls_limits.handshake_timeout_ms);
    return true;
}

void Transport::tls_input(Connection& c, const char* data, size_t len) {
    TlsConn* t = tls_of(c);
    // After a failure the connection is closing (its alert going out): what
    // the peer still sends is not read, nor counted again.
    if (!t || t->stream->failed()) return;
    // Plaintext goes to the protocol while the connection takes it; the rest
    // of this receive is dropped once it closes.
    struct Sink final : PlainSink {
        Transport& tr;
        Connection& c;
        TlsConn& t;
        Sink(Transport& tr_, Connection& c_, TlsConn& t_) : tr(tr_), c(c_), t(t_) {}
        bool on_plain(const char* p, size_t n) override {
            if (!t.opened) tr.tls_established(c, t);
            if (!t.protocol_open || c._close_requested) return false;
            if (c._state != Connection::State::open && c._state != Connection::State::draining)
                return false;
            tr.handler(c).on_data(c, p, n);
            return c._state != Connection::State::closing && !c._close_requested &&
                   c._state != Connection::State::lingering;
        }
    } sink(*this, c, *t);
    const TlsStream::Input r = t->stream->feed(data, len, tls_scratch(), sink);
    if (r != TlsStream::Input::failed && !t->opened && t->stream->established())
        tls_established(c, *t);
    // Once the kernel or the sealer makes the records, OpenSSL's write state
    // is stale: a KeyUpdate the peer asked for (which OpenSSL would send with
    // its next write, and must precede our next record) or anything OpenSSL
    // wrote cannot go out, and without it the peer would wait forever.
    const bool kernel = t->ktls == TlsConn::Ktls::on;
    if ((kernel || t->stream->sealing()) && r != TlsStream::Input::failed &&
        (t->stream->key_update_pending() ||
         (kernel ? t->stream->has_output() : t->stream->openssl_wrote()))) {
        ++_stats.tls_errors;
        log_event(
            spdlog::level::info, "tls connection failed",
            {{"reason", kernel ? "the peer asked for a key update, which kernel TLS cannot send"
                               : "the peer asked for a key update, which the sealer "
                                 "(tls.seal) does not send"},
             {"ip", c.peer().text()},
             {"conn", conn_id(_reactor.id(), c._serial)}});
        close(c, false);
        return;
    }
    if (t->stream->has_output() && t->ktls != TlsConn::Ktls::on) mark_dirty(c, true);
    if (r == TlsStream::Input::failed) {
        const bool handshaking = !t->opened;
        if (handshaking) {
            ++_stats.tls_handshake_failures;
        } else {
            ++_stats.tls_errors;
        }
        log_event(spdlog::level::info,
                  handshaking ? "tls handshake failed" : "tls connection failed",
                  {{"reason", t->stream->reason()},
                   {"ip", c.peer().text()},
                   {"conn", conn_id(_reactor.id(), c._serial)}});
        close(c, true);  // the alert OpenSSL queued goes out first
    } else if (r == TlsStream::Input::closed && c._state != Connection::State::closing &&
               c._state != Connection::State::lingering && !c._close_requested) {
        tls_peer_eof(c);  // close_notify: the peer sends no more
    }
}

void Transport::tls_established(Connection& c, TlsConn& t) {
    t.opened = true;
    if (t.stream->ktls_capable()) {
        t.ktls = TlsConn::Ktls::wanted;
        mark_dirty(c, true);  // the switch starts from flush(), output or not
    } else if (t.stream->seal_capable()) {
        tls_seal_start(c, t, nullptr);  // at once: our records follow OpenSSL's in the output
    }
    --_stats.tls_handshaking;
    ++_stats.tls_open;
    ++_stats.tls_handshakes;
    if (t.stream->resumed()) ++_stats.tls_resumed;
    c._deadline = 0;  // the handshake's; the protocol sets its own
    if (log_enabled(spdlog::level::debug))
        log_event(spdlog::level::debug, "tls established",
                  {{"ip", c.peer().text()},
                   {"conn", conn_id(_reactor.id(), c._serial)},
                   {"version", t.stream->version()},
                   {"alpn", t.stream->alpn()},
                   {"resumed", t.stream->resumed() ? "yes" : "no"}});
    // A connection closed meanwhile (a shutdown began) is not the protocol's.
    if (!c.is_open()) return;
    t.protocol_open = true;
    handler(c).on_open(c);
    // What the protocol queued before the handshake ended (nothing, usually).
    if (!c._out.empty()) mark_dirty(c);
}

void Transport::tls_seal_start(Connection& c, TlsConn& t, const KtlsTx* exported) {
    std::string why_not;
    const bool sealing =
        exported ? t.stream->start_sealing(*exported, &why_not) : t.stream->start_sealing(&why_not);
    if (sealing) {
        ++_stats.tls_sealed;
        return;
    }
    if (log_enabled(spdlog::level::debug))
        log_event(spdlog::level::debug, "tls records made by OpenSSL",
                  {{"reason", why_not},
                   {"ip", c.peer().text()},
                   {"conn", conn_id(_reactor.id(), c._serial)}});
}

void Transport::tls_peer_eof(Connection& c) {
    TlsConn* t = tls_of(c);
    if (t && t->protocol_open) {
        handler(c).on_peer_eof(c);
        return;
    }
    if (t && t->opened) {  // done, but closing before the protocol saw it
        close(c, false);
        return;
    }
    if (t && t->stream->failed()) {  // counted and logged already
        close(c, false);
        return;
    }
    ++_stats.tls_handshake_failures;
    log_event(spdlog::level::info, "tls handshake failed",
              {{"reason", "peer closed during the handshake"},
               {"ip", c.peer().text()},
               {"conn", conn_id(_reactor.id(), c._serial)}});
    close(c, false);
}

void Transport::tls_handshake_timeout(Connection& c) {
    ++_stats.tls_handshake_timeouts;
    log_event(spdlog::level::info, "tls handshake timed out",
              {{"reason", "handshake_timeout"},
               {"ip", c.peer().text()},
               {"conn", conn_id(_reactor.id(), c._serial)},
               {"timeout_ms", _opts.tls_limits.handshake_timeout_ms}});
    close(c, false);
}

void Transport::tls_closing(Connection& c) {
    TlsConn* t = tls_of(c);
    if (!t) return;
    if (t->ktls == TlsConn::Ktls::on) --_stats.tls_ktls;
    if (t->stream->sealing()) --_stats.tls_sealed;
    if (t->opened) {
        --_stats.tls_open;
    } else {
        --_stats.tls_handshaking;
    }
}

bool Transport::tls_wants_flush(const Connection& c) {
    TlsConn* t = tls_of(c);
    if (!t) return false;
    if (t->ktls == TlsConn::Ktls::on) return t->alert != TlsConn::Alert::sent;
    const TlsStream& s = *t->stream;
    return s.has_output() || (s.established() && !s.close_notify_queued());
}

bool Transport::tls_close_notify(Connection& c) {
    TlsConn* t = tls_of(c);
    if (t && t->ktls == TlsConn::Ktls::on) {
        if (t->alert != TlsConn::Alert::none) return false;
        t->alert = TlsConn::Alert::queued;  // submit_ktls_send() sends it
        mark_dirty(c, true);
        return true;
    }
    if (t && t->ktls == TlsConn::Ktls::switching) {
        // The descriptor's answer decides the path; the close_notify follows.
        return true;
    }
    if (t) t->ktls = TlsConn::Ktls::none;  // a closing connection stays where it is
    if (!t || !t->stream->established() || t->stream->close_notify_queued()) return false;
    t->stream->close_notify();
    mark_dirty(c, true);
    return true;
}

bool Transport::submit_tls_send(Connection& c, int64_t now_wall_ms) {
    if (c._mux_parent) now_wall_ms = 0;  // framed bytes: none may be skipped (set_mux_parent)
    TlsConn* t = tls_of(c);
    if (!t) return false;
    TlsStream& s = *t->stream;
    switch (t->ktls) {
        case TlsConn::Ktls::on: return submit_ktls_send(c, *t, now_wall_ms);
        case TlsConn::Ktls::switching: return false;  // the queue waits for the kernel
        case TlsConn::Ktls::wanted:
            // Once the handshake's last ciphertext is out (no new record is
            // made before), the kernel takes over; or this stays in user space.
            if (!s.has_output() && c._out.in_flight() == 0 && ktls_start(c, *t)) return true;
            break;
        case TlsConn::Ktls::none: break;
    }
    // New records only once the last ciphertext buffer went whole: the frames
    // in flight are then exactly those of the buffer being sent.
    if (t->ktls == TlsConn::Ktls::none && !s.sending() && c._out.in_flight() == 0 &&
        !c._out.empty() && s.established() && !s.close_notify_queued()) {
        if (c._out.front_expired(now_wall_ms)) {
            c._out.take_expired_front(now_wall_ms, &_removed, _chunks);
            report_removed(c, nullptr);
        }
        if (!c._out.empty()) {
            iovec iov[kMaxIov];
            size_t total = 0;
            unsigned n = c._out.gather(iov, kMaxIov, &total, now_wall_ms, _opts.queue.soft / 2);
            if (!s.encrypt(iov, n, tls_scratch())) {
                ++_stats.tls_errors;
                log_event(spdlog::level::warn, "tls connection failed",
                          {{"reason", s.reason()},
                           {"ip", c.peer().text()},
                           {"conn", conn_id(_reactor.id(), c._serial)}});
                close(c, false);
                return false;
            }
            c._out.set_in_flight(n);
            t->plain_in_flight = total;
            _stats.send_frames += n;
        }
    }
    if (!s.has_output()) {
        // Expired frames were all there was: as a send that wrote the rest.
        // (Before the handshake is done the protocol has not seen c yet.)
        if (c._out.empty() && (t->protocol_open || c._state != Connection::State::open))
            queue_emptied(c);
        return false;
    }
    io_uring_sqe* sqe = _reactor.ring().sqe();
    if (!sqe) {
        mark_dirty(c);
        return false;
    }
    const std::span<const char> out = s.next_output();
    io_uring_prep_send(sqe, int(c._slot), out.data(), out.size(), MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, tag(Op::send, &c));
    sqe->flags |= IOSQE_FIXED_FILE;
    c._tls_send = true;
    op_started(c);
    c._send_started = _reactor.now_ms();
    ++_inflight_sends;
    ++_stats.sends;
    const uint64_t stall_at = c._send_started + _opts.write_timeout_ms;
    if (!c._timer.linked() || c._timer.expiry > stall_at)
        _reactor.timers().schedule(&c._timer, stall_at);
    return true;
}

void Transport::on_tls_send(Connection& c, const io_uring_cqe& cqe) {
    --_inflight_sends;
    c._tls_send = false;
    TlsConn* t = tls_of(c);
    const int res = cqe.res;
    if (res < 0 || !t) {
        c._out.set_in_flight(0);
        close(c, false);  // EPIPE, ECONNRESET, ECANCELED: the peer is gone
    } else {
        _stats.bytes_sent += uint64_t(res);
        c._last_activity = _reactor.now_ms();
        if (t->stream->sent(size_t(res))) {
            // The ciphertext holding the frames in flight is all out.
            if (c._out.in_flight() > 0) {
                c._out.consume(t->plain_in_flight, _reactor.frames(), _chunks);
                t->plain_in_flight = 0;
            }
        } else {
            ++_stats.short_sends;
        }
        if (c._state == Connection::State::closing) {
            // nothing: maybe_destroy below
        } else if (t->stream->has_output() || !c._out.empty()) {
            mark_dirty(c);
        } else if (t->protocol_open || c._state != Connection::State::open) {
            queue_emptied(c);
        }
    }
    op_ended(c);
    maybe_destroy(c);
}

}  // namespace ringcast

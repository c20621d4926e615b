// kTLS transmit, the part of Transport that hands a TLS connection's sending
// side to the kernel (docs/architecture.md, "TLS"; tls/ktls_tx.h for the keys).
//
// Where the kernel has the tls module and tls.ktls is "auto", each TLS 1.3
// connection goes: handshake in user space as always (net/transport_tls.cc) →
// `wanted`: the handshake's last ciphertext (the session ticket) is sent and no
// new record is made → `switching`: the keys are exported, the direct
// descriptor is installed as a file descriptor (IORING_OP_FIXED_FD_INSTALL,
// Linux 6.8) and given TCP_ULP "tls" and TLS_TX, then closed → `on`: the
// queue's frames go out as plain sends of the same iovec a plain connection
// sends (the shared frame bytes, not a copy per connection), and the kernel
// encrypts them. Receiving stays in user space (OpenSSL decrypts what the
// peer sends). close_notify goes out as an alert record (sendmsg with a
// TLS_SET_RECORD_TYPE control message).
//
// Any step refused (TLS 1.2 or another suite, an older kernel, the kernel
// refusing the keys) leaves the connection in user space, where nothing was
// changed: counted (tls.ktlsFallbacks) and logged at debug, or at info with
// the kernel's reason when the kernel refused.
#include <netinet/tcp.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "core/log_event.h"
#include "core/uring_cmd.h"
#include "core/user_data.h"
#include "net/tls_conn.h"

namespace ringcast {

namespace {

constexpr unsigned char kAlertRecord = 21;  // TLS content type "alert"

}  // namespace

bool Transport::ktls_on(const Connection& c) {
    const TlsConn* t = tls_of(c);
    return t && t->ktls == TlsConn::Ktls::on;
}

bool Transport::ktls_start(Connection& c, TlsConn& t) {
    std::string why_not;
    auto tx = std::make_unique<KtlsTx>();
    bool exported = false;
    if (c._state != Connection::State::open || c._close_requested) {
        why_not = "closing";
    } else if ((exported = t.stream->export_ktls_tx(tx.get(), &why_not))) {
        io_uring_sqe* sqe = _reactor.ring().sqe();
        if (sqe) {
            prep_fixed_fd_install(sqe, int(c._slot));
            io_uring_sqe_set_data64(sqe, tag(Op::ktls_fd, &c));
            op_started(c);
            t.ktls_tx = std::move(tx);
            t.ktls = TlsConn::Ktls::switching;
            return true;
        }
        why_not = "submission queue full";
    }
    t.ktls = TlsConn::Ktls::none;
    ++_stats.tls_ktls_fallbacks;
    if (log_enabled(spdlog::level::debug))
        log_event(spdlog::level::debug, "tls stays in user space",
                  {{"reason", why_not},
                   {"ip", c.peer().text()},
                   {"conn", fmt::format("c{}-{}", _reactor.id(), c._serial)}});
    // The keys are out already: user space seals with them (tls.seal).
    if (exported) tls_seal_start(c, t, tx.get());
    return false;
}

void Transport::on_ktls_fd(Connection& c, const io_uring_cqe& cqe) {
    op_ended(c);
    TlsConn* t = tls_of(c);
    const int fd = cqe.res;
    std::string refused;
    if (c._state == Connection::State::closing || !t) {
        if (fd >= 0) ::close(fd);
        maybe_destroy(c);
        return;
    }
    if (fd < 0) {
        refused = fmt::format("cannot install a descriptor (Linux 6.8): {}", strerror(-fd));
    } else if (t->stream->has_output()) {
        // OpenSSL wrote meanwhile (a KeyUpdate answer): the exported sequence
        // number is stale, and user space goes on from where it is.
        refused = "OpenSSL wrote during the switch";
    } else if (!ktls_enable_tx(fd, *t->ktls_tx, &refused)) {
        // The kernel said why in `refused`.
    }
    if (fd >= 0) ::close(fd);  // the slot keeps the socket
    if (refused.empty()) {
        t->ktls = TlsConn::Ktls::on;
        ++_stats.tls_ktls;
    } else {
        t->ktls = TlsConn::Ktls::none;
        ++_stats.tls_ktls_fallbacks;
        log_event(spdlog::level::info, "tls stays in user space",
                  {{"reason", refused},
                   {"ip", c.peer().text()},
                   {"conn", fmt::format("c{}-{}", _reactor.id(), c._serial)}});
        // The exported state is still OpenSSL's next record unless it wrote
        // meanwhile: user space seals with it (tls.seal).
        if (!t->stream->has_output()) tls_seal_start(c, *t, t->ktls_tx.get());
    }
    t->ktls_tx.reset();  // the key is wiped
    // What waited for the switch: the queue, or a close_notify (a drain or a
    // linger that found nothing queued).
    if (!c._out.empty() || t->stream->has_output()) {
        mark_dirty(c);
    } else if (c._state != Connection::State::open) {
        queue_emptied(c);
    }
}

bool Transport::submit_ktls_send(Connection& c, TlsConn& t, int64_t now_wall_ms) {
    if (sending(c)) return false;
    if (!c._out.empty()) {
        submit_send(c, now_wall_ms);  // the plain path: the kernel encrypts
        return true;
    }
    if (t.alert != TlsConn::Alert::queued) return false;
    io_uring_sqe* sqe = _reactor.ring().sqe();
    if (!sqe) {
        mark_dirty(c);
        return false;
    }
    t.alert_send = std::make_unique<TlsConn::AlertSend>();
    TlsConn::AlertSend& a = *t.alert_send;
    a.iov = {a.body, sizeof a.body};
    a.msg.msg_iov = &a.iov;
    a.msg.msg_iovlen = 1;
    a.msg.msg_control = a.control;
    a.msg.msg_controllen = sizeof a.control;
    cmsghdr* cm = CMSG_FIRSTHDR(&a.msg);
    cm->cmsg_level = SOL_TLS;
    cm->cmsg_type = TLS_SET_RECORD_TYPE;
    cm->cmsg_len = CMSG_LEN(1);
    *CMSG_DATA(cm) = kAlertRecord;
    io_uring_prep_sendmsg(sqe, int(c._slot), &a.msg, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, tag(Op::ktls_alert, &c));
    sqe->flags |= IOSQE_FIXED_FILE;
    t.alert = TlsConn::Alert::sending;
    c._tls_send = true;  // sending(c): nothing else goes out meanwhile
    op_started(c);
    ++_inflight_sends;
    ++_stats.sends;
    return true;
}

void Transport::on_ktls_alert(Connection& c, const io_uring_cqe& cqe) {
    --_inflight_sends;
    c._tls_send = false;
    op_ended(c);
    TlsConn* t = tls_of(c);
    if (t) {
        t->alert = TlsConn::Alert::sent;
        t->alert_send.reset();
    }
    if (cqe.res < 0) {
        close(c, false);  // the peer is gone
    } else if (c._state != Connection::State::closing) {
        _stats.bytes_sent += uint64_t(cqe.res);
        queue_emptied(c);  // the close goes on, as after a close_notify in user space
    }
    maybe_destroy(c);
}

}  // namespace ringcast

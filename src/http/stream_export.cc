#include "http/stream_export.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "pubsub/sse_format.h"

namespace ringcast {

StreamExport::StreamExport(Reactor& reactor, Transport& transport, SseStreams& streams,
                           uint8_t protocol)
    : _reactor(reactor)
    , _transport(transport)
    , _streams(streams)
    , _protocol(protocol)
    , _random(uint32_t(wall_ms()) ^ (reactor.id() * 2654435761u)) {}

StreamExport::~StreamExport() {
    for (HandedStream& s : _ready)
        if (s.fd >= 0) ::close(s.fd);
}

void StreamExport::begin(bool carry, uint64_t flush_timeout_ms, uint32_t retry_spread_ms) {
    if (_begun) return;
    _begun = true;
    _retry_spread_ms = retry_spread_ms;
    _deadline_ms = _reactor.now_ms() + flush_timeout_ms;
    _transport.for_each_connection([&](Connection& base) {
        if (base.protocol() != _protocol || !base.is_open() || !_streams.is_stream(base)) return;
        auto& c = static_cast<HttpConnection&>(base);
        Pending p;
        p.handle = Transport::handle(c);
        // A TLS stream's keys and record numbers live in this process's
        // OpenSSL only: it ends with a retry, and its client reconnects (a
        // full handshake: the new daemon has new ticket keys). An HTTP/2
        // stream shares its socket with the others of its connection: it
        // cannot be handed over alone either, so it reconnects (its
        // connection gets GOAWAY: HttpServer::begin_handover).
        if (carry && !Transport::is_tls(c) && !Transport::is_virtual(c) &&
            _streams.freeze(c, &p.state)) {
            _pending.emplace(c.serial(), std::move(p));
        } else {
            end_with_retry(c);
        }
    });
    poll();
}

void StreamExport::poll() {
    if (_pending.empty()) return;
    const bool late = _reactor.now_ms() >= _deadline_ms;
    size_t late_count = 0;
    for (auto it = _pending.begin(); it != _pending.end();) {
        Pending& p = it->second;
        auto* c = static_cast<HttpConnection*>(_transport.find(p.handle));
        if (!c || !c->is_open()) {    // closed meanwhile (the client left, say): the
            it = _pending.erase(it);  // transport closes an fd installed for it
            continue;
        }
        if (!p.installing) {
            if (Transport::output_idle(*c)) {
                p.installing = _transport.install_fd(*c);
            } else if (late) {
                ++late_count;
                end_with_retry(*c);
                it = _pending.erase(it);
                continue;
            }
        }
        ++it;
    }
    if (late_count)
        spdlog::warn(
            "shard {}: upgrade: {} streams still had unwritten events after the flush bound; "
            "they reconnect and resume with Last-Event-ID",
            _reactor.id(), late_count);
}

void StreamExport::on_fd_installed(HttpConnection& c, int fd) {
    auto it = _pending.find(c.serial());
    if (it == _pending.end()) {  // not ours (cannot happen): keep nothing open
        if (fd >= 0) ::close(fd);
        return;
    }
    HandedStream state = std::move(it->second.state);
    _pending.erase(it);
    if (fd < 0) {
        spdlog::warn(
            "shard {}: upgrade: the kernel did not give the stream's socket back ({}); "
            "it reconnects instead",
            _reactor.id(), fd);
        end_with_retry(c);
        return;
    }
    state.fd = fd;
    _ready.push_back(std::move(state));
    // The direct descriptor goes; the socket stays open in `fd`, and nothing
    // reaches the peer (no shutdown, no reset: the file has another reference).
    _transport.close(c, false);
}

void StreamExport::end_with_retry(HttpConnection& c) {
    const uint32_t ms =
        _retry_spread_ms ? uint32_t(_random() % (uint64_t(_retry_spread_ms) + 1)) : 0;
    _transport.send_copy(c, sse_retry(ms));
    _transport.close(c, true);
}

}  // namespace ringcast

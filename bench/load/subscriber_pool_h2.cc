// The HTTP/2 connections of the subscriber pool (--h2): each Link is one
// socket (with TLS and ALPN h2 under --tls-target, else h2c with prior
// knowledge) and one nghttp2 client session carrying PoolConfig::h2_streams
// streams. A stream's DATA goes to on_stream_bytes, as an HTTP/1.1 stream's
// bytes after its head, so every figure means the same for both protocols.
//
// A link is the unit of connecting: the link is set up once each of its
// streams has its `connected` event, and an attempt that fails before any of
// them has it (refused, reset, TLS failure, timeout) is retried whole, up to
// --connect-retries. A stream refused or answered with anything but a 200
// event stream fails the run at once, as a non-200 answer does over HTTP/1.1.
// After that, the link closing ends each of its streams (disconnects).
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include <fmt/format.h>

#include "subscriber_pool.h"

namespace ringcast::load {

void SubscriberPool::make_links() {
    const uint32_t per = _cfg.h2_streams;
    for (uint32_t first = 0; first < _cfg.count; first += per) {
        Link& k = _links.emplace_back();
        k.first = first;
        k.count = std::min(per, _cfg.count - first);
        _pending.push_back(uint32_t(_links.size() - 1));
    }
}

void SubscriberPool::set_link_state(Link& k, State s) {
    k.state = s;
    for (uint32_t i = k.first; i < k.first + k.count; ++i)
        _conns[i].state = s;
}

void SubscriberPool::close_link(Link& k) {
    if (k.fd >= 0) ::close(k.fd);  // closing also removes it from the epoll set
    k.fd = -1;
    k.session.reset();
    k.tls.reset();
    k.out.clear();
    k.broken.clear();
}

// --- connect phase -----------------------------------------------------------------

void SubscriberPool::start_link(uint32_t l, uint64_t now) {
    Link& k = _links[l];
    set_link_state(k, State::connecting);
    k.started_ns = now;
    k.waiting = k.count;
    for (uint32_t i = k.first; i < k.first + k.count; ++i) {
        Conn& c = _conns[i];
        c.started_ns = now;
        c.carry.clear();
        c.h2_id = 0;
        c.h2_status = 0;
    }
    _inflight_count += k.count;
    _inflight.emplace_back(l, now);
    if (!_result.first_attempt_ns) _result.first_attempt_ns = now;

    std::string error;
    bool for_good = false;
    k.fd = open_socket(_cfg.first_index / _cfg.h2_streams + l, l, &error, &for_good);
    if (k.fd >= 0) return;
    if (for_good) {
        link_failed_for_good(l, error);
    } else {
        link_attempt_failed(l, error, now);
    }
}

void SubscriberPool::link_attempt_failed(uint32_t l, std::string why, uint64_t now) {
    Link& k = _links[l];
    if (k.waiting < k.count) {
        // Its connected streams may have had events: a new attempt would count
        // them again. Not worth the bookkeeping for what the server broke.
        link_failed_for_good(l, fmt::format("{} after {} of its {} streams were connected", why,
                                            k.count - k.waiting, k.count));
        return;
    }
    for (uint32_t i = k.first; i < k.first + k.count; ++i)
        if (setting_up(_conns[i])) --_inflight_count;
    close_link(k);
    _last_error = why;
    if (++k.attempts > _cfg.retries) {
        link_failed_for_good(l, why);
        return;
    }
    ++_result.retries;
    set_link_state(k, State::idle);
    k.started_ns = now + kRetryBackoffNs * k.attempts;
    _pending.push_back(l);
}

void SubscriberPool::link_failed_for_good(uint32_t l, std::string why) {
    Link& k = _links[l];
    close_link(k);
    set_link_state(k, State::failed);
    if (_failure.empty()) {
        const uint64_t first = _cfg.first_index + k.first;
        _failure =
            fmt::format("HTTP/2 connection #{} (streams #{}..#{}) failed after {} attempt{}: {}",
                        _cfg.first_index / _cfg.h2_streams + l, first, first + k.count - 1,
                        k.attempts ? k.attempts : 1, k.attempts > 1 ? "s" : "", why);
    }
}

void SubscriberPool::check_link_timeouts(uint64_t now) {
    while (!_inflight.empty()) {
        auto [l, started] = _inflight.front();
        const Link& k = _links[l];
        if (k.started_ns != started || !link_setting_up(k)) {
            _inflight.pop_front();
            continue;
        }
        if (now < started + _cfg.handshake_timeout_ns) return;
        _inflight.pop_front();
        std::string what = k.state == State::connecting      ? "TCP connect"
                           : k.state == State::tls_handshake ? "the TLS handshake"
                                                             : fmt::format(
                                                                   "the responses and connected "
                                                                   "events of its streams ({} of "
                                                                   "{} connected)",
                                                                   k.count - k.waiting, k.count);
        link_attempt_failed(l,
                            fmt::format("timed out waiting for {} ({:.1f} s)", what,
                                        double(_cfg.handshake_timeout_ns) / 1e9),
                            now);
    }
}

// --- socket events -------------------------------------------------------------------

void SubscriberPool::on_link_ready(uint32_t l, uint32_t events, uint64_t now) {
    if (l >= _links.size()) return;
    Link& k = _links[l];
    if (k.fd < 0) return;  // closed earlier in this batch
    if (k.state == State::connecting) {
        on_link_writable(l, now);
        return;
    }
    // The socket stays registered for EPOLLOUT (edge-triggered): a write the
    // socket did not take whole is finished on the next edge.
    if ((events & EPOLLOUT) && !k.out.empty() && !flush_link(l, now)) return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_link_readable(l, now);
}

void SubscriberPool::on_link_writable(uint32_t l, uint64_t now) {
    Link& k = _links[l];
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(k.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        link_attempt_failed(l, fmt::format("connect: {}", std::strerror(err)), now);
        return;
    }
    if (!_tls) {
        start_session(l, now);  // h2c: the preface goes first, no upgrade
        return;
    }
    k.tls = std::make_unique<TlsStream>(*_tls);
    set_link_state(k, State::tls_handshake);
    if (k.tls->handshake() < 0) {
        link_attempt_failed(l, k.tls->error(), now);
        return;
    }
    flush_link(l, now);  // the ClientHello
}

void SubscriberPool::start_session(uint32_t l, uint64_t now) {
    Link& k = _links[l];
    H2ClientSession::Handler& handler = *this;  // a private base: converted here
    k.session = std::make_unique<H2ClientSession>(handler, l);
    const std::string_view scheme = k.tls ? "https" : "http";
    for (uint32_t i = k.first; i < k.first + k.count; ++i) {
        const StreamRequest& r = _cfg.requests[(_cfg.first_index + i) % _cfg.requests.size()];
        int32_t id = k.session->submit_get(r, scheme, i);
        if (id < 0) {
            link_failed_for_good(l, k.session->error());
            return;
        }
        _conns[i].h2_id = id;
    }
    set_link_state(k, State::head);
    flush_link(l, now);  // preface, SETTINGS, WINDOW_UPDATE, the HEADERS
}

bool SubscriberPool::flush_link(uint32_t l, uint64_t now) {
    Link& k = _links[l];
    if (k.session) {
        if (!k.tls) {
            if (!k.session->take_output(&k.out)) {
                link_closed(l, k.session->error(), now);
                return false;
            }
        } else {
            _h2_plain.clear();
            if (!k.session->take_output(&_h2_plain)) {
                link_closed(l, k.session->error(), now);
                return false;
            }
            if (!_h2_plain.empty() && !k.tls->write(_h2_plain)) {
                link_closed(l, k.tls->error(), now);
                return false;
            }
        }
    }
    if (k.tls) k.out += k.tls->take_output();
    size_t sent = 0;
    while (sent < k.out.size()) {
        ssize_t n = send(k.fd, k.out.data() + sent, k.out.size() - sent, MSG_NOSIGNAL);
        if (n >= 0) {
            sent += size_t(n);
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN) break;  // the next EPOLLOUT edge sends the rest
        link_closed(l, fmt::format("sending: {}", std::strerror(errno)), now);
        return false;
    }
    k.out.erase(0, sent);
    return true;
}

// Read until empty, as on_readable (subscriber_pool.cc) does for HTTP/1.1.
void SubscriberPool::on_link_readable(uint32_t l, uint64_t now) {
    Link& k = _links[l];
    for (;;) {
        uint64_t at = 0;
        ssize_t n = receive(k.fd, &at);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return;
            link_closed(l, n == 0 ? "closed by the server" : std::strerror(errno), now);
            return;
        }
        on_link_bytes(l, _buf.data(), size_t(n), at);
        if (size_t(n) < _buf.size() || k.fd < 0) return;
    }
}

void SubscriberPool::on_link_bytes(uint32_t l, const char* data, size_t len, uint64_t now) {
    Link& k = _links[l];
    if (!k.tls) {
        feed_session(l, data, len, now);
        return;
    }
    k.tls->feed(data, len);
    if (k.state == State::tls_handshake) {
        int r = k.tls->handshake();
        if (r < 0) {
            link_attempt_failed(l, k.tls->error(), now);
            return;
        }
        if (!flush_link(l, now) || r == 0) return;
        ++_result.tls_handshakes;
        if (k.tls->resumed()) ++_result.tls_resumed;
        std::string alpn = k.tls->alpn();
        if (alpn != "h2") {
            link_failed_for_good(
                l, fmt::format("the server did not choose HTTP/2 by ALPN ({}): is [http2] "
                               "enabled on its TLS listener?",
                               alpn.empty() ? "it chose no protocol" : "it chose " + alpn));
            return;
        }
        start_session(l, now);
    }
    // The handlers may close the link (k.tls goes with it).
    while (k.tls && k.fd >= 0) {
        long n = k.tls->read(_plain.data(), _plain.size());
        if (n == 0) return;
        if (n < 0) {
            link_closed(l, k.tls->error(), now);
            return;
        }
        feed_session(l, _plain.data(), size_t(n), now);
    }
}

void SubscriberPool::feed_session(uint32_t l, const char* data, size_t len, uint64_t now) {
    Link& k = _links[l];
    _now_ns = now;
    if (!k.session->feed(data, len)) {
        link_closed(l, k.session->error(), now);
        return;
    }
    if (!k.broken.empty()) {
        std::string why = std::move(k.broken);  // closing the link clears it
        link_failed_for_good(l, why);
        return;
    }
    // SETTINGS and PING acknowledgements, WINDOW_UPDATEs; a GOAWAY if the session ended.
    if (flush_link(l, now) && k.session->finished()) link_closed(l, k.session->error(), now);
}

void SubscriberPool::link_closed(uint32_t l, const std::string& why, uint64_t now) {
    Link& k = _links[l];
    std::string reason = why;
    if (k.session && k.session->goaway())
        reason += fmt::format(" (after a GOAWAY, {})",
                              H2ClientSession::error_name(k.session->goaway_error()));
    if (k.state != State::stream) {
        link_attempt_failed(l, reason, now);
        return;
    }
    for (uint32_t i = k.first; i < k.first + k.count; ++i)
        if (_conns[i].state == State::stream) end_stream(i, reason);
    close_link(k);
    k.state = State::closed;
}

// --- the session's callbacks (inside feed_session: no link may close here) ---------

void SubscriberPool::on_h2_settings(uint32_t l, uint32_t max_streams) {
    Link& k = _links[l];
    if (max_streams < k.count && k.broken.empty())
        k.broken = fmt::format(
            "the server allows {} streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS) and "
            "--h2 asks for {}: lower --h2, or raise the server's limit (ringcastd: [http2] "
            "max_concurrent_streams)",
            max_streams, _cfg.h2_streams);
}

void SubscriberPool::on_h2_response(uint32_t i, int status, std::string_view content_type,
                                    std::string_view server) {
    Conn& c = _conns[i];
    if (c.state != State::head) return;
    if (status != 200) {
        c.h2_status = uint16_t(status);  // failed at the stream's end, with its body
        return;
    }
    std::string type(content_type);
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char ch) { return char(std::tolower(ch)); });
    if (type.find("text/event-stream") == std::string::npos) {
        fail_for_good(i, "the response is not Content-Type: text/event-stream");
        return;
    }
    if (_server.empty()) _server = server;
    c.state = State::stream;
}

void SubscriberPool::on_h2_data(uint32_t i, const char* data, size_t len) {
    Conn& c = _conns[i];
    if (c.state == State::stream) {
        on_stream_bytes(i, data, len, _now_ns);
    } else if (c.state == State::head && c.h2_status && c.carry.size() < 300) {
        c.carry.append(data, std::min(len, 300 - c.carry.size()));
    }
}

void SubscriberPool::on_h2_closed(uint32_t i, uint32_t error_code) {
    Conn& c = _conns[i];
    std::string why = error_code ? fmt::format("the server reset the stream ({})",
                                               H2ClientSession::error_name(error_code))
                                 : std::string("the server ended the stream");
    if (c.state == State::stream && c.connected) {
        end_stream(i, why);
    } else if (c.state == State::head && c.h2_status) {
        fail_for_good(i, fmt::format("the server answered HTTP {}: {}", c.h2_status, c.carry));
    } else if (c.state == State::head || c.state == State::stream) {
        fail_for_good(i, why + " before the connected event");
    }
}

}  // namespace ringcast::load

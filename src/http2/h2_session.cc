#include "http2/h2_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log_event.h"

namespace ringcast {

struct H2Session::Stream {
    explicit Stream(int32_t id_, uint32_t max_header_list) : id(id_), request(max_header_list) {}
    int32_t id;
    Connection* child = nullptr;  // null once closed
    H2Request request;
    ResponseHead head;
    int64_t body_left = -1;  // bytes of the body still to go; -1: until the child closes
    bool head_sent = false;  // HEADERS submitted
    bool ended = false;      // END_STREAM or RST_STREAM submitted
    bool clean = false;      // the child closed with its queue fully taken
    bool remote_done = false;
    bool deferred = false;  // the data provider waits for resume_data
};

// nghttp2's C callbacks, forwarding to the session.
struct H2Callbacks {
    static H2Session& self(void* u) { return *static_cast<H2Session*>(u); }

    static ssize_t send(nghttp2_session*, const uint8_t* data, size_t len, int, void* u) {
        self(u)._pending.append(reinterpret_cast<const char*>(data), len);
        return ssize_t(len);
    }
    static int send_data(nghttp2_session*, nghttp2_frame* f, const uint8_t* framehd, size_t len,
                         nghttp2_data_source* src, void* u) {
        return self(u).send_data(*static_cast<H2Session::Stream*>(src->ptr), framehd, len,
                                 f->hd.flags);
    }
    static ssize_t read(nghttp2_session*, int32_t, uint8_t*, size_t length, uint32_t* flags,
                        nghttp2_data_source* src, void* u) {
        return self(u).read_data(*static_cast<H2Session::Stream*>(src->ptr), length, flags);
    }
    static bool request_headers(const nghttp2_frame* f) {
        return f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST;
    }
    static int begin_headers(nghttp2_session*, const nghttp2_frame* f, void* u) {
        return request_headers(f) ? self(u).begin_headers(f->hd.stream_id) : 0;
    }
    static int header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t namelen,
                      const uint8_t* value, size_t valuelen, uint8_t, void* u) {
        if (!request_headers(f)) return 0;  // trailers: not passed on
        return self(u).header(f->hd.stream_id, {reinterpret_cast<const char*>(name), namelen},
                              {reinterpret_cast<const char*>(value), valuelen});
    }
    static int frame_recv(nghttp2_session*, const nghttp2_frame* f, void* u) {
        if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat != NGHTTP2_HCAT_REQUEST &&
            !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
            return 0;
        return self(u).frame_received(f->hd.stream_id, f->hd.type, f->hd.flags);
    }
    static int data_chunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                          void* u) {
        return self(u).data_chunk(id, data, len);
    }
    static int stream_close(nghttp2_session*, int32_t id, uint32_t error_code, void* u) {
        return self(u).stream_closed(id, error_code);
    }
    static int frame_send(nghttp2_session*, const nghttp2_frame* f, void* u) {
        uint32_t code = 0;
        if (f->hd.type == NGHTTP2_GOAWAY) code = f->goaway.error_code;
        if (f->hd.type == NGHTTP2_RST_STREAM) code = f->rst_stream.error_code;
        self(u).frame_sent(f->hd.type, code);
        return 0;
    }

    static const nghttp2_session_callbacks* get() {
        static const nghttp2_session_callbacks* cbs = [] {
            nghttp2_session_callbacks* c = nullptr;
            nghttp2_session_callbacks_new(&c);
            nghttp2_session_callbacks_set_send_callback(c, send);
            nghttp2_session_callbacks_set_send_data_callback(c, send_data);
            nghttp2_session_callbacks_set_on_begin_headers_callback(c, begin_headers);
            nghttp2_session_callbacks_set_on_header_callback(c, header);
            nghttp2_session_callbacks_set_on_frame_recv_callback(c, frame_recv);
            nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, data_chunk);
            nghttp2_session_callbacks_set_on_stream_close_callback(c, stream_close);
            nghttp2_session_callbacks_set_on_frame_send_callback(c, frame_send);
            return c;
        }();
        return cbs;
    }
};

H2Session::H2Session(Reactor& reactor, Transport& transport, ConnectionHandler& children,
                     uint8_t child_protocol, Connection& parent, const H2Options& opts,
                     H2Stats& stats, uint64_t idle_ms)
    : _reactor(reactor)
    , _transport(transport)
    , _children(children)
    , _parent(parent)
    , _opts(opts)
    , _stats(stats)
    , _idle_ms(idle_ms)
    , _child_protocol(child_protocol) {
    nghttp2_option* o = nullptr;
    nghttp2_option_new(&o);
    nghttp2_option_set_stream_reset_rate_limit(o, _opts.reset_burst, _opts.reset_rate);
    nghttp2_option_set_max_continuations(o, _opts.max_continuations);
    nghttp2_option_set_max_settings(o, _opts.max_settings);
    nghttp2_option_set_max_outbound_ack(o, _opts.max_outbound_ack);
    nghttp2_option_set_no_closed_streams(o, 1);  // no priority tree: nothing to keep
    nghttp2_session_server_new2(&_session, H2Callbacks::get(), this, o);
    nghttp2_option_del(o);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, _opts.max_concurrent_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, _opts.max_header_list_size},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, _opts.initial_window_size},
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
    };
    nghttp2_submit_settings(_session, NGHTTP2_FLAG_NONE, settings, std::size(settings));
    Transport::set_mux_parent(_parent);
    ++_stats.connections;
    ++_stats.connections_total;
    // The request timeout armed for its first bytes no longer applies: the
    // connection is idle (keep-alive timeout) only while it has no stream.
    _transport.set_deadline(_parent, 0);
}

H2Session::~H2Session() {
    nghttp2_session_del(_session);
    --_stats.connections;
    _stats.streams -= _by_child.size();
}

H2Session::Stream* H2Session::stream(int32_t id) const {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(_session, id));
}

// --- the parent's events ----------------------------------------------------------

void H2Session::on_data(const char* data, size_t len) {
    if (_closing) return;
    const ssize_t rv =
        nghttp2_session_mem_recv(_session, reinterpret_cast<const uint8_t*>(data), len);
    if (rv < 0) {
        fail(int(rv), "read");
        return;
    }
    send();
}

void H2Session::on_drained() {
    if (_blocked) {
        _blocked = false;
        for (auto& [id, s] : _streams) {
            if (s->deferred && s->head_sent && !s->ended) {
                s->deferred = false;
                nghttp2_session_resume_data(_session, id);
            }
        }
    }
    send();
}

void H2Session::on_peer_eof() {
    // The peer sends nothing more, so no stream can get its request; what is
    // queued is written, then the connection closes (its streams with it).
    _closing = true;
    _transport.close(_parent, true);
}

void H2Session::on_deadline() {
    // Idle (no stream) for the keep-alive timeout: say goodbye.
    shutdown();
}

void H2Session::on_closed() {
    _closing = true;
    for (auto& [serial, s] : _by_child) {
        _transport.detach_virtual(*s->child);
        s->child = nullptr;
    }
    _stats.streams -= _by_child.size();
    _by_child.clear();
    _streams.clear();  // nghttp2 calls nothing more: the connection is gone
}

void H2Session::shutdown() {
    if (_closing) return;
    nghttp2_submit_goaway(_session, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(_session), NGHTTP2_NO_ERROR,
                          nullptr, 0);
    send();
}

void H2Session::fail(int error, const char* where) {
    // nghttp2 has queued a GOAWAY for most errors (frame_sent() logs and counts
    // it); for the others, this one says why.
    const uint32_t code =
        error == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR;
    if (!_closing) {
        ++_stats.connection_errors;
        _errored = true;
        log_event(spdlog::level::info, "http2 connection closed",
                  {{"reason", nghttp2_strerror(error)},
                   {"where", where},
                   {"ip", _parent.peer().text()},
                   {"conn", fmt::format("c{}", _parent.serial())}});
        nghttp2_session_terminate_session(_session, code);
    }
    _closing = true;
    send();  // the GOAWAY, past the queue bound: the last frame
    _transport.close(_parent, true);
}

void H2Session::send() {
    if (_sending || !_parent.is_open()) return;
    // The connection's queue is over its bound (the peer does not read): what
    // nghttp2 has stays with it until on_drained(), where its own bounds
    // (max_outbound_ack) see a peer that floods without reading.
    if (!_closing && _parent.queued_bytes() >= _opts.connection_queue) return;
    _sending = true;
    const int rv = nghttp2_session_send(_session);
    flush_pending();
    _sending = false;
    if (rv != 0) {
        _closing = true;
        _transport.close(_parent, true);
        return;
    }
    maybe_close();
}

void H2Session::flush_pending() {
    if (_pending.empty()) return;
    _transport.move_output(nullptr, _parent, 0, _pending);
    _pending.clear();
}

void H2Session::maybe_close() {
    if (!nghttp2_session_want_read(_session) && !nghttp2_session_want_write(_session)) {
        _closing = true;
        _transport.close(_parent, true);  // what is queued (a GOAWAY) goes first
        return;
    }
    // No stream: the connection is idle, and has the keep-alive timeout.
    if (_streams.empty() && _idle_ms && !_idle) {
        _idle = true;
        _transport.set_deadline(_parent, _reactor.now_ms() + _idle_ms);
    }
}

void H2Session::frame_sent(uint8_t type, uint32_t error_code) {
    if (type == NGHTTP2_RST_STREAM) {
        ++_stats.streams_reset;
        if (error_code == NGHTTP2_REFUSED_STREAM || error_code == NGHTTP2_PROTOCOL_ERROR)
            ++_stats.streams_refused;
        return;
    }
    if (type != NGHTTP2_GOAWAY || error_code == NGHTTP2_NO_ERROR || _errored) return;
    _errored = true;
    ++_stats.connection_errors;
    log_event(spdlog::level::info, "http2 connection closed",
              {{"reason", nghttp2_http2_strerror(error_code)},
               {"ip", _parent.peer().text()},
               {"conn", fmt::format("c{}", _parent.serial())}});
}

// --- requests ---------------------------------------------------------------------

int H2Session::begin_headers(int32_t id) {
    auto s = std::make_unique<Stream>(id, _opts.max_header_list_size);
    nghttp2_session_set_stream_user_data(_session, id, s.get());
    _streams.emplace(id, std::move(s));
    if (_idle) {
        _idle = false;
        _transport.set_deadline(_parent, 0);
    }
    return 0;
}

int H2Session::header(int32_t id, std::string_view name, std::string_view value) {
    if (Stream* s = stream(id)) s->request.add(name, value);
    return 0;
}

int H2Session::frame_received(int32_t id, uint8_t type, uint8_t flags) {
    Stream* s = id ? stream(id) : nullptr;
    if (!s) return 0;
    const bool end = flags & NGHTTP2_FLAG_END_STREAM;
    if (type == NGHTTP2_HEADERS && !s->child && !s->head_sent) {
        std::string bytes;
        if (!s->request.head(end, &bytes)) {
            if (log_enabled(spdlog::level::debug))
                log_event(spdlog::level::debug, "http2 request refused",
                          {{"reason", s->request.error_text()},
                           {"ip", _parent.peer().text()},
                           {"stream", id}});
            if (s->request.error() == H2Request::Error::too_large) {
                // As HTTP/1.1 answers it: 431, and the stream ends.
                const nghttp2_nv nv[] = {
                    {(uint8_t*)":status", (uint8_t*)"431", 7, 3, NGHTTP2_NV_FLAG_NONE}};
                nghttp2_submit_response(_session, id, nv, 1, nullptr);
                s->head_sent = s->ended = true;
            } else {
                nghttp2_submit_rst_stream(_session, NGHTTP2_FLAG_NONE, id, NGHTTP2_PROTOCOL_ERROR);
                s->ended = true;
            }
            return 0;
        }
        s->remote_done = end;
        s->child = _transport.open_virtual(_child_protocol, _parent.peer(), *this);
        _by_child.emplace(s->child->serial(), s);
        ++_stats.streams;
        ++_stats.streams_total;
        deliver(*s, bytes);
        return 0;
    }
    if (end && s->child && !s->remote_done) {
        s->remote_done = true;
        std::string bytes;
        s->request.end(&bytes);
        deliver(*s, bytes);
    }
    return 0;
}

int H2Session::data_chunk(int32_t id, const uint8_t* data, size_t len) {
    Stream* s = stream(id);
    if (!s || !s->child) return 0;
    std::string bytes;
    s->request.body({reinterpret_cast<const char*>(data), len}, &bytes);
    deliver(*s, bytes);
    return 0;
}

void H2Session::deliver(Stream& s, const std::string& bytes) {
    if (bytes.empty() || !s.child || !s.child->is_open()) return;
    _children.on_data(*s.child, bytes.data(), bytes.size());
}

int H2Session::stream_closed(int32_t id, uint32_t) {
    auto it = _streams.find(id);
    if (it == _streams.end()) return 0;
    Stream& s = *it->second;
    // The peer reset it, or both sides are done: a child still open goes.
    if (s.child) close_child(s);
    _streams.erase(it);
    return 0;
}

// --- responses --------------------------------------------------------------------

void H2Session::close_child(Stream& s) {
    Connection* c = s.child;
    s.child = nullptr;
    _by_child.erase(c->serial());
    --_stats.streams;
    _transport.close(*c, false);
}

void H2Session::child_ready(Connection& child) {
    auto it = _by_child.find(child.serial());
    if (it == _by_child.end()) return;
    Stream& s = *it->second;
    if (!s.head_sent) {
        if (!read_head(s)) {
            send();
            return;
        }
    } else if (s.deferred) {
        s.deferred = false;
        nghttp2_session_resume_data(_session, s.id);
    }
    send();
}

bool H2Session::read_head(Stream& s) {
    while (s.child) {
        const std::string_view front = Transport::front_bytes(*s.child);
        if (front.empty()) return false;
        size_t used = 0;
        const ResponseHead::State st = s.head.feed(front, &used);
        _transport.discard_front(*s.child, used);
        if (st == ResponseHead::State::need_more) continue;
        if (st == ResponseHead::State::error) {
            spdlog::error("http2: an unreadable response head on stream {}: reset", s.id);
            end_stream(s, NGHTTP2_INTERNAL_ERROR);
            close_child(s);
            return false;
        }
        if (s.head.status() < 200) {  // 100 Continue: HTTP/2 clients need none
            s.head.reset();
            continue;
        }
        submit_head(s);
        return true;
    }
    return false;
}

void H2Session::submit_head(Stream& s) {
    const int status = s.head.status();
    const std::string status_text = std::to_string(status);
    std::vector<nghttp2_nv> nv;
    nv.reserve(s.head.fields().size() + 1);
    auto add = [&](std::string_view n, std::string_view v) {
        nv.push_back(
            {(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    };
    add(":status", status_text);
    for (const auto& [name, value] : s.head.fields())
        add(name, value);
    const bool no_body =
        s.request.is_head() || status == 204 || status == 304 || s.head.content_length() == 0;
    s.head_sent = true;
    const int64_t length = s.head.content_length();
    if (no_body) {
        nghttp2_submit_response(_session, s.id, nv.data(), nv.size(), nullptr);
        s.head.reset();  // nghttp2 copied the fields
        s.ended = true;
        if (s.child) {
            _transport.discard_front(*s.child, s.child->queued_bytes());
            close_child(s);
        }
        return;
    }
    s.body_left = length;
    nghttp2_data_provider provider;
    provider.source.ptr = &s;
    provider.read_callback = H2Callbacks::read;
    nghttp2_submit_response(_session, s.id, nv.data(), nv.size(), &provider);
    s.head.reset();  // nghttp2 copied the fields
}

long H2Session::read_data(Stream& s, size_t length, uint32_t* flags) {
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (s.body_left == 0 || (!s.child && s.clean)) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return 0;
    }
    if (!s.child) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // reset (end_stream)
    if (_parent.queued_bytes() >= _opts.connection_queue) {
        _blocked = true;
        s.deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    uint64_t max = length;
    if (s.body_left > 0) max = std::min<uint64_t>(max, uint64_t(s.body_left));
    const uint64_t n = _transport.movable_bytes(*s.child, max);
    if (n == 0) {
        s.deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    if (s.body_left > 0 && int64_t(n) == s.body_left) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return long(n);
}

int H2Session::send_data(Stream& s, const uint8_t* framehd, size_t length, uint8_t flags) {
    flush_pending();
    _transport.move_output(s.child, _parent, length, {reinterpret_cast<const char*>(framehd), 9});
    if (s.body_left > 0) s.body_left -= int64_t(length);
    if (flags & NGHTTP2_FLAG_END_STREAM) {
        s.ended = true;
        if (s.child) close_child(s);  // its answer is complete
    }
    return 0;
}

void H2Session::end_stream(Stream& s, uint32_t error_code) {
    if (s.ended) return;
    s.ended = true;
    nghttp2_submit_rst_stream(_session, NGHTTP2_FLAG_NONE, s.id, error_code);
}

void H2Session::child_closed(Connection& child, bool clean) {
    auto it = _by_child.find(child.serial());
    if (it == _by_child.end()) return;
    Stream& s = *it->second;
    _by_child.erase(it);
    --_stats.streams;
    s.child = nullptr;
    s.clean = clean && s.head_sent && s.body_left <= 0;
    if (!s.ended) {
        if (s.clean) {
            // END_STREAM: the provider reads the end now.
            s.deferred = false;
            nghttp2_session_resume_data(_session, s.id);
        } else {
            end_stream(s, NGHTTP2_CANCEL);
        }
    }
    send();
}

}  // namespace ringcast

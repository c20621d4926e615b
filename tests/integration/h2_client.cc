#include "h2_client.h"

#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace ringcast::itest {

std::string H2Client::Stream::header(std::string_view name) const {
    for (const auto& [n, v] : headers)
        if (n == name) return v;
    return {};
}

struct H2ClientCallbacks {
    static H2Client& self(void* u) { return *static_cast<H2Client*>(u); }
    static int header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t nlen,
                      const uint8_t* value, size_t vlen, uint8_t, void* u) {
        if (f->hd.type != NGHTTP2_HEADERS) return 0;
        H2Client::Stream& s = self(u)._streams[f->hd.stream_id];
        std::string n(reinterpret_cast<const char*>(name), nlen);
        std::string v(reinterpret_cast<const char*>(value), vlen);
        if (n == ":status") s.status = std::stoi(v);
        s.headers.emplace_back(std::move(n), std::move(v));
        return 0;
    }
    static int data(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* d, size_t len,
                    void* u) {
        H2Client& c = self(u);
        c._streams[id].body.append(reinterpret_cast<const char*>(d), len);
        // The connection's window is always given back; a held stream's never.
        nghttp2_session_consume_connection(session, len);
        if (!c._held.count(id)) nghttp2_session_consume_stream(session, id, len);
        return 0;
    }
    static int close(nghttp2_session*, int32_t id, uint32_t error_code, void* u) {
        H2Client::Stream& s = self(u)._streams[id];
        s.closed = true;
        s.error_code = error_code;
        return 0;
    }
    static int frame_recv(nghttp2_session*, const nghttp2_frame* f, void* u) {
        if (f->hd.type == NGHTTP2_GOAWAY) {
            self(u)._goaway = true;
            self(u)._goaway_error = f->goaway.error_code;
        }
        return 0;
    }
    static ssize_t read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                             uint32_t* flags, nghttp2_data_source*, void* u) {
        H2Client& c = self(u);
        const std::string& body = c._bodies[id];
        size_t& sent = c._body_sent[id];
        const size_t n = std::min(length, body.size() - sent);
        std::memcpy(buf, body.data() + sent, n);
        sent += n;
        if (sent == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
        return ssize_t(n);
    }
};

H2Client::H2Client(uint16_t port, uint32_t initial_window)
    : _port(port), _initial_window(initial_window) {}

H2Client::~H2Client() {
    if (_session) nghttp2_session_del(_session);
}

bool H2Client::connect(const Deadline& d) {
    if (!_conn.connect(_port, d)) {
        _error = std::string("connect: ") + std::strerror(errno);
        return false;
    }
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, H2ClientCallbacks::header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, H2ClientCallbacks::data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, H2ClientCallbacks::close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, H2ClientCallbacks::frame_recv);
    nghttp2_option* opt = nullptr;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_option_set_peer_max_concurrent_streams(opt, 1000);
    nghttp2_session_client_new2(&_session, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, _initial_window},
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1000}};
    nghttp2_submit_settings(_session, NGHTTP2_FLAG_NONE, settings, 2);
    // The connection's own window, wide: only the held streams' windows close.
    nghttp2_session_set_local_window_size(_session, NGHTTP2_FLAG_NONE, 0, 64 << 20);
    return true;
}

int32_t H2Client::request(std::string_view method, std::string_view path,
                          const std::vector<std::pair<std::string, std::string>>& headers,
                          std::optional<std::string> body, bool body_length) {
    std::vector<std::pair<std::string, std::string>> fields = {
        {":method", std::string(method)},
        {":scheme", "http"},
        {":authority", "127.0.0.1:" + std::to_string(_port)},
        {":path", std::string(path)}};
    for (const auto& h : headers)
        fields.push_back(h);
    if (body && body_length) fields.emplace_back("content-length", std::to_string(body->size()));
    std::vector<nghttp2_nv> nv;
    for (auto& [n, v] : fields)
        nv.push_back(
            {(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    nghttp2_data_provider provider{};
    provider.read_callback = H2ClientCallbacks::read_body;
    const int32_t id = nghttp2_submit_request(_session, nullptr, nv.data(), nv.size(),
                                              body ? &provider : nullptr, nullptr);
    if (id > 0 && body) _bodies[id] = std::move(*body);
    if (id > 0) _streams[id];
    return id;
}

void H2Client::reset(int32_t id, uint32_t error_code) {
    nghttp2_submit_rst_stream(_session, NGHTTP2_FLAG_NONE, id, error_code);
}

bool H2Client::pump(int ms) {
    if (!_conn.valid() || _eof) return false;
    // Write everything nghttp2 has.
    for (;;) {
        const uint8_t* data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(_session, &data);
        if (n < 0) {
            _error = nghttp2_strerror(int(n));
            return false;
        }
        if (n == 0) break;
        if (!_conn.send_all({reinterpret_cast<const char*>(data), size_t(n)},
                            Deadline(kIoTimeout))) {
            _eof = true;
            return false;
        }
    }
    pollfd p{_conn.fd(), POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return true;
    RecvResult r = _conn.recv_some(Deadline(1s), 1 << 20);
    if (r.status != IoStatus::ok) {
        _eof = true;
        return false;
    }
    const ssize_t rv = nghttp2_session_mem_recv(
        _session, reinterpret_cast<const uint8_t*>(r.bytes.data()), r.bytes.size());
    if (rv < 0) {
        _error = nghttp2_strerror(int(rv));
        return false;
    }
    return true;
}

bool H2Client::run_until(const std::function<bool()>& pred, const Deadline& d) {
    while (!pred()) {
        if (d.expired()) return false;
        if (!pump(d.poll_ms(50)) && !pred()) return false;
    }
    return true;
}

std::string h2_frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
    std::string f;
    const size_t len = payload.size();
    f += char((len >> 16) & 0xff);
    f += char((len >> 8) & 0xff);
    f += char(len & 0xff);
    f += char(type);
    f += char(flags);
    f += char((stream >> 24) & 0x7f);
    f += char((stream >> 16) & 0xff);
    f += char((stream >> 8) & 0xff);
    f += char(stream & 0xff);
    f.append(payload);
    return f;
}

}  // namespace ringcast::itest

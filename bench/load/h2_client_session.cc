#include "h2_client_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace ringcast::load {

namespace {

// Stream user data: tag + 1, so that nullptr means "not one of ours".
void* tag_data(uint32_t tag) {
    return reinterpret_cast<void*>(uintptr_t(tag) + 1);
}

bool tag_of(nghttp2_session* s, int32_t stream_id, uint32_t* tag) {
    void* d = nghttp2_session_get_stream_user_data(s, stream_id);
    if (!d) return false;
    *tag = uint32_t(reinterpret_cast<uintptr_t>(d) - 1);
    return true;
}

}  // namespace

struct H2ClientCallbacks {
    static H2ClientSession& self(void* u) { return *static_cast<H2ClientSession*>(u); }

    static int begin_headers(nghttp2_session*, const nghttp2_frame*, void* u) {
        H2ClientSession& s = self(u);
        s._status = 0;
        s._content_type.clear();
        s._server.clear();
        return 0;
    }
    static int header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t nlen,
                      const uint8_t* value, size_t vlen, uint8_t, void* u) {
        if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_RESPONSE) return 0;
        H2ClientSession& s = self(u);
        std::string_view n(reinterpret_cast<const char*>(name), nlen);
        std::string_view v(reinterpret_cast<const char*>(value), vlen);
        if (n == ":status") {
            std::from_chars(v.data(), v.data() + v.size(), s._status);
        } else if (n == "content-type") {
            s._content_type.assign(v);
        } else if (n == "server") {
            s._server.assign(v);
        }
        return 0;
    }
    static int frame_recv(nghttp2_session* session, const nghttp2_frame* f, void* u) {
        H2ClientSession& s = self(u);
        s._got_frame = true;
        uint32_t tag;
        switch (f->hd.type) {
            case NGHTTP2_HEADERS:
                if (f->headers.cat == NGHTTP2_HCAT_RESPONSE &&
                    tag_of(session, f->hd.stream_id, &tag))
                    s._handler.on_h2_response(tag, s._status, s._content_type, s._server);
                break;
            case NGHTTP2_SETTINGS:
                if (!(f->hd.flags & NGHTTP2_FLAG_ACK))
                    s._handler.on_h2_settings(
                        s._id, nghttp2_session_get_remote_settings(
                                   session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS));
                break;
            case NGHTTP2_GOAWAY:
                s._goaway = true;
                s._goaway_error = f->goaway.error_code;
                break;
            default: break;
        }
        return 0;
    }
    static int data(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* d, size_t len,
                    void* u) {
        uint32_t tag;
        if (tag_of(session, id, &tag))
            self(u)._handler.on_h2_data(tag, reinterpret_cast<const char*>(d), len);
        return 0;
    }
    static int close(nghttp2_session* session, int32_t id, uint32_t error_code, void* u) {
        uint32_t tag;
        if (tag_of(session, id, &tag)) self(u)._handler.on_h2_closed(tag, error_code);
        return 0;
    }
};

H2ClientSession::H2ClientSession(Handler& handler, uint32_t session_id, uint32_t window)
    : _handler(handler), _id(session_id) {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, H2ClientCallbacks::begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, H2ClientCallbacks::header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, H2ClientCallbacks::frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, H2ClientCallbacks::data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, H2ClientCallbacks::close);
    // Automatic window updates (nghttp2's default): DATA counts as consumed on
    // arrival, which is true here, since the handler reads it at once.
    nghttp2_session_client_new(&_session, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window},
    };
    nghttp2_submit_settings(_session, NGHTTP2_FLAG_NONE, settings, 2);
    nghttp2_session_set_local_window_size(_session, NGHTTP2_FLAG_NONE, 0, int32_t(window));
}

H2ClientSession::~H2ClientSession() {
    if (_session) nghttp2_session_del(_session);
}

int32_t H2ClientSession::submit_get(const StreamRequest& request, std::string_view scheme,
                                    uint32_t tag) {
    auto field = [](std::string_view name, std::string_view value) {
        return nghttp2_nv{(uint8_t*)name.data(), (uint8_t*)value.data(), name.size(), value.size(),
                          NGHTTP2_NV_FLAG_NONE};
    };
    std::vector<nghttp2_nv> nv = {field(":method", "GET"), field(":scheme", scheme),
                                  field(":authority", request.authority),
                                  field(":path", request.path)};
    for (const auto& [name, value] : request.fields)
        nv.push_back(field(name, value));
    int32_t id =
        nghttp2_submit_request(_session, nullptr, nv.data(), nv.size(), nullptr, tag_data(tag));
    if (id < 0) {
        _error = fmt::format("submitting a request: {}", nghttp2_strerror(id));
        return -1;
    }
    return id;
}

void H2ClientSession::cancel(int32_t stream_id) {
    nghttp2_submit_rst_stream(_session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
}

bool H2ClientSession::feed(const char* data, size_t len) {
    ssize_t n = nghttp2_session_mem_recv(_session, reinterpret_cast<const uint8_t*>(data), len);
    if (n < 0) {
        _error = fmt::format("HTTP/2: {}", nghttp2_strerror(int(n)));
        return false;
    }
    if (_first_bytes.size() < 40 && !_got_frame)
        _first_bytes.append(data, std::min(len, 40 - _first_bytes.size()));
    return true;
}

bool H2ClientSession::finished() {
    if (nghttp2_session_want_read(_session) || nghttp2_session_want_write(_session)) return false;
    if (!_got_frame) {
        std::string start = _first_bytes;
        for (char& c : start)
            if (c < 32 || c > 126) c = '.';
        _error = fmt::format("the server does not speak HTTP/2 here (it sent \"{}\")", start);
    } else if (_goaway) {
        _error = fmt::format("the server ended the HTTP/2 session (GOAWAY, {})",
                             error_name(_goaway_error));
    } else {
        _error = "HTTP/2: the session ended on a protocol error";
    }
    return true;
}

bool H2ClientSession::take_output(std::string* out) {
    for (;;) {
        const uint8_t* data = nullptr;
        ssize_t n = nghttp2_session_mem_send(_session, &data);
        if (n < 0) {
            _error = fmt::format("HTTP/2: {}", nghttp2_strerror(int(n)));
            return false;
        }
        if (n == 0) return true;
        out->append(reinterpret_cast<const char*>(data), size_t(n));
    }
}

std::string H2ClientSession::error_name(uint32_t error_code) {
    return nghttp2_http2_strerror(error_code);
}

}  // namespace ringcast::load

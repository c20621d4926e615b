#include "http/request_parser.h"

#include <algorithm>

namespace ringcast {

namespace {

// RFC 9112 3.2.2: a server must accept the absolute form
// ("GET http://host:port/path?q HTTP/1.1"), which proxies send. Strips the
// scheme and authority, leaving origin form.
std::string_view origin_form(std::string_view t) {
    size_t scheme_end = t.find("://");
    if (scheme_end == std::string_view::npos || t.empty() || t.front() == '/') return t;
    size_t path_start = t.find_first_of("/?", scheme_end + 3);
    if (path_start == std::string_view::npos) return "/";
    t = t.substr(path_start);
    return t;
}

}  // namespace

std::string_view HttpRequest::path() const {
    std::string_view t = origin_form(target);
    size_t q = t.find('?');
    std::string_view p = q == std::string_view::npos ? t : t.substr(0, q);
    return p.empty() ? std::string_view("/") : p;
}

std::string_view HttpRequest::query() const {
    std::string_view t = origin_form(target);
    size_t q = t.find('?');
    return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

std::string_view HttpRequest::header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
        if (k == lower_name) return v;
    return {};
}

bool HttpRequest::has_header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
        if (k == lower_name) return true;
    return false;
}

const llhttp_settings_t& RequestParser::settings() {
    static const llhttp_settings_t s = [] {
        llhttp_settings_t st;
        llhttp_settings_init(&st);
        st.on_message_begin = on_message_begin;
        st.on_url = on_url;
        st.on_header_field = on_header_field;
        st.on_header_value = on_header_value;
        st.on_header_value_complete = on_header_value_complete;
        st.on_headers_complete = on_headers_complete;
        st.on_body = on_body;
        st.on_message_complete = on_message_complete;
        return st;
    }();
    return s;
}

RequestParser::RequestParser(const HttpLimits& limits) : _limits(limits) {
    llhttp_init(&_parser, HTTP_REQUEST, &settings());
    _parser.data = this;
}

int RequestParser::fail(int status, std::string message) {
    _error_status = status;
    _error_message = std::move(message);
    llhttp_set_error_reason(&_parser, "limit exceeded");
    return HPE_USER;
}

int RequestParser::count_header_bytes(size_t len) {
    _header_bytes += uint32_t(std::min<size_t>(len, UINT32_MAX));
    if (_header_bytes > _limits.max_header_bytes)
        return fail(431, "request header fields are larger than " +
                             std::to_string(_limits.max_header_bytes) + " bytes");
    return 0;
}

int RequestParser::on_message_begin(llhttp_t* p) {
    self(p)._started = true;
    return 0;
}

int RequestParser::on_url(llhttp_t* p, const char* at, size_t len) {
    RequestParser& r = self(p);
    r._started = true;
    if (r._req.target.size() + len > r._limits.max_target)
        return r.fail(414, "request target is longer than " + std::to_string(r._limits.max_target) +
                               " bytes");
    r._req.target.append(at, len);
    return 0;
}

int RequestParser::on_header_field(llhttp_t* p, const char* at, size_t len) {
    RequestParser& r = self(p);
    // The count first: whether a field is one too many does not depend on how
    // much of its name this read holds, and the bytes' limit does (found by
    // the http_request fuzz target: the same bytes got either error by reads).
    if (r._field.empty() && r._req.headers.size() >= r._limits.max_headers)
        return r.fail(431, "more than " + std::to_string(r._limits.max_headers) + " header fields");
    if (int e = r.count_header_bytes(len)) return e;
    // Field names are ASCII tokens: lower-cased in place, without a locale.
    const size_t from = r._field.size();
    r._field.append(at, len);
    for (size_t i = from; i < r._field.size(); ++i)
        if (r._field[i] >= 'A' && r._field[i] <= 'Z') r._field[i] = char(r._field[i] | 0x20);
    return 0;
}

int RequestParser::on_header_value(llhttp_t* p, const char* at, size_t len) {
    RequestParser& r = self(p);
    if (int e = r.count_header_bytes(len)) return e;
    r._value.append(at, len);
    return 0;
}

int RequestParser::on_header_value_complete(llhttp_t* p) {
    RequestParser& r = self(p);
    r._req.headers.emplace_back(std::move(r._field), std::move(r._value));
    r._field.clear();
    r._value.clear();
    return 0;
}

int RequestParser::on_headers_complete(llhttp_t* p) {
    RequestParser& r = self(p);
    r._req.method = llhttp_method_t(llhttp_get_method(p));
    r._req.version_major = llhttp_get_http_major(p);
    r._req.version_minor = llhttp_get_http_minor(p);
    r._req.keep_alive = llhttp_should_keep_alive(p);
    r._headers_complete = true;
    // Refuse an announced oversized body before reading any of it.
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > r._limits.max_body)
        return r.fail(413, "request body of " + std::to_string(p->content_length) +
                               " bytes is larger than the limit of " +
                               std::to_string(r._limits.max_body));
    return 0;
}

int RequestParser::on_body(llhttp_t* p, const char* at, size_t len) {
    RequestParser& r = self(p);
    if (r._req.body.size() + len > r._limits.max_body)
        return r.fail(413, "request body is larger than the limit of " +
                               std::to_string(r._limits.max_body) + " bytes");
    r._req.body.append(at, len);
    return 0;
}

int RequestParser::on_message_complete(llhttp_t* p) {
    RequestParser& r = self(p);
    r._complete = true;
    // Pausing here comes before llhttp's own upgrade pause (HPE_PAUSED_UPGRADE),
    // so an Upgrade request is recognized here: we do not switch protocols, and
    // what follows on the connection is not HTTP.
    r._req.keep_alive = llhttp_should_keep_alive(p) && !p->upgrade;
    return HPE_PAUSED;  // one request at a time
}

RequestParser::Result RequestParser::feed(const char* data, size_t len, size_t* consumed) {
    *consumed = 0;
    if (_error_status) return Result::error;
    if (_complete) return Result::complete;
    llhttp_errno_t err = llhttp_execute(&_parser, data, len);
    if (err == HPE_OK) {
        *consumed = len;
        return Result::need_more;
    }
    if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
        const char* pos = llhttp_get_error_pos(&_parser);
        *consumed = pos ? size_t(pos - data) : len;
        if (err == HPE_PAUSED_UPGRADE) {
            _complete = true;
            _req.keep_alive = false;  // we do not switch protocols
        }
        return Result::complete;
    }
    if (!_error_status) {
        _error_status = 400;
        const char* reason = llhttp_get_error_reason(&_parser);
        _error_message =
            std::string("malformed HTTP request: ") + (reason ? reason : llhttp_errno_name(err));
    }
    return Result::error;
}

void RequestParser::next() {
    if (_complete) {
        llhttp_errno_t e = llhttp_get_errno(&_parser);
        if (e == HPE_PAUSED) llhttp_resume(&_parser);
        if (e == HPE_PAUSED_UPGRADE) llhttp_resume_after_upgrade(&_parser);
    }
    _req = HttpRequest{};
    _field.clear();
    _value.clear();
    _header_bytes = 0;
    _complete = false;
    _headers_complete = false;
    _started = false;
}

}  // namespace ringcast

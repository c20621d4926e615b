#include "http2/request_translation.h"

#include <fmt/format.h>

namespace ringcast {

namespace {

bool has_forbidden_bytes(std::string_view s) {
    for (char ch : s)
        if (ch == '\r' || ch == '\n' || ch == '\0') return true;
    return false;
}

bool has_upper(std::string_view s) {
    for (char ch : s)
        if (ch >= 'A' && ch <= 'Z') return true;
    return false;
}

// RFC 9113 §8.2.2: fields that describe a connection, which HTTP/2 has none of.
bool connection_specific(std::string_view name) {
    return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
           name == "transfer-encoding" || name == "upgrade";
}

}  // namespace

void H2Request::fail(Error e, std::string text) {
    if (_error != Error::none) return;
    _error = e;
    _error_text = std::move(text);
}

void H2Request::add(std::string_view name, std::string_view value) {
    if (_error != Error::none) return;
    _list_size += name.size() + value.size() + 32;
    if (_list_size > _max_list)
        return fail(Error::too_large,
                    fmt::format("request header fields over {} bytes", _max_list));
    if (name.empty() || has_upper(name) || has_forbidden_bytes(name) || has_forbidden_bytes(value))
        return fail(Error::malformed, "a header field name or value has forbidden characters");
    if (name[0] == ':') {
        if (_regular_seen)
            return fail(Error::malformed, "a pseudo-header field after a regular field");
        std::string* slot = name == ":method"      ? &_method
                            : name == ":path"      ? &_path
                            : name == ":authority" ? &_authority
                            : name == ":scheme"    ? &_scheme
                                                   : nullptr;
        if (!slot) return fail(Error::malformed, fmt::format("unknown pseudo-header {}", name));
        if (!slot->empty()) return fail(Error::malformed, fmt::format("{} repeated", name));
        if (value.empty()) return fail(Error::malformed, fmt::format("{} is empty", name));
        slot->assign(value);
        return;
    }
    _regular_seen = true;
    if (connection_specific(name))
        return fail(Error::malformed,
                    fmt::format("connection-specific header field {} (RFC 9113 §8.2.2)", name));
    if (name == "te" && value != "trailers")
        return fail(Error::malformed, "te other than \"trailers\" (RFC 9113 §8.2.2)");
    if (name == "cookie") {
        if (!_cookie.empty()) _cookie += "; ";
        _cookie.append(value);
        return;
    }
    if (name == "content-length") {
        if (!_content_length.empty() && _content_length != value)
            return fail(Error::malformed, "content-length repeated with another value");
        if (!_content_length.empty()) return;
        _content_length.assign(value);
    }
    if (name == "host") {
        if (!_host.empty()) return fail(Error::malformed, "host repeated");
        _host.assign(value);
        return;
    }
    _fields.append(name);
    _fields += ": ";
    _fields.append(value);
    _fields += "\r\n";
}

bool H2Request::head(bool end_stream, std::string* out) {
    if (_error == Error::none && (_method.empty() || _scheme.empty() || _path.empty()))
        fail(Error::malformed, "a request without :method, :scheme or :path");
    if (_error == Error::none && _method == "CONNECT")
        fail(Error::malformed, "CONNECT is not served here");
    if (_error != Error::none) return false;
    out->reserve(out->size() + _method.size() + _path.size() + _authority.size() + _host.size() +
                 _fields.size() + _cookie.size() + 64);
    out->append(_method);
    *out += ' ';
    out->append(_path);
    *out += " HTTP/1.1\r\n";
    // :authority wins over a Host field (RFC 9113 §8.3.1).
    const std::string& host = _authority.empty() ? _host : _authority;
    if (!host.empty()) {
        *out += "Host: ";
        out->append(host);
        *out += "\r\n";
    }
    out->append(_fields);
    if (!_cookie.empty()) {
        *out += "Cookie: ";
        out->append(_cookie);
        *out += "\r\n";
    }
    if (_content_length.empty()) {
        if (end_stream) {
            // No body: say so for the methods that may carry one.
            if (_method != "GET" && _method != "HEAD" && _method != "OPTIONS" &&
                _method != "DELETE")
                *out += "Content-Length: 0\r\n";
        } else {
            _chunked = true;
            *out += "Transfer-Encoding: chunked\r\n";
        }
    }
    *out += "\r\n";
    // The fields are the HTTP layer's now; an SSE stream lives long.
    for (std::string* s :
         {&_path, &_authority, &_scheme, &_host, &_fields, &_cookie, &_content_length})
        std::string().swap(*s);
    return true;
}

void H2Request::body(std::string_view data, std::string* out) const {
    if (data.empty()) return;
    if (!_chunked) {
        out->append(data);
        return;
    }
    fmt::format_to(std::back_inserter(*out), "{:x}\r\n", data.size());
    out->append(data);
    *out += "\r\n";
}

void H2Request::end(std::string* out) const {
    if (_chunked) *out += "0\r\n\r\n";
}

}  // namespace ringcast

#include "http_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "daemon_process.h"

namespace ringcast::itest {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
        if (k == lower_name) return v;
    return std::nullopt;
}

std::string HttpResponse::describe() const {
    std::string s = version + " " + std::to_string(status) + " " + reason + " | ";
    for (const auto& [k, v] : headers)
        s += k + ": " + v + "; ";
    s += "| " + body.substr(0, 400);
    return s;
}

bool parse_response_head(std::string_view head, HttpResponse* out) {
    size_t eol = head.find("\r\n");
    std::string_view status_line = head.substr(0, eol);
    // HTTP/1.1 200 OK
    if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.") || status_line[8] != ' ')
        return false;
    out->version.assign(status_line.substr(0, 8));
    int status = 0;
    auto [p, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
    if (ec != std::errc() || p != status_line.data() + 12) return false;
    out->status = status;
    out->reason.assign(trim(status_line.substr(12)));
    out->headers.clear();
    std::string_view rest =
        eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
    while (!rest.empty()) {
        size_t e = rest.find("\r\n");
        std::string_view line = rest.substr(0, e);
        rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return false;
        out->headers.emplace_back(lower(line.substr(0, colon)),
                                  std::string(trim(line.substr(colon + 1))));
    }
    return true;
}

std::string build_request(std::string_view method, std::string_view target, std::string_view body,
                          const Headers& headers) {
    std::string r;
    r.reserve(128 + target.size() + body.size());
    r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    bool has_length = false, has_credentials = false;
    for (const auto& [k, v] : headers) {
        r.append(k).append(": ").append(v).append("\r\n");
        if (lower(k) == "content-length") has_length = true;
        if (lower(k) == "authorization" || lower(k) == "x-api-key") has_credentials = true;
    }
    // The API needs credentials; tests about something else use the test
    // daemon's key (daemon_process.h), tests about access send their own.
    if (!has_credentials &&
        (target.starts_with("/api/publish") || target.starts_with("/api/stats") ||
         target.starts_with("/api/invalidate")))
        r.append("X-API-Key: ").append(kTestApiKey).append("\r\n");
    if (!body.empty() && !has_length)
        r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    r.append("\r\n").append(body);
    return r;
}

std::string publish_body(std::string_view channel, std::string_view event,
                         std::string_view data_json, std::optional<std::string> id) {
    std::string b = "{\"channel\":" + json_quote(channel) + ",\"event\":" + json_quote(event) +
                    ",\"data\":" + std::string(data_json);
    if (id) b += ",\"id\":" + json_quote(*id);
    b += "}";
    return b;
}

bool HttpClient::connect(const Deadline& d, int rcvbuf) {
    _buf.clear();
    _error.clear();
    if (!_conn.connect(_port, d, rcvbuf, _source)) {
        _error = std::string("connect failed: ") + std::strerror(errno);
        return false;
    }
    return true;
}

bool HttpClient::send(std::string_view raw, const Deadline& d) {
    if (!_conn.send_all(raw, d)) {
        _error = std::string("send failed: ") + std::strerror(errno);
        return false;
    }
    return true;
}

std::optional<HttpResponse> HttpClient::read_response(const Deadline& d) {
    for (;;) {
        size_t head_end = _buf.find("\r\n\r\n");
        if (head_end != std::string::npos) {
            HttpResponse r;
            if (!parse_response_head(std::string_view(_buf).substr(0, head_end), &r)) {
                _error = "malformed response head: " + _buf.substr(0, 200);
                return std::nullopt;
            }
            size_t length = 0;
            if (auto cl = r.header("content-length")) {
                auto [p, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
                if (ec != std::errc()) {
                    _error = "bad Content-Length: " + *cl;
                    return std::nullopt;
                }
            }
            if (_buf.size() >= head_end + 4 + length) {
                r.body = _buf.substr(head_end + 4, length);
                _buf.erase(0, head_end + 4 + length);
                return r;
            }
        }
        RecvResult rr = _conn.recv_some(d);
        _buf += rr.bytes;
        if (rr.status != IoStatus::ok) {
            _error = std::string("no complete response: ") + to_string(rr.status) +
                     (_buf.empty() ? "" : " after \"" + _buf.substr(0, 200) + "\"");
            return std::nullopt;
        }
    }
}

std::optional<HttpResponse> HttpClient::request(std::string_view method, std::string_view target,
                                                std::string_view body, const Headers& headers,
                                                const Deadline& d) {
    if (!send(build_request(method, target, body, headers), d)) return std::nullopt;
    return read_response(d);
}

bool HttpClient::await_close(const Deadline& d, std::string* extra) {
    RecvResult r = _conn.read_to_eof(d);
    _buf += r.bytes;
    if (extra) *extra = _buf;
    _buf.clear();
    return r.status == IoStatus::eof || r.status == IoStatus::reset;
}

std::optional<PublishReply> publish(HttpClient& c, std::string_view channel, std::string_view event,
                                    std::string_view data_json, std::optional<std::string> id,
                                    const Deadline& d) {
    auto r =
        c.request("POST", "/api/publish", publish_body(channel, event, data_json, std::move(id)),
                  {{"Content-Type", "application/json"}}, d);
    if (!r) return std::nullopt;
    PublishReply p;
    p.response = std::move(*r);
    if (auto j = p.response.json(); j && p.response.status == 200) {
        p.id = (*j)["id"].as_string();
        p.sent = (*j)["sent"].as_int(-1);
        p.failed = (*j)["failed"].as_int(-1);
    }
    return p;
}

std::optional<Json> fetch_stats(HttpClient& c, const Deadline& d, const Headers& headers) {
    auto r = c.request("GET", "/api/stats", {}, headers, d);
    if (!r || r->status != 200) return std::nullopt;
    return r->json();
}

bool await_stats(HttpClient& c, const std::function<bool(const Json&)>& pred, const Deadline& d,
                 Json* last, const std::function<void(int)>& idle, const Headers& headers) {
    constexpr int kPollIntervalMs = 5;
    for (;;) {
        auto s = fetch_stats(c, d, headers);
        if (s) {
            if (last) *last = *s;
            if (pred(*s)) return true;
        }
        if (d.expired()) return false;
        if (idle) {
            idle(d.poll_ms(kPollIntervalMs));
        } else {
            ::poll(nullptr, 0, d.poll_ms(kPollIntervalMs));
        }
    }
}

std::string check_json_error(const HttpResponse& r, int status, std::string_view code) {
    std::string why;
    if (r.status != status)
        why += "status " + std::to_string(r.status) + " (want " + std::to_string(status) + "); ";
    auto ct = r.header("content-type");
    if (!ct || ct->find("application/json") == std::string::npos)
        why += "content-type is not application/json; ";
    auto j = r.json();
    if (!j) {
        why += "body is not JSON; ";
    } else {
        const Json& e = (*j)["error"];
        if (!e.is_object()) why += "no error object; ";
        if (e["code"].as_string() != code)
            why += "error.code \"" + e["code"].as_string() + "\" (want \"" + std::string(code) +
                   "\"); ";
        if (!e["message"].is_string() || e["message"].as_string().empty())
            why += "no error.message; ";
    }
    if (!why.empty()) why += "response: " + r.describe();
    return why;
}

}  // namespace ringcast::itest

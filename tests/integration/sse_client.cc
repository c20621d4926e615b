#include "sse_client.h"

#include <charconv>
#include <cstring>

namespace ringcast::itest {

bool SseClient::open(uint16_t port, std::string_view target, const Deadline& d,
                     const Headers& headers, int rcvbuf) {
    if (!_conn.connect(port, d, rcvbuf)) {
        _error = std::string("connect failed: ") + std::strerror(errno);
        return false;
    }
    Headers h = headers;
    h.emplace_back("Accept", "text/event-stream");
    if (!_conn.send_all(build_request("GET", target, {}, h), d)) {
        _error = std::string("send failed: ") + std::strerror(errno);
        return false;
    }
    std::string buf;
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        RecvResult r = _conn.recv_some(d);
        buf += r.bytes;
        if (r.status != IoStatus::ok) {
            _error =
                std::string("no response head: ") + to_string(r.status) + " after \"" + buf + "\"";
            return false;
        }
    }
    if (!parse_response_head(std::string_view(buf).substr(0, head_end), &_head)) {
        _error = "malformed response head: " + buf.substr(0, 300);
        return false;
    }
    std::string rest = buf.substr(head_end + 4);
    if (_head.status == 200) {
        if (auto te = _head.header("transfer-encoding"); te && te->find("chunked") != te->npos)
            _chunked.emplace();
        feed(rest);
        return true;
    }
    // An error answer: its body is framed by Content-Length.
    size_t length = 0;
    if (auto cl = _head.header("content-length"))
        std::from_chars(cl->data(), cl->data() + cl->size(), length);
    while (rest.size() < length) {
        RecvResult r = _conn.recv_some(d);
        rest += r.bytes;
        if (r.status != IoStatus::ok) break;
    }
    _head.body = rest.substr(0, length);
    return true;
}

void SseClient::feed(std::string_view bytes) {
    std::string payload;
    if (_chunked) {
        if (!_chunked->feed(bytes, &payload) && _error.empty()) {
            _error = "broken chunked framing";
            _ended = true;
            _end_status = IoStatus::error;
        }
        bytes = payload;
    }
    _raw.append(bytes);
    auto now = Clock::now();
    _parser.feed(bytes, [&](const SseEvent& e) { _events.push_back({e, now}); });
}

bool SseClient::read_once(const Deadline& d) {
    if (_ended) return false;
    RecvResult r = _conn.recv_some(d);
    feed(r.bytes);
    if (r.status == IoStatus::ok) return true;
    if (r.status != IoStatus::timeout) {
        _ended = true;
        _end_status = r.status;
    }
    return false;
}

bool SseClient::read_until(const std::function<bool()>& pred, const Deadline& d) {
    while (!pred()) {
        if (!read_once(d)) return pred();
    }
    return true;
}

bool SseClient::read_to_eof(const Deadline& d) {
    while (read_once(d)) {
    }
    return _ended;
}

void SseClient::read_available() {
    Deadline now(0ms);
    while (_conn.readable_now() && read_once(now)) {
    }
}

std::vector<SseEvent> SseClient::data_events() const {
    std::vector<SseEvent> out;
    for (const auto& e : _events)
        if (e.event.type != "connected" && e.event.type != "heartbeat" && e.event.type != "alerts")
            out.push_back(e.event);
    return out;
}

}  // namespace ringcast::itest

#include "http2/response_head.h"

#include <algorithm>
#include <charconv>

#include "http/header_text.h"

namespace ringcast {

namespace {

bool hop_by_hop(std::string_view name) {
    return name == "connection" || name == "keep-alive" || name == "transfer-encoding" ||
           name == "upgrade" || name == "proxy-connection";
}

}  // namespace

void ResponseHead::reset() {
    std::string().swap(_buf);
    std::vector<std::pair<std::string, std::string>>().swap(_fields);
    _content_length = -1;
    _status = 0;
}

ResponseHead::State ResponseHead::feed(std::string_view data, size_t* used) {
    // Look for the blank line from a little before the new bytes: it may
    // straddle two pieces.
    const size_t from = _buf.size() >= 3 ? _buf.size() - 3 : 0;
    const size_t room = kMaxBytes - _buf.size();
    _buf.append(data.substr(0, room));
    const size_t end = _buf.find("\r\n\r\n", from);
    if (end == std::string::npos) {
        *used = std::min(data.size(), room);
        return _buf.size() >= kMaxBytes ? State::error : State::need_more;
    }
    const size_t head_len = end + 4;
    *used = head_len - (_buf.size() - std::min(data.size(), room));
    _buf.resize(head_len);
    return parse() ? State::done : State::error;
}

bool ResponseHead::parse() {
    std::string_view s(_buf);
    size_t eol = s.find("\r\n");
    std::string_view line = s.substr(0, eol);
    // "HTTP/1.1 200 OK"
    if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ') return false;
    auto [p, ec] = std::from_chars(line.data() + 9, line.data() + 12, _status);
    if (ec != std::errc() || p != line.data() + 12 || _status < 100 || _status > 599) return false;
    s.remove_prefix(eol + 2);
    while (!s.empty()) {
        eol = s.find("\r\n");
        line = s.substr(0, eol);
        s.remove_prefix(eol + 2);
        if (line.empty()) break;
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return false;
        std::string name(line.substr(0, colon));
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char ch) { return char(std::tolower(ch)); });
        std::string_view value = trim_ows(line.substr(colon + 1));
        if (hop_by_hop(name)) continue;
        if (name == "content-length") {
            int64_t n = -1;
            auto [q, e] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (e != std::errc() || q != value.data() + value.size() || n < 0) return false;
            _content_length = n;
        }
        _fields.emplace_back(std::move(name), std::string(value));
    }
    return true;
}

}  // namespace ringcast

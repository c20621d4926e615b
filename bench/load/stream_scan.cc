#include "stream_scan.h"

#include <strings.h>

#include <charconv>

namespace ringcast::load {

namespace {

constexpr size_t kMaxHead = 16384;

bool header_is(std::string_view line, std::string_view lower_name, std::string_view* value) {
    if (line.size() <= lower_name.size() || line[lower_name.size()] != ':') return false;
    if (strncasecmp(line.data(), lower_name.data(), lower_name.size()) != 0) return false;
    std::string_view v = line.substr(lower_name.size() + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    *value = v;
    return true;
}

bool contains_nocase(std::string_view hay, std::string_view needle) {
    for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
        if (strncasecmp(hay.data() + i, needle.data(), needle.size()) == 0) return true;
    return false;
}

}  // namespace

long parse_response_head(std::string_view buf, ResponseHead* out) {
    size_t end = buf.find("\r\n\r\n");
    if (end == std::string_view::npos) return buf.size() > kMaxHead ? -1 : 0;
    std::string_view head = buf.substr(0, end + 2);
    // Status line: HTTP/1.x NNN reason
    if (!head.starts_with("HTTP/1.") || head.size() < 12 || head[8] != ' ') return -1;
    int status = 0;
    auto [p, ec] = std::from_chars(head.data() + 9, head.data() + 12, status);
    if (ec != std::errc() || p != head.data() + 12) return -1;
    *out = ResponseHead{};
    out->status = status;
    size_t pos = head.find("\r\n") + 2;
    while (pos < head.size()) {
        size_t eol = head.find("\r\n", pos);
        std::string_view line = head.substr(pos, eol - pos);
        pos = eol + 2;
        std::string_view v;
        if (header_is(line, "content-type", &v)) {
            out->event_stream = contains_nocase(v, "text/event-stream");
        } else if (header_is(line, "transfer-encoding", &v)) {
            out->chunked = contains_nocase(v, "chunked");
        } else if (header_is(line, "server", &v)) {
            out->server.assign(v);
        }
    }
    return long(end + 4);
}

}  // namespace ringcast::load

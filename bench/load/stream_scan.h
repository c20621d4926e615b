#pragma once
// Reading the subscriber side of the protocol: the HTTP response head, then
// the text/event-stream body. The body scanner is a special-purpose, allocation-
// free version of the WHATWG algorithm (include/ringcast/sse_parser.h): it
// works on whole event blocks in the caller's buffer and hands out views, so a
// worker can keep up with hundreds of thousands of events per second on one
// core. It understands LF and CRLF line ends, comments, multi-line data and
// unknown fields; it does not support lone-CR line ends (no server of ours
// sends them).
#include <cstring>
#include <string>
#include <string_view>

namespace ringcast::load {

struct ResponseHead {
    int status = 0;
    bool event_stream = false;  // Content-Type: text/event-stream
    bool chunked = false;       // Transfer-Encoding: chunked (we do not decode it)
    std::string server;         // Server header, to label the report
};

// Parses the response head at the start of buf. Returns its length including
// the blank line, 0 if more bytes are needed, -1 if it is malformed.
long parse_response_head(std::string_view buf, ResponseHead* out);

// Calls on_event(name, data) for each complete event block in buf (an event
// with no data line is not dispatched, as the standard says) and returns the
// number of bytes consumed: everything up to the end of the last complete
// block. `scratch` holds joined multi-line data. `comments` counts ':' lines.
template <typename F>
size_t scan_events(std::string_view buf, std::string& scratch, uint64_t& comments, F&& on_event) {
    const char* base = buf.data();
    const size_t n = buf.size();
    size_t pos = 0, block_end = 0;
    std::string_view name, data;
    bool has_data = false, joined = false;
    while (pos < n) {
        const void* hit = std::memchr(base + pos, '\n', n - pos);
        if (!hit) break;
        size_t nl = size_t(static_cast<const char*>(hit) - base);
        std::string_view line(base + pos, nl - pos);
        pos = nl + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) {
            if (has_data) on_event(name, data);
            name = {};
            data = {};
            has_data = joined = false;
            block_end = pos;
            continue;
        }
        if (line.front() == ':') {
            ++comments;
            continue;
        }
        size_t colon = line.find(':');
        std::string_view field = line.substr(0, colon), value;
        if (colon != std::string_view::npos) {
            value = line.substr(colon + 1);
            if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        }
        if (field == "data") {
            if (!has_data) {
                data = value;
                has_data = true;
            } else {
                if (!joined) scratch.assign(data);
                joined = true;
                scratch += '\n';
                scratch += value;
                data = scratch;
            }
        } else if (field == "event") {
            name = value;
        }
        // id, retry and unknown fields do not matter to the load generator
    }
    return block_end;
}

}  // namespace ringcast::load

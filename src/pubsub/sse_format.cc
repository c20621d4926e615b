#include "pubsub/sse_format.h"

#include <cstring>

namespace ringcast {

namespace {

constexpr std::string_view kId = "id: ";
constexpr std::string_view kEvent = "event: ";
constexpr std::string_view kData = "data: ";

// Calls f(line) for each line of `data`, splitting on \r\n, \r and \n. A payload
// ending in a line break yields a final empty line, as the parser would.
// memchr (vectorized in glibc) finds the breaks: JSON payloads have none, so the
// usual case is two scans and one line.
template <typename F>
void for_each_line(std::string_view data, F&& f) {
    const char* p = data.data();
    const char* const end = p + data.size();
    auto find = [end](const char* from, char c) {
        const void* hit = from < end ? std::memchr(from, c, size_t(end - from)) : nullptr;
        return hit ? static_cast<const char*>(hit) : end;
    };
    const char* next_lf = find(p, '\n');
    const char* next_cr = find(p, '\r');
    for (;;) {
        const char* eol = next_lf < next_cr ? next_lf : next_cr;
        if (eol == end) {
            f(std::string_view(p, size_t(end - p)));
            return;
        }
        f(std::string_view(p, size_t(eol - p)));
        p = eol + 1;
        if (*eol == '\r' && p < end && *p == '\n') ++p;
        if (next_lf < p) next_lf = find(p, '\n');
        if (next_cr < p) next_cr = find(p, '\r');
    }
}

char* put(char* out, std::string_view s) {
    std::memcpy(out, s.data(), s.size());
    return out + s.size();
}

}  // namespace

bool valid_event_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxEventName) return false;
    for (unsigned char c : name)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

bool valid_event_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxEventId) return false;
    for (char c : id)
        if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
}

size_t sse_id_line_size(std::string_view id) {
    return kId.size() + id.size() + 1;
}

size_t sse_write_id_line(char* out, std::string_view id) {
    char* p = put(out, kId);
    p = put(p, id);
    *p++ = '\n';
    return size_t(p - out);
}

size_t sse_size(std::string_view id, std::string_view event, std::string_view data) {
    size_t n = 0;
    if (!id.empty()) n += sse_id_line_size(id);
    if (!event.empty()) n += kEvent.size() + event.size() + 1;
    for_each_line(data, [&](std::string_view line) { n += kData.size() + line.size() + 1; });
    return n + 1;  // the blank line that dispatches the event
}

size_t sse_write(char* out, std::string_view id, std::string_view event, std::string_view data) {
    char* p = out;
    if (!id.empty()) p += sse_write_id_line(p, id);
    if (!event.empty()) {
        p = put(p, kEvent);
        p = put(p, event);
        *p++ = '\n';
    }
    for_each_line(data, [&](std::string_view line) {
        p = put(p, kData);
        p = put(p, line);
        *p++ = '\n';
    });
    *p++ = '\n';
    return size_t(p - out);
}

std::string sse_event(std::string_view id, std::string_view event, std::string_view data) {
    std::string s(sse_size(id, event, data), '\0');
    s.resize(sse_write(s.data(), id, event, data));
    return s;
}

std::string sse_retry(unsigned ms) {
    return "retry: " + std::to_string(ms) + "\n\n";
}

std::string sse_comment(std::string_view text) {
    std::string s;
    s.reserve(text.size() + 4);
    s += ": ";
    s += text;
    s += "\n\n";
    return s;
}

}  // namespace ringcast

#pragma once
// Helpers for tests that read event streams with SseParser.
#include <ringcast/sse_parser.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast {

inline bool operator==(const SseEvent& a, const SseEvent& b) {
    return a.type == b.type && a.data == b.data && a.last_event_id == b.last_event_id;
}

// gtest prints this on failure; escapes make \r, \n and NUL visible.
inline void PrintTo(const SseEvent& e, std::ostream* os) {
    auto quoted = [os](std::string_view s) {
        *os << '"';
        for (unsigned char c : s) {
            if (c == '\n')
                *os << "\\n";
            else if (c == '\r')
                *os << "\\r";
            else if (c < 0x20 || c == 0x7f)
                *os << "\\x"
                    << "0123456789abcdef"[c >> 4] << "0123456789abcdef"[c & 15];
            else
                *os << char(c);
        }
        *os << '"';
    };
    *os << "{type=";
    quoted(e.type);
    *os << " data=";
    quoted(e.data);
    *os << " last_event_id=";
    quoted(e.last_event_id);
    *os << '}';
}

namespace test {

inline SseEvent sse_ev(std::string data, std::string type = "message", std::string id = "") {
    return SseEvent{std::move(type), std::move(data), std::move(id)};
}

// Feeds every piece in order and returns the events dispatched.
inline std::vector<SseEvent> parse_pieces(SseParser& p,
                                          const std::vector<std::string_view>& pieces) {
    std::vector<SseEvent> out;
    for (std::string_view piece : pieces)
        p.feed(piece, [&](const SseEvent& e) { out.push_back(e); });
    return out;
}

inline std::vector<SseEvent> parse_whole(std::string_view stream) {
    SseParser p;
    return parse_pieces(p, {stream});
}

// What the client must see for a payload: \r\n and lone \r turned into \n.
inline std::string normalize_line_ends(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r') {
            out += '\n';
            if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace test
}  // namespace ringcast

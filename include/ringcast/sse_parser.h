#pragma once
// A client-side parser for text/event-stream, following the WHATWG HTML standard
// ("9.2.6 Interpreting an event stream") step by step. ringcast's own tools (the
// load generator, the CLI's `tail`, the tests) read streams with it, and the unit
// tests use it as the oracle for the server's framing.
//
// Header-only; depends on the standard library alone.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace ringcast {

struct SseEvent {
    std::string type;  // "message" when the stream named none
    std::string data;
    std::string last_event_id;  // the stream's last event ID when this was dispatched
};

class SseParser {
public:
    // Feeds the next bytes of the stream (any chunking). Calls on_event(const
    // SseEvent&) for every event dispatched.
    template <typename F>
    void feed(std::string_view bytes, F&& on_event) {
        if (!_bom_checked) {
            // A UTF-8 byte order mark may open the stream, once; it may arrive split.
            static constexpr std::string_view bom = "\xEF\xBB\xBF";
            while (!bytes.empty() && _bom_buffer.size() < 3) {
                _bom_buffer.push_back(bytes.front());
                bytes.remove_prefix(1);
                if (!bom.starts_with(_bom_buffer)) break;
            }
            if (_bom_buffer.size() < 3 && bom.starts_with(_bom_buffer)) return;  // need more
            _bom_checked = true;
            std::string head;
            head.swap(_bom_buffer);
            if (head != bom) feed_lines(head, on_event);
        }
        feed_lines(bytes, on_event);
    }

    // The last event ID as the stream set it (sent back as Last-Event-ID).
    const std::string& last_event_id() const { return _last_event_id; }
    // The reconnection time the stream asked for with `retry:`, if any.
    std::optional<uint64_t> retry_ms() const { return _retry; }
    // Comment lines seen (": ..."), e.g. heartbeats sent as comments.
    uint64_t comments() const { return _comments; }

private:
    template <typename F>
    void feed_lines(std::string_view bytes, F&& on_event) {
        size_t start = 0;
        for (size_t i = 0; i < bytes.size(); ++i) {
            char c = bytes[i];
            if (c != '\n' && c != '\r') continue;
            if (c == '\n' && _pending_cr && i == start && _line.empty()) {
                // the LF of a CRLF whose CR ended the previous chunk or line
                _pending_cr = false;
                start = i + 1;
                continue;
            }
            _line.append(bytes.data() + start, i - start);
            process_line(on_event);
            _line.clear();
            _pending_cr = (c == '\r');
            if (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') {
                ++i;
                _pending_cr = false;
            }
            start = i + 1;
        }
        if (start < bytes.size()) {
            _line.append(bytes.data() + start, bytes.size() - start);
            _pending_cr = false;
        }
    }

    template <typename F>
    void process_line(F&& on_event) {
        std::string_view line(_line);
        if (line.empty()) {
            dispatch(on_event);
            return;
        }
        if (line.front() == ':') {
            ++_comments;
            return;
        }
        std::string_view field = line, value;
        size_t colon = line.find(':');
        if (colon != std::string_view::npos) {
            field = line.substr(0, colon);
            value = line.substr(colon + 1);
            if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        }
        if (field == "event") {
            _type.assign(value);
        } else if (field == "data") {
            _data.append(value);
            _data.push_back('\n');
        } else if (field == "id") {
            if (value.find('\0') == std::string_view::npos) _id_buffer.assign(value);
        } else if (field == "retry") {
            bool digits = !value.empty();
            uint64_t v = 0;
            for (char ch : value) {
                // Not all digits, or too large to represent: ignore the field.
                if (ch < '0' || ch > '9' || v > (UINT64_MAX - 9) / 10) {
                    digits = false;
                    break;
                }
                v = v * 10 + uint64_t(ch - '0');
            }
            if (digits) _retry = v;
        }
        // any other field is ignored
    }

    template <typename F>
    void dispatch(F&& on_event) {
        _last_event_id = _id_buffer;
        if (_data.empty()) {
            _type.clear();
            return;
        }
        if (_data.back() == '\n') _data.pop_back();
        SseEvent ev;
        ev.type = _type.empty() ? "message" : _type;
        ev.data.swap(_data);
        ev.last_event_id = _last_event_id;
        _data.clear();
        _type.clear();
        on_event(static_cast<const SseEvent&>(ev));
    }

    std::string _line;
    std::string _data;
    std::string _type;
    std::string _id_buffer;
    std::string _last_event_id;
    std::string _bom_buffer;
    std::optional<uint64_t> _retry;
    uint64_t _comments = 0;
    bool _pending_cr = false;
    bool _bom_checked = false;
};

}  // namespace ringcast

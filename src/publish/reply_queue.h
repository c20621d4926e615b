#pragma once
// Replies in request order, when some requests are answered later than others.
//
// A request answered at once appends its reply line directly to the output (if
// nothing earlier is still waiting); one that waits for other shards (publish,
// stats...) reserves a slot holding its "req", and replies behind it wait in the
// queue until the slot is filled. Reply lines follow docs/protocol.md:
//   {"req":<req>,"ok":true<members>}            fill_ok
//   {"req":<req>,"ok":false,"error":<object>}   fill_error
// A fire-and-forget request that can still fail on another shard reserves a
// silent slot: nothing if it succeeds, {"ok":false,"line":N,"error":...} if not.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace ringcast {

class ReplyQueue {
public:
    // A slot for the reply to the request whose "req" is `req` (compact JSON).
    uint64_t reserve(std::string req) {
        _slots.push_back(Slot{std::move(req), false, 0});
        return _first + _slots.size() - 1;
    }
    // A slot for a request without "req", on line `line` of the connection.
    uint64_t reserve_silent(uint64_t line) {
        _slots.push_back(Slot{std::string(), false, line});
        return _first + _slots.size() - 1;
    }
    // `members` are the reply's members after "ok" (",\"id\":\"5\"..."), or empty.
    void fill_ok(uint64_t slot, std::string_view members) {
        Slot& s = _slots[size_t(slot - _first)];
        if (s.line == 0)
            s.text = "{\"req\":" + s.text + ",\"ok\":true" + std::string(members) + "}\n";
        s.ready = true;
        release_ready();
    }
    // `members` follow the error (",\"current\":{...}"), or are empty.
    void fill_error(uint64_t slot, std::string_view error_object, std::string_view members = {}) {
        Slot& s = _slots[size_t(slot - _first)];
        if (s.line == 0) {
            s.text = "{\"req\":" + s.text + ",\"ok\":false,\"error\":" + std::string(error_object) +
                     std::string(members) + "}\n";
        } else {
            s.text = "{\"ok\":false,\"line\":" + std::to_string(s.line) +
                     ",\"error\":" + std::string(error_object) + std::string(members) + "}\n";
        }
        s.ready = true;
        release_ready();
    }
    // A silent slot's failures, as complete lines (maybe none): a fire-and-forget
    // batch reports each bad message on its own line.
    void fill_lines(uint64_t slot, std::string lines) {
        Slot& s = _slots[size_t(slot - _first)];
        s.text = std::move(lines);
        s.ready = true;
        release_ready();
    }
    // A complete reply line, ready now, behind every reply still waiting.
    void push(std::string_view line) {
        if (_slots.empty()) {
            _out += line;
        } else {
            _slots.push_back(Slot{std::string(line), true, 0});
        }
    }

    // Reply lines that may be written now, in order; the caller takes them.
    std::string& out() { return _out; }
    size_t waiting() const { return _slots.size(); }

private:
    struct Slot {
        std::string text;  // "req" until filled, then the reply line (if any)
        bool ready = false;
        uint64_t line = 0;  // silent slot: the request's line number
    };
    void release_ready() {
        while (!_slots.empty() && _slots.front().ready) {
            _out += _slots.front().text;
            _slots.pop_front();
            ++_first;
        }
    }

    std::deque<Slot> _slots;
    uint64_t _first = 0;  // number of _slots.front()
    std::string _out;
};

}  // namespace ringcast

#pragma once
// Splits a byte stream into lines ending in "\n" (an "\r" before it is dropped).
// At the end of the input (the peer's half-close), finish() hands over an
// unterminated last line as if its "\n" had come.
//
// Lines that lie entirely in one received buffer are handed over in place, with no
// copy; only a line split across reads is assembled in a carry buffer. A line
// longer than the limit is refused before it is buffered in full.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ringcast {

class LineReader {
public:
    explicit LineReader(size_t max_line) : _max(max_line) {}

    // Calls on_line(std::string_view line, uint64_t number) for every complete
    // line, numbered from 1; on_line returns false to stop (the rest is kept for a
    // later feed). Returns false if a line exceeded the limit (nothing more is read).
    template <typename F>
    bool feed(const char* data, size_t len, F&& on_line) {
        if (_overflow) return false;
        const char* p = data;
        const char* end = data + len;
        while (p < end) {
            const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
            if (!nl) {
                if (_carry.size() + size_t(end - p) > raw_max()) return overflow();
                _carry.append(p, size_t(end - p));
                return true;
            }
            std::string_view line;
            if (_carry.empty()) {
                line = std::string_view(p, size_t(nl - p));
            } else {
                if (_carry.size() + size_t(nl - p) > raw_max()) return overflow();
                _carry.append(p, size_t(nl - p));
                line = _carry;
            }
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (line.size() > _max) return overflow();
            p = nl + 1;
            ++_lines;
            bool go_on = on_line(line, _lines);
            if (!_carry.empty()) _carry.clear();
            if (!go_on) {
                _carry.assign(p, size_t(end - p));  // resumed by feed_carry()
                return true;
            }
        }
        return true;
    }

    // The input ended: what is left is handed over, its last line as if "\n"
    // followed it (numbered, checked against the limit, "\r" dropped), so that a
    // client need not end its last request with a newline. Same contract as
    // feed(); if on_line stops, the rest (that last line now terminated) is kept
    // for take_carry(), and a later finish() with nothing left does nothing.
    template <typename F>
    bool finish(F&& on_line) {
        if (_overflow) return false;
        if (_carry.empty()) return true;
        std::string rest = take_carry();
        if (rest.back() != '\n') rest += '\n';  // (a stop may have kept whole lines only)
        return feed(rest.data(), rest.size(), on_line);
    }

    // Bytes kept from an earlier feed whose on_line stopped early (or an
    // incomplete line). Feeding them again resumes where it stopped.
    std::string take_carry() {
        std::string c;
        c.swap(_carry);
        return c;
    }
    uint64_t lines() const { return _lines; }
    bool overflowed() const { return _overflow; }
    size_t buffered() const { return _carry.size(); }

private:
    // The limit is on the line without its end; a "\r" before the "\n" may
    // take one byte more.
    size_t raw_max() const { return _max + 1; }
    bool overflow() {
        _overflow = true;
        _carry.clear();
        return false;
    }

    std::string _carry;
    size_t _max;
    uint64_t _lines = 0;
    bool _overflow = false;
};

}  // namespace ringcast

#pragma once
// A small JSON writer for the replies and events the daemon produces itself.
// Parsing is simdjson's job; writing what we control is a few dozen lines, so
// it is not worth a dependency. Strings are escaped per RFC 8259; invalid UTF-8
// is passed through unchanged (inputs were validated where they entered).
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast {

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : _out(out) {}

    JsonWriter& begin_object() { return open('{'); }
    JsonWriter& end_object() { return close('}'); }
    JsonWriter& begin_array() { return open('['); }
    JsonWriter& end_array() { return close(']'); }

    JsonWriter& key(std::string_view k) {
        comma();
        string_literal(k);
        _out += ':';
        _after_key = true;
        return *this;
    }
    JsonWriter& value(std::string_view s) {
        comma();
        string_literal(s);
        return *this;
    }
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(bool b) {
        comma();
        _out += b ? "true" : "false";
        return *this;
    }
    JsonWriter& value(double d) {
        comma();
        // JSON has no NaN or infinity.
        if (!std::isfinite(d)) {
            _out += "null";
            return *this;
        }
        char buf[32];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed, 3);
        // Beyond ~1e28 fixed notation does not fit; the shortest form always does.
        if (ec != std::errc()) end = std::to_chars(buf, buf + sizeof buf, d).ptr;
        _out.append(buf, end);
        return *this;
    }
    template <typename T>
    requires std::is_integral_v<T> &&(!std::is_same_v<T, bool>)JsonWriter& value(T n) {
        comma();
        char buf[24];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
        _out.append(buf, end);
        return *this;
    }
    JsonWriter& null() {
        comma();
        _out += "null";
        return *this;
    }
    // Inserts already-serialized JSON (a payload parsed and minified elsewhere).
    JsonWriter& raw(std::string_view json) {
        comma();
        _out += json;
        return *this;
    }

    static void escape_into(std::string& out, std::string_view s) {
        static const char* hex = "0123456789abcdef";
        for (unsigned char c : s) {
            switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                case '\b': out += "\\b"; break;
                case '\f': out += "\\f"; break;
                default:
                    if (c < 0x20) {
                        out += "\\u00";
                        out += hex[c >> 4];
                        out += hex[c & 15];
                    } else {
                        out += char(c);
                    }
            }
        }
    }

private:
    JsonWriter& open(char c) {
        comma();
        _out += c;
        _first = true;
        return *this;
    }
    JsonWriter& close(char c) {
        _out += c;
        _first = false;
        return *this;
    }
    void comma() {
        if (_after_key) {
            _after_key = false;
            return;
        }
        if (!_first) _out += ',';
        _first = false;
    }
    void string_literal(std::string_view s) {
        _out += '"';
        escape_into(_out, s);
        _out += '"';
    }

    std::string& _out;
    bool _first = true;
    bool _after_key = false;
};

}  // namespace ringcast

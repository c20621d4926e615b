#include "json.h"

#include <charconv>
#include <cstdlib>

namespace ringcast::itest {

// Recursive descent over the text; depth-limited so hostile input cannot blow
// the stack (the daemon's replies nest three levels at most).
class JsonReader {
public:
    explicit JsonReader(std::string_view text) : _s(text) {}

    bool read_document(Json* out) {
        skip_ws();
        if (!read_value(out, 0)) return false;
        skip_ws();
        if (_i != _s.size()) return fail("trailing characters");
        return true;
    }
    std::string error() const { return _error + " at offset " + std::to_string(_i); }

private:
    bool fail(const char* what) {
        if (_error.empty()) _error = what;
        return false;
    }
    void skip_ws() {
        while (_i < _s.size() &&
               (_s[_i] == ' ' || _s[_i] == '\t' || _s[_i] == '\n' || _s[_i] == '\r'))
            ++_i;
    }
    bool literal(std::string_view word) {
        if (_s.substr(_i, word.size()) != word) return fail("invalid literal");
        _i += word.size();
        return true;
    }

    bool read_value(Json* out, int depth) {
        if (depth > 64) return fail("nesting too deep");
        if (_i >= _s.size()) return fail("unexpected end");
        switch (_s[_i]) {
            case '{': return read_object(out, depth);
            case '[': return read_array(out, depth);
            case '"': out->_type = Json::Type::string; return read_string(&out->_string);
            case 't':
                out->_type = Json::Type::boolean;
                out->_bool = true;
                return literal("true");
            case 'f': out->_type = Json::Type::boolean; return literal("false");
            case 'n': return literal("null");
            default: return read_number(out);
        }
    }

    bool read_object(Json* out, int depth) {
        out->_type = Json::Type::object;
        ++_i;
        skip_ws();
        if (_i < _s.size() && _s[_i] == '}') {
            ++_i;
            return true;
        }
        for (;;) {
            skip_ws();
            if (_i >= _s.size() || _s[_i] != '"') return fail("expected a member name");
            std::string key;
            if (!read_string(&key)) return false;
            skip_ws();
            if (_i >= _s.size() || _s[_i] != ':') return fail("expected ':'");
            ++_i;
            skip_ws();
            Json value;
            if (!read_value(&value, depth + 1)) return false;
            out->_members.emplace_back(std::move(key), std::move(value));
            skip_ws();
            if (_i >= _s.size()) return fail("unterminated object");
            if (_s[_i] == '}') {
                ++_i;
                return true;
            }
            if (_s[_i] != ',') return fail("expected ',' or '}'");
            ++_i;
        }
    }

    bool read_array(Json* out, int depth) {
        out->_type = Json::Type::array;
        ++_i;
        skip_ws();
        if (_i < _s.size() && _s[_i] == ']') {
            ++_i;
            return true;
        }
        for (;;) {
            skip_ws();
            Json value;
            if (!read_value(&value, depth + 1)) return false;
            out->_items.push_back(std::move(value));
            skip_ws();
            if (_i >= _s.size()) return fail("unterminated array");
            if (_s[_i] == ']') {
                ++_i;
                return true;
            }
            if (_s[_i] != ',') return fail("expected ',' or ']'");
            ++_i;
        }
    }

    static void put_utf8(std::string* out, uint32_t cp) {
        if (cp < 0x80) {
            *out += char(cp);
        } else if (cp < 0x800) {
            *out += char(0xC0 | (cp >> 6));
            *out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            *out += char(0xE0 | (cp >> 12));
            *out += char(0x80 | ((cp >> 6) & 0x3F));
            *out += char(0x80 | (cp & 0x3F));
        } else {
            *out += char(0xF0 | (cp >> 18));
            *out += char(0x80 | ((cp >> 12) & 0x3F));
            *out += char(0x80 | ((cp >> 6) & 0x3F));
            *out += char(0x80 | (cp & 0x3F));
        }
    }

    bool read_hex4(uint32_t* v) {
        if (_i + 4 > _s.size()) return fail("short \\u escape");
        auto [p, ec] = std::from_chars(_s.data() + _i, _s.data() + _i + 4, *v, 16);
        if (ec != std::errc() || p != _s.data() + _i + 4) return fail("bad \\u escape");
        _i += 4;
        return true;
    }

    bool read_string(std::string* out) {
        ++_i;  // opening quote
        while (_i < _s.size()) {
            char c = _s[_i++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
            if (c != '\\') {
                *out += c;
                continue;
            }
            if (_i >= _s.size()) break;
            char e = _s[_i++];
            switch (e) {
                case '"': *out += '"'; break;
                case '\\': *out += '\\'; break;
                case '/': *out += '/'; break;
                case 'b': *out += '\b'; break;
                case 'f': *out += '\f'; break;
                case 'n': *out += '\n'; break;
                case 'r': *out += '\r'; break;
                case 't': *out += '\t'; break;
                case 'u': {
                    uint32_t cp;
                    if (!read_hex4(&cp)) return false;
                    if (cp >= 0xD800 && cp < 0xDC00 && _s.substr(_i, 2) == "\\u") {
                        _i += 2;
                        uint32_t lo;
                        if (!read_hex4(&lo)) return false;
                        if (lo < 0xDC00 || lo > 0xDFFF) return fail("bad surrogate pair");
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    }
                    put_utf8(out, cp);
                    break;
                }
                default: return fail("bad escape");
            }
        }
        return fail("unterminated string");
    }

    bool read_number(Json* out) {
        size_t start = _i;
        if (_i < _s.size() && _s[_i] == '-') ++_i;
        auto digits = [&] {
            size_t from = _i;
            while (_i < _s.size() && _s[_i] >= '0' && _s[_i] <= '9')
                ++_i;
            return _i > from;
        };
        if (!digits()) return fail("invalid value");
        if (_i < _s.size() && _s[_i] == '.') {
            ++_i;
            if (!digits()) return fail("bad fraction");
        }
        if (_i < _s.size() && (_s[_i] == 'e' || _s[_i] == 'E')) {
            ++_i;
            if (_i < _s.size() && (_s[_i] == '+' || _s[_i] == '-')) ++_i;
            if (!digits()) return fail("bad exponent");
        }
        out->_type = Json::Type::number;
        out->_string.assign(_s.substr(start, _i - start));
        out->_number = std::strtod(out->_string.c_str(), nullptr);
        return true;
    }

    std::string_view _s;
    size_t _i = 0;
    std::string _error;
};

std::optional<Json> Json::parse(std::string_view text, std::string* error) {
    Json j;
    JsonReader r(text);
    if (!r.read_document(&j)) {
        if (error) *error = r.error();
        return std::nullopt;
    }
    return j;
}

namespace {
const Json& null_json() {
    static const Json null;
    return null;
}
}  // namespace

const Json* Json::find(std::string_view key) const {
    for (const auto& [k, v] : _members)
        if (k == key) return &v;
    return nullptr;
}

const Json& Json::operator[](std::string_view key) const {
    const Json* j = find(key);
    return j ? *j : null_json();
}

const Json& Json::operator[](size_t index) const {
    return index < _items.size() ? _items[index] : null_json();
}

size_t Json::size() const {
    if (_type == Type::array) return _items.size();
    if (_type == Type::object) return _members.size();
    return 0;
}

int64_t Json::as_int(int64_t fallback) const {
    if (_type != Type::number) return fallback;
    int64_t v;
    auto [p, ec] = std::from_chars(_string.data(), _string.data() + _string.size(), v);
    if (ec != std::errc() || p != _string.data() + _string.size()) return fallback;
    return v;
}

std::string json_quote(std::string_view s) {
    static const char* hex = "0123456789abcdef";
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    out += "\\u00";
                    out += hex[(c >> 4) & 0xF];
                    out += hex[c & 0xF];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    return out;
}

}  // namespace ringcast::itest

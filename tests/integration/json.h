#pragma once
// A small JSON reader for the daemon's replies (publish results, stats, errors,
// the data of SSE events), so the tests depend on nothing but the standard
// library and gtest. Strict RFC 8259 parsing; numbers are kept as double and
// as their source text (int64 values such as timestamps are read exactly).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringcast::itest {

class Json {
public:
    enum class Type { null, boolean, number, string, array, object };

    // nullopt (and *error set) if `text` is not exactly one JSON value.
    static std::optional<Json> parse(std::string_view text, std::string* error = nullptr);

    Type type() const { return _type; }
    bool is_null() const { return _type == Type::null; }
    bool is_bool() const { return _type == Type::boolean; }
    bool is_number() const { return _type == Type::number; }
    bool is_string() const { return _type == Type::string; }
    bool is_array() const { return _type == Type::array; }
    bool is_object() const { return _type == Type::object; }

    // Object member, or nullptr if absent (or this is not an object).
    const Json* find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key) != nullptr; }
    // Object member or array element; a null value when absent, so lookups chain.
    const Json& operator[](std::string_view key) const;
    const Json& operator[](size_t index) const;
    // Elements of an array or members of an object; 0 otherwise.
    size_t size() const;

    bool as_bool() const { return _bool; }
    double as_double() const { return _number; }
    // The number as an integer; `fallback` if not an integral number.
    int64_t as_int(int64_t fallback = INT64_MIN) const;
    // The string's value; empty if not a string.
    const std::string& as_string() const { return _string; }
    const std::vector<Json>& items() const { return _items; }
    const std::vector<std::pair<std::string, Json>>& members() const { return _members; }

private:
    friend class JsonReader;
    Type _type = Type::null;
    bool _bool = false;
    double _number = 0;
    std::string _string;  // string value, or a number's source text
    std::vector<Json> _items;
    std::vector<std::pair<std::string, Json>> _members;
};

// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

}  // namespace ringcast::itest

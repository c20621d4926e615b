#pragma once
// Small helpers for the text of HTTP header values, shared by whatever reads
// them (tokens, conditional and encoding headers): RFC 9110's optional
// whitespace, and ASCII case-insensitive comparison (header names, tokens
// such as "gzip" or "Bearer").
#include <string_view>

namespace ringcast {

// A space or a tab: what RFC 9110 calls optional whitespace (OWS).
inline bool is_ows(char c) {
    return c == ' ' || c == '\t';
}

// Without leading and trailing OWS.
inline std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && is_ows(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back()))
        s.remove_suffix(1);
    return s;
}

// Equal ignoring ASCII case (never locale-dependent).
inline bool equals_nocase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

}  // namespace ringcast

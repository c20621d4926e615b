#pragma once
// Query-string access for the few parameters the endpoints read.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast {

// Decodes %XX escapes and '+' (as space, the form encoding of a query string).
// A path segment passes plus_is_space = false: there '+' is itself (RFC 3986
// §3.3), as in a user id "ann+news@example.com". Returns nullopt on a
// malformed escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = true);

// The decoded value of the first `name=` parameter; nullopt if absent. A
// malformed escape sets *malformed.
std::optional<std::string> query_param(std::string_view query, std::string_view name,
                                       bool* malformed);

// Splits on ',' and drops empty items.
std::vector<std::string> split_list(std::string_view s);

}  // namespace ringcast

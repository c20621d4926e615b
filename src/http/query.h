#pragma once
// Query-string access for the few parameters the endpoints read.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast {

// Decodes %XX escapes and '+' (as space). Returns nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s);

// The decoded value of the first `name=` parameter; nullopt if absent. A
// malformed escape sets *malformed.
std::optional<std::string> query_param(std::string_view query, std::string_view name,
                                       bool* malformed);

// Splits on ',' and drops empty items.
std::vector<std::string> split_list(std::string_view s);

}  // namespace ringcast

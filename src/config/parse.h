#pragma once
// Private to src/config: turning TOML values into Config fields, with the messages
// the operator sees. A value check reports what is wrong ("expected an integer");
// the caller puts the file, line and key path in front. Checks of nested values
// (inline tables, [[endpoint]] blocks) report a whole message and the node it is
// about, because the key path and the line are theirs, not the parent's.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/config.h"
#include "config/problems.h"

namespace ringcast::config_detail {

// A mistake inside a nested value: the node it is about (for the line; null = the
// nested value itself) and the message without the location ("unknown key
// 'endpoint[1].chanels' (did you mean 'endpoint[1].channels'?)").
struct Problem {
    const toml::node* at = nullptr;
    std::string message;
};

bool want_string(const toml::node& n, std::string* out, std::string* err);
bool want_bool(const toml::node& n, bool* out, std::string* err);
bool want_duration(const toml::node& n, uint64_t* out, uint64_t min_ms, std::string* err);
bool want_size(const toml::node& n, uint64_t* out, uint64_t min, uint64_t max, std::string* err);
bool want_one_of(const toml::node& n, std::string* out, std::initializer_list<const char*> allowed,
                 std::string* err);
// An array of strings; `what` names the items in the message ("channel names").
bool want_string_list(const toml::node& n, std::vector<std::string>* out, const char* what,
                      std::string* err);
// An array of numeric uids or gids.
bool want_id_list(const toml::node& n, std::vector<uint32_t>* out, std::string* err);

template <typename T>
bool want_uint(const toml::node& n, T* out, uint64_t min, uint64_t max, std::string* err) {
    if (!n.is_integer()) {
        *err = "expected an integer";
        return false;
    }
    int64_t v = n.as_integer()->get();
    if (v < 0 || uint64_t(v) < min || uint64_t(v) > max) {
        *err = fmt::format("must be between {} and {}", min, max);
        return false;
    }
    *out = T(v);
    return true;
}

// Visible ASCII without spaces, at least one character: what may follow
// "Bearer " or "X-API-Key:" (an API key).
bool header_safe(std::string_view s);

// The candidate the operator probably meant by `name`, or "" when none is close:
// an edit distance below 4, or failing that the only candidate that extends the
// name by a word ("max" -> "max_connections") or that the name extends
// ("max_connections" -> "max").
std::string closest(std::string_view name, const std::vector<std::string>& candidates);

// "unknown key 'x.y'" plus " (did you mean 'x.z'?)" when one is close.
std::string unknown_key_message(const std::string& path, const std::string& leaf,
                                const std::vector<std::string>& leaves);

// "file:line", or "file" when the node has no position.
std::string where(const std::string& source, const toml::node& n);

// Where a value is in its file (line 0 when it has no position).
ConfigPlace place_of(const toml::node& n);

// A table's members in the order the file writes them (toml++ keeps them sorted
// by name), so that the first problem found in a table is its first in the file.
std::vector<std::pair<std::string, const toml::node*>> in_file_order(const toml::table& t);

// rate_limit = { <max_key> = N, window = "1m" }: sets the keys the table has and
// keeps the others. `path` is the key's full path for messages.
bool parse_rate_window(const toml::node& n, const std::string& path, const char* max_key,
                       RateWindow* out, Problem* p);

// An array of IP addresses and CIDR ranges (net/ip_range.h), each checked, kept
// as written (the daemon parses them again into ranges). `path` is the key's
// full path; a bad item is reported at its own line.
bool parse_ip_ranges(const toml::node& n, const std::string& path, std::vector<std::string>* out,
                     Problem* p);

// The value of `endpoint`: an array of tables, each one endpoint, every omitted key
// at its documented default. Replaces *out only if every block is valid.
bool parse_endpoints(const toml::node& n, std::vector<EndpointConfig>* out, Problem* p);

// The value of `channel`: [[channel]] blocks (or [] for none), each one rule.
// Replaces *out only if every block is valid.
bool parse_channel_rules(const toml::node& n, std::vector<ChannelRuleConfig>* out, Problem* p);

}  // namespace ringcast::config_detail

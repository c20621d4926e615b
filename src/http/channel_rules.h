#pragma once
// Who may subscribe to which channel, whatever the endpoint: the [[channel]]
// rules and sse.open_channels. Endpoint gates (endpoint.h) say who may open a
// stream at a path; these say who may hold a channel on any path, so that a
// channel such as admin-actions stays closed on the general endpoints too.
//
// A rule names one channel ("admin-actions") or a pattern where `*` stands for
// any run of characters ("user:*", "private-*"). The rule for a channel is the
// one naming it exactly, else the matching pattern with the most characters
// other than `*`, else the first such in the file. A channel no rule matches is
// open to anyone when open_channels is true, and to nobody otherwise.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/claims.h"

namespace ringcast {

struct ChannelRule {
    std::string pattern;                     // a channel name, or a pattern with `*`
    bool require_auth = false;               // a token is needed (roles or permissions imply it)
    std::vector<std::string> allowed_roles;  // non-empty: the token holds one of them
    std::vector<std::string> allowed_permissions;  // non-empty: the token holds one of them
};

class ChannelRules {
public:
    // No rules, every channel open (as before there were rules).
    ChannelRules() = default;
    ChannelRules(std::vector<ChannelRule> rules, bool open_channels);

    // The rule that governs `channel`, or nullptr.
    const ChannelRule* rule_for(std::string_view channel) const;
    // nullopt when `who` (nullptr: an anonymous stream) may subscribe to
    // `channel`; else why not, naming the channel and what it needs.
    std::optional<std::string> refusal(std::string_view channel, const Claims* who) const;

    bool open_channels() const { return _open; }
    size_t size() const { return _rules.size(); }

private:
    std::vector<ChannelRule> _rules;
    std::vector<size_t> _patterns;  // indexes into _rules, most specific first
    bool _open = true;
};

// Whether `pattern` matches `name`; `*` matches any run of characters, even none.
bool channel_pattern_matches(std::string_view pattern, std::string_view name);

}  // namespace ringcast

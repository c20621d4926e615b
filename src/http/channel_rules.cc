#include "http/channel_rules.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ringcast {

namespace {

size_t literal_chars(std::string_view pattern) {
    return size_t(std::count_if(pattern.begin(), pattern.end(), [](char c) { return c != '*'; }));
}

bool holds_any(const std::vector<std::string>& held, const std::vector<std::string>& wanted) {
    for (const std::string& w : wanted)
        if (std::find(held.begin(), held.end(), w) != held.end()) return true;
    return false;
}

}  // namespace

// Greedy glob matching with one backtrack point (the last `*`): linear in
// practice, and names are at most 128 bytes.
bool channel_pattern_matches(std::string_view pattern, std::string_view name) {
    size_t p = 0, n = 0;
    size_t star = std::string_view::npos, resume = 0;
    while (n < name.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = n;
        } else if (p < pattern.size() && pattern[p] == name[n]) {
            ++p;
            ++n;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            n = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

ChannelRules::ChannelRules(std::vector<ChannelRule> rules, bool open_channels)
    : _rules(std::move(rules)), _open(open_channels) {
    for (size_t i = 0; i < _rules.size(); ++i)
        if (_rules[i].pattern.find('*') != std::string::npos) _patterns.push_back(i);
    std::stable_sort(_patterns.begin(), _patterns.end(), [&](size_t a, size_t b) {
        return literal_chars(_rules[a].pattern) > literal_chars(_rules[b].pattern);
    });
}

const ChannelRule* ChannelRules::rule_for(std::string_view channel) const {
    for (const ChannelRule& r : _rules)
        if (r.pattern == channel) return &r;
    for (size_t i : _patterns)
        if (channel_pattern_matches(_rules[i].pattern, channel)) return &_rules[i];
    return nullptr;
}

std::optional<std::string> ChannelRules::refusal(std::string_view channel,
                                                 const Claims* who) const {
    const ChannelRule* r = rule_for(channel);
    if (!r) {
        if (_open) return std::nullopt;
        return fmt::format(
            "channel \"{}\" is closed: no [[channel]] rule opens it "
            "(sse.open_channels = false)",
            channel);
    }
    const std::string governed =
        r->pattern == channel ? std::string() : fmt::format(" (rule \"{}\")", r->pattern);
    const bool roles_ok =
        r->allowed_roles.empty() || (who && holds_any(who->roles, r->allowed_roles));
    const bool permissions_ok = r->allowed_permissions.empty() ||
                                (who && holds_any(who->permissions, r->allowed_permissions));
    const bool needs_token =
        r->require_auth || !r->allowed_roles.empty() || !r->allowed_permissions.empty();
    if ((!needs_token || who) && roles_ok && permissions_ok) return std::nullopt;
    // What the rule asks for, then what this stream lacks.
    std::string needs;
    if (!r->allowed_roles.empty())
        needs = fmt::format("is for the roles {}", fmt::join(r->allowed_roles, ", "));
    if (!r->allowed_permissions.empty())
        needs += fmt::format("{}needs one of the permissions {}", needs.empty() ? "" : " and ",
                             fmt::join(r->allowed_permissions, ", "));
    if (needs.empty()) needs = "is for authenticated users";
    if (!who)
        return fmt::format("channel \"{}\"{} {}: open the stream with a token", channel, governed,
                           needs);
    return fmt::format(
        "channel \"{}\"{} {}; the token of user {} holds {}", channel, governed, needs, who->user,
        !r->allowed_roles.empty() && !r->allowed_permissions.empty() && (roles_ok || permissions_ok)
            ? "only one of the two"
            : "none of them");
}

}  // namespace ringcast

// [[channel]] blocks -> ChannelRuleConfig: who may subscribe to a channel, or to
// the channels a pattern matches, on every endpoint. Checks across blocks
// (patterns valid and unique) are validate_config's.
#include "config/parse.h"

namespace ringcast::config_detail {
namespace {

constexpr const char* kKeys[] = {"name", "require_auth", "allowed_roles", "allowed_permissions"};

bool parse_block(const toml::table& t, const std::string& prefix, ChannelRuleConfig* out,
                 Problem* p) {
    ChannelRuleConfig r;
    bool has_name = false;
    for (auto&& [k, v] : t) {
        std::string name(k.str()), path = prefix + "." + name;
        std::string why;
        bool ok = true;
        if (name == "name") {
            ok = want_string(v, &r.name, &why);
            has_name = true;
        } else if (name == "require_auth") {
            ok = want_bool(v, &r.require_auth, &why);
        } else if (name == "allowed_roles") {
            ok = want_string_list(v, &r.allowed_roles, "role names", &why);
        } else if (name == "allowed_permissions") {
            ok = want_string_list(v, &r.allowed_permissions, "permission names", &why);
        } else {
            p->at = &v;
            p->message = unknown_key_message(path, name, {std::begin(kKeys), std::end(kKeys)});
            return false;
        }
        if (!ok) {
            p->at = &v;
            p->message = fmt::format("'{}' {}", path, why);
            return false;
        }
    }
    if (!has_name) {
        p->at = &t;
        p->message = fmt::format(
            "'{}' has no name (every [[channel]] names a channel or a "
            "pattern such as \"user:*\")",
            prefix);
        return false;
    }
    *out = std::move(r);
    return true;
}

}  // namespace

bool parse_channel_rules(const toml::node& n, std::vector<ChannelRuleConfig>* out, Problem* p) {
    const toml::array* blocks = n.as_array();
    if (!blocks || !(blocks->empty() || blocks->is_array_of_tables())) {
        p->message =
            "'channel' expected [[channel]] blocks (an array of tables), one per channel "
            "rule, or [] for none";
        return false;
    }
    std::vector<ChannelRuleConfig> rules;
    for (size_t i = 0; i < blocks->size(); ++i) {
        ChannelRuleConfig r;
        if (!parse_block(*blocks->get(i)->as_table(), fmt::format("channel[{}]", i), &r, p))
            return false;
        rules.push_back(std::move(r));
    }
    *out = std::move(rules);
    return true;
}

}  // namespace ringcast::config_detail

// [[endpoint]] blocks -> EndpointConfig. Each block starts from the documented
// defaults (the template in default.toml), so a block only names what it changes.
// Checks that involve other keys (paths unique, channel names, auth configured)
// are validate_config's.
#include <functional>

#include "config/parse.h"

namespace ringcast::config_detail {
namespace {

// One key of a block: how to store its value, or what is wrong with it.
struct EndpointKey {
    const char* name;
    std::function<bool(const toml::node&, EndpointConfig&, std::string*)> set;
};

const std::vector<EndpointKey>& endpoint_keys() {
    static const std::vector<EndpointKey> keys = {
        {"path", [](auto& n, auto& e, auto* err) { return want_string(n, &e.path, err); }},
        {"channels",
         [](auto& n, auto& e, auto* err) {
             return want_string_list(n, &e.channels, "channel names", err);
         }},
        {"require_auth",
         [](auto& n, auto& e, auto* err) { return want_bool(n, &e.require_auth, err); }},
        {"allowed_roles",
         [](auto& n, auto& e, auto* err) {
             return want_string_list(n, &e.allowed_roles, "role names", err);
         }},
        {"allowed_permissions",
         [](auto& n, auto& e, auto* err) {
             return want_string_list(n, &e.allowed_permissions, "permission names", err);
         }},
        {"heartbeat_interval",
         [](auto& n, auto& e, auto* err) {
             e.heartbeat_interval_set = true;
             return want_duration(n, &e.heartbeat_interval_ms, 100, err);
         }},
        {"connection_timeout",
         [](auto& n, auto& e, auto* err) {
             return want_duration(n, &e.connection_timeout_ms, 0, err);
         }},
        // rate_limit is an inline table: handled by parse_rate_window below.
        {"rate_limit", nullptr},
        {"max_connections_per_ip",
         [](auto& n, auto& e, auto* err) {
             return want_uint(n, &e.max_connections_per_ip, 0, UINT32_MAX, err);
         }},
        {"max_connections_per_user",
         [](auto& n, auto& e, auto* err) {
             return want_uint(n, &e.max_connections_per_user, 0, UINT32_MAX, err);
         }},
    };
    return keys;
}

// What a block gets for every key it omits (heartbeat_interval_ms is replaced by
// [sse] heartbeat_interval once the whole file is read).
EndpointConfig block_defaults() {
    EndpointConfig e;
    e.rate_limit.window_ms = 60'000;
    return e;
}

bool parse_block(const toml::table& t, const std::string& prefix, EndpointConfig* out, Problem* p) {
    EndpointConfig e = block_defaults();
    bool has_path = false;
    for (const auto& [name, node] : in_file_order(t)) {
        const toml::node& v = *node;
        std::string path = prefix + "." + name;
        const EndpointKey* key = nullptr;
        for (const EndpointKey& candidate : endpoint_keys())
            if (name == candidate.name) key = &candidate;
        if (!key) {
            std::vector<std::string> names;
            for (const EndpointKey& candidate : endpoint_keys())
                names.emplace_back(candidate.name);
            p->at = &v;
            p->message = unknown_key_message(path, name, names);
            return false;
        }
        if (!key->set) {
            if (!parse_rate_window(v, path, "max_connections", &e.rate_limit, p)) {
                if (!p->at) p->at = &v;
                return false;
            }
            continue;
        }
        std::string why;
        if (!key->set(v, e, &why)) {
            p->at = &v;
            p->message = fmt::format("'{}' {}", path, why);
            return false;
        }
        has_path |= name == "path";
    }
    if (!has_path) {
        p->at = &t;
        p->message = fmt::format("'{}' has no path (every [[endpoint]] needs one)", prefix);
        return false;
    }
    *out = std::move(e);
    return true;
}

}  // namespace

bool parse_endpoints(const toml::node& n, std::vector<EndpointConfig>* out, Problem* p) {
    const toml::array* blocks = n.as_array();
    if (blocks && blocks->empty()) {
        p->message = "'endpoint' is empty: at least one [[endpoint]] block is needed";
        return false;
    }
    if (!blocks || !blocks->is_array_of_tables()) {
        p->message =
            "'endpoint' expected [[endpoint]] blocks (an array of tables), one per SSE endpoint";
        return false;
    }
    std::vector<EndpointConfig> endpoints;
    for (size_t i = 0; i < blocks->size(); ++i) {
        EndpointConfig e;
        if (!parse_block(*blocks->get(i)->as_table(), fmt::format("endpoint[{}]", i), &e, p))
            return false;
        endpoints.push_back(std::move(e));
    }
    *out = std::move(endpoints);
    return true;
}

}  // namespace ringcast::config_detail

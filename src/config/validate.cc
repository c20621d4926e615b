// Rules that involve several keys, checked once every layer is applied.
// Messages name the keys (endpoints by their path) and say what to change; they
// never quote a secret.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "config/config.h"
#include "config/parse.h"
// Header-only and free of other layers: the one definition of a valid channel name.
#include "pubsub/channel_name.h"

namespace ringcast {
namespace {

// Routes the HTTP API answers itself (src/http/router.cc, which matches the
// endpoints first: an endpoint on one of these would hide it).
// The HTTP API's routes (src/http/router.cc), which an endpoint may not shadow;
// those ending in "/" take a name after them.
constexpr std::string_view kApiPaths[] = {"/api/publish",      "/api/invalidate", "/api/stats",
                                          "/api/ping",         "/api/disconnect", "/api/tokens",
                                          "/api/connections/", "/api/users/"};

constexpr uint64_t kMinHeartbeatMs = 100;

// Records a broken rule about `keys`; false, so that a check can stop at it.
bool fail(ConfigProblems* problems, std::vector<std::string> keys, std::string message) {
    problems->add_rule_problem(std::move(keys), std::move(message));
    return false;
}

std::string quoted_list(const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v)
        out += (out.empty() ? "" : ", ") + fmt::format("\"{}\"", s);
    return "[" + out + "]";
}

// scheme://host[:port] as browsers send it in Origin: lowercase, no path, no
// trailing slash. Anything else would never match an exact comparison.
bool valid_origin(std::string_view o) {
    size_t sep = o.find("://");
    if (sep == std::string_view::npos || sep == 0 || sep + 3 == o.size()) return false;
    for (size_t i = 0; i < sep; ++i) {
        char c = o[i];
        bool ok = (c >= 'a' && c <= 'z') ||
                  (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-'));
        if (!ok) return false;
    }
    for (char c : o.substr(sep + 3)) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                  c == ':' || c == '[' || c == ']';
        if (!ok) return false;
    }
    return true;
}

bool validate_stream_tokens(const Config& cfg, ConfigProblems* p) {
    if (cfg.auth_token_ttl_ms > cfg.auth_token_max_ttl_ms)
        return fail(p, {"auth.token_ttl", "auth.token_max_ttl"},
                    fmt::format("auth.token_ttl ({} s) is longer than auth.token_max_ttl ({} s)",
                                cfg.auth_token_ttl_ms / 1000, cfg.auth_token_max_ttl_ms / 1000));
    if (!cfg.auth_token_key_file.empty() && cfg.auth_token_key_file.back() == '/')
        return fail(p, {"auth.token_key_file"},
                    fmt::format("auth.token_key_file = \"{}\" names a directory; name the file",
                                cfg.auth_token_key_file));
    return true;
}

bool validate_auth(const Config& cfg, ConfigProblems* p) {
    const std::vector<std::string> key_keys = {"auth.algorithm", "auth.secret", "auth.secret_file",
                                               "auth.public_key_file"};
    const std::string& alg = cfg.auth_algorithm;
    bool has_secret = !cfg.auth_secret.empty(), has_secret_file = !cfg.auth_secret_file.empty();
    bool has_key_file = !cfg.auth_public_key_file.empty();
    if (alg.empty()) {
        if (has_secret || has_secret_file || has_key_file)
            return fail(p, key_keys,
                        "auth.secret, auth.secret_file or auth.public_key_file is set but "
                        "auth.algorithm is empty: set it to \"HS256\", \"RS256\" or \"ES256\"");
        return true;
    }
    if (alg != "HS256" && alg != "RS256" && alg != "ES256")
        return fail(p, {"auth.algorithm"},
                    fmt::format("auth.algorithm = \"{}\" must be one of \"\", \"HS256\", "
                                "\"RS256\", \"ES256\"",
                                alg));
    if (alg == "HS256") {
        if (!has_secret && !has_secret_file)
            return fail(p, key_keys,
                        "auth.algorithm = \"HS256\" needs auth.secret_file (or auth.secret): the "
                        "shared secret tokens are signed with");
        if (has_secret && has_secret_file)
            return fail(p, {"auth.secret", "auth.secret_file"},
                        "auth.secret and auth.secret_file are both set: keep one (secret_file "
                        "keeps the secret out of the configuration)");
        if (has_key_file)
            return fail(p, key_keys,
                        "auth.public_key_file is for RS256 / ES256, but auth.algorithm = "
                        "\"HS256\" uses auth.secret or auth.secret_file");
        if (has_secret && cfg.auth_secret.size() < kMinHs256SecretBytes)
            return fail(p, {"auth.secret"},
                        fmt::format("auth.secret is {} bytes; HS256 needs at least {} "
                                    "(e.g. `openssl rand -base64 48`)",
                                    cfg.auth_secret.size(), kMinHs256SecretBytes));
    } else {
        if (!has_key_file)
            return fail(p, key_keys,
                        fmt::format("auth.algorithm = \"{}\" needs auth.public_key_file "
                                    "(the PEM public key tokens are verified with)",
                                    alg));
        if (has_secret || has_secret_file)
            return fail(p, key_keys,
                        fmt::format("auth.secret and auth.secret_file are for HS256, but "
                                    "auth.algorithm = \"{}\" uses auth.public_key_file",
                                    alg));
    }
    if (!cfg.auth_header && cfg.auth_cookie.empty() && cfg.auth_query.empty())
        return fail(p, {"auth.header", "auth.cookie", "auth.query"},
                    "[auth] reads tokens from nowhere: header = false, cookie = \"\" and "
                    "query = \"\"; enable at least one");
    if (cfg.auth_user_claim.empty())
        return fail(p, {"auth.user_claim"},
                    "auth.user_claim must name the claim holding the user id (\"sub\")");
    return true;
}

// `key` is the setting ("publish.rate_limit"), `what` its count in messages.
bool validate_rate(const RateWindow& r, const std::string& key, const std::string& what,
                   ConfigProblems* p) {
    if (r.max > 0 && r.window_ms == 0)
        return fail(p, {key}, fmt::format("{} = {} needs a window greater than 0", what, r.max));
    return true;
}

bool validate_publish(const Config& cfg, ConfigProblems* p) {
    for (size_t i = 0; i < cfg.publish_api_keys.size(); ++i)
        if (!config_detail::header_safe(cfg.publish_api_keys[i]))
            return fail(p, {"publish.api_keys"},
                        fmt::format("publish.api_keys[{}] must be non-empty visible ASCII "
                                    "without spaces (it travels in an HTTP header)",
                                    i));
    bool rate =
        validate_rate(cfg.publish_rate_limit, "publish.rate_limit", "publish.rate_limit.max", p);
    bool user_rate = validate_rate(cfg.publish_user_rate_limit, "publish.user_rate_limit",
                                   "publish.user_rate_limit.max", p);
    return rate && user_rate;
}

bool validate_cors(const Config& cfg, ConfigProblems* p) {
    const auto& origins = cfg.cors_allowed_origins;
    bool any = std::find(origins.begin(), origins.end(), "*") != origins.end();
    if (any && origins.size() > 1)
        return fail(p, {"cors.allowed_origins"},
                    fmt::format("cors.allowed_origins = {}: \"*\" allows every origin and "
                                "cannot be combined with others",
                                quoted_list(origins)));
    for (const std::string& o : origins)
        if (o != "*" && !valid_origin(o))
            return fail(p, {"cors.allowed_origins"},
                        fmt::format("cors.allowed_origins: \"{}\" is not an origin: write "
                                    "scheme://host[:port] in lowercase, without a path or a "
                                    "trailing slash (or \"*\" for any)",
                                    o));
    if (any && cfg.cors_allow_credentials)
        return fail(p, {"cors.allowed_origins", "cors.allow_credentials"},
                    "cors.allow_credentials = true cannot be used with cors.allowed_origins = "
                    "[\"*\"] (browsers refuse credentials for a wildcard origin): list the "
                    "origins");
    return true;
}

// `keys`: the setting holding the list, and sse.max_channels_per_stream.
bool validate_channels(const std::vector<std::string>& channels, const Config& cfg,
                       const std::string& what, const std::string& key, ConfigProblems* p) {
    for (const std::string& ch : channels)
        if (!valid_channel_name(ch))
            return fail(p, {key},
                        fmt::format("{}: \"{}\" is not a valid channel name (1 to {} of "
                                    "A-Z a-z 0-9 . _ : -)",
                                    what, ch, kMaxChannelName));
    if (channels.size() > cfg.max_channels_per_stream)
        return fail(p, {key, "sse.max_channels_per_stream"},
                    fmt::format("{} lists {} channels, more than "
                                "sse.max_channels_per_stream = {}",
                                what, channels.size(), cfg.max_channels_per_stream));
    return true;
}

// Whether e is one of the endpoints of default.toml, unchanged but for its
// heartbeat (which follows [sse]).
bool is_builtin_endpoint(const EndpointConfig& e) {
    static const std::vector<EndpointConfig> builtin = [] {
        Config c;
        std::string ignored;  // the defaults parse: a unit test says so
        apply_config_text(c, default_config_toml(), "<built-in defaults>", &ignored);
        return c.endpoints;
    }();
    for (EndpointConfig b : builtin) {
        b.heartbeat_interval_ms = e.heartbeat_interval_ms;
        b.heartbeat_interval_set = e.heartbeat_interval_set;
        if (b == e) return true;
    }
    return false;
}

// Requests are matched with a trailing slash removed ("/x/" names "/x"), so a
// configured path cannot end in one (it could never match).
bool valid_path(std::string_view p) {
    return p.starts_with('/') && (p.size() == 1 || !p.ends_with('/')) &&
           std::none_of(p.begin(), p.end(),
                        [](char c) { return c <= 0x20 || c >= 0x7f || c == '?' || c == '#'; });
}

// `block` is the endpoint's key path ("endpoint[1]"); messages name it by its path.
bool validate_endpoint(const EndpointConfig& e, const std::string& block, const Config& cfg,
                       ConfigProblems* p) {
    std::string name = "endpoint " + e.path;
    auto key = [&](const char* k) { return block + "." + k; };
    if (!validate_channels(e.channels, cfg, name + " channels", key("channels"), p)) return false;
    for (const auto* list : {&e.allowed_roles, &e.allowed_permissions}) {
        const char* list_key = list == &e.allowed_roles ? "allowed_roles" : "allowed_permissions";
        for (const std::string& item : *list)
            if (item.empty())
                return fail(p, {key(list_key)},
                            fmt::format("{}: {} has an empty name", name, list_key));
    }
    if (!e.require_auth && !e.allowed_roles.empty())
        return fail(p, {key("allowed_roles"), key("require_auth")},
                    name + ": allowed_roles needs require_auth = true");
    if (!e.require_auth && !e.allowed_permissions.empty())
        return fail(p, {key("allowed_permissions"), key("require_auth")},
                    name + ": allowed_permissions needs require_auth = true");
    // The built-in endpoints may: they answer 401 until some token can verify.
    if (e.require_auth && cfg.auth_algorithm.empty() && cfg.auth_token_key_file.empty() &&
        !is_builtin_endpoint(e))
        return fail(p, {key("require_auth"), "auth.algorithm", "auth.token_key_file"},
                    name +
                        " requires authentication but no token can verify: [auth] algorithm "
                        "and token_key_file are empty (configure one, or set require_auth = "
                        "false)");
    if (e.heartbeat_interval_ms < kMinHeartbeatMs)
        return fail(p, {key("heartbeat_interval"), "sse.heartbeat_interval"},
                    fmt::format("{}: heartbeat_interval = {} ms must be at least {} ms", name,
                                e.heartbeat_interval_ms, kMinHeartbeatMs));
    return validate_rate(e.rate_limit, key("rate_limit"), name + ": rate_limit.max_connections", p);
}

bool validate_endpoints(const Config& cfg, ConfigProblems* p) {
    if (cfg.endpoints.empty()) return fail(p, {"endpoint"}, "no [[endpoint]] is configured");
    bool ok = true;
    for (size_t i = 0; i < cfg.endpoints.size(); ++i) {
        const std::string& path = cfg.endpoints[i].path;
        const std::string block = fmt::format("endpoint[{}]", i);
        if (!valid_path(path)) {
            ok = fail(p, {block + ".path"},
                      fmt::format("endpoint[{}].path = \"{}\" must start with \"/\", not end "
                                  "with one, and hold no spaces, '?' or '#'",
                                  i, path));
            continue;
        }
        bool api = false;
        for (std::string_view route : kApiPaths)
            api |= route.ends_with('/') ? path.starts_with(route) : path == route;
        if (api) {
            ok = fail(p, {block + ".path"},
                      fmt::format("endpoint[{}].path = \"{}\" is a route of the HTTP API; pick "
                                  "another path",
                                  i, path));
            continue;
        }
        bool repeated = false;
        for (size_t j = 0; j < i && !repeated; ++j)
            if (cfg.endpoints[j].path == path) {
                repeated = true;
                ok = fail(p, {block + ".path"},
                          fmt::format("endpoint[{}].path = \"{}\" is already endpoint[{}]'s: "
                                      "paths must be unique",
                                      i, path, j));
            }
        if (!repeated) ok &= validate_endpoint(cfg.endpoints[i], block, cfg, p);
    }
    return ok;
}

// [[channel]] names: channel names, or patterns of their characters and `*`;
// each at most once.
bool validate_channel_rules(const Config& cfg, ConfigProblems* p) {
    bool ok = true;
    for (size_t i = 0; i < cfg.channels.size(); ++i) {
        const ChannelRuleConfig& r = cfg.channels[i];
        const std::string block = fmt::format("channel[{}]", i);
        std::string literal = r.name;
        std::erase(literal, '*');
        if (r.name.empty() || r.name.size() > kMaxChannelName ||
            (!literal.empty() && !valid_channel_name(literal)))
            ok = fail(p, {block + ".name"},
                      fmt::format("{}.name = \"{}\" must be a channel name ([A-Za-z0-9._:-], at "
                                  "most {} characters) or a pattern of those with * (\"user:*\")",
                                  block, r.name, kMaxChannelName));
        for (size_t j = 0; j < i; ++j)
            if (cfg.channels[j].name == r.name)
                ok = fail(p, {block + ".name"},
                          fmt::format("{}.name = \"{}\" is already channel[{}]'s: one rule per "
                                      "name",
                                      block, r.name, j));
        for (const char* list_key : {"allowed_roles", "allowed_permissions"}) {
            const auto& list = std::string_view(list_key) == "allowed_roles"
                                   ? r.allowed_roles
                                   : r.allowed_permissions;
            for (const std::string& item : list)
                if (item.empty())
                    ok = fail(p, {block + "." + list_key},
                              fmt::format("channel {}: {} has an empty name", r.name, list_key));
        }
    }
    return ok;
}

// The store's file is checked when the daemon opens it (src/store); here only
// what is wrong whatever the file system says.
bool validate_store(const Config& cfg, ConfigProblems* p) {
    constexpr uint64_t kMaxFlushMs = 10'000;
    if (cfg.store_flush_interval_ms > kMaxFlushMs)
        return fail(p, {"store.flush_interval"},
                    fmt::format("store.flush_interval = {} ms is more than {} ms: a crash "
                                "loses up to one interval of what the log kept",
                                cfg.store_flush_interval_ms, kMaxFlushMs));
    if (!cfg.store_path.empty() && cfg.store_path.back() == '/')
        return fail(p, {"store.path"},
                    fmt::format("store.path = \"{}\" names a directory; name the file "
                                "(\"{}ringcast.db\")",
                                cfg.store_path, cfg.store_path));
    return true;
}

// The alerts' channels are streams' channels; their file is checked when the
// daemon opens it (src/alerts/alert_db).
bool validate_alerts(const Config& cfg, ConfigProblems* p) {
    for (const auto& [key, name] : {std::pair{"alerts.channel", &cfg.alerts_channel},
                                    std::pair{"alerts.admin_channel", &cfg.alerts_admin_channel}})
        if (!valid_channel_name(*name))
            return fail(p, {key},
                        fmt::format("{} = \"{}\" is not a valid channel name (1 to {} of "
                                    "A-Z a-z 0-9 . _ : -)",
                                    key, *name, kMaxChannelName));
    if (cfg.alerts_enabled && cfg.alerts_path.empty())
        return fail(p, {"alerts.path"},
                    "alerts.path is empty: alerts are kept in a file (set alerts.enabled = "
                    "false to have none)");
    if (!cfg.alerts_path.empty() && cfg.alerts_path.back() == '/')
        return fail(p, {"alerts.path"},
                    fmt::format("alerts.path = \"{}\" names a directory; name the file "
                                "(\"{}alerts.db\")",
                                cfg.alerts_path, cfg.alerts_path));
    return true;
}

// [cluster] node and prefix name Redis keys and a node in logs and stats:
// a plain alphabet, so that neither can break a key's shape ('#' separates
// the parts of a user count's field: cluster/cluster_node.h).
bool valid_cluster_word(const std::string& s, size_t max) {
    if (s.size() > max) return false;
    for (char ch : s)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != ':' &&
            ch != '-')
            return false;
    return true;
}

bool validate_cluster(const Config& cfg, ConfigProblems* p) {
    if (!valid_cluster_word(cfg.cluster_node, 100))
        return fail(p, {"cluster.node"},
                    fmt::format("cluster.node = \"{}\": a node name is 1 to 100 of A-Z a-z 0-9 "
                                ". _ : - (\"\" for the host name and the HTTP port)",
                                cfg.cluster_node.substr(0, 200)));
    if (cfg.cluster_prefix.empty() || !valid_cluster_word(cfg.cluster_prefix, 64))
        return fail(p, {"cluster.prefix"},
                    fmt::format("cluster.prefix = \"{}\": the key prefix is 1 to 64 of A-Z a-z "
                                "0-9 . _ : -",
                                cfg.cluster_prefix.substr(0, 200)));
    return true;
}

}  // namespace

// Every group of rules runs, so that the problem first in the file is among
// those found whatever group it belongs to (ConfigProblems orders them).
bool validate_config(const Config& cfg, ConfigProblems* p) {
    if (p->incomplete()) return false;
    const size_t before = p->size();
    if (cfg.recv_buffers & (cfg.recv_buffers - 1))
        fail(p, {"engine.recv_buffers"},
             fmt::format("engine.recv_buffers = {} must be a power of two", cfg.recv_buffers));
    if (cfg.max_header_bytes < 256)
        fail(p, {"http.max_header_bytes"}, "http.max_header_bytes must be at least 256");
    if (cfg.heartbeat_interval_ms < kMinHeartbeatMs)
        fail(p, {"sse.heartbeat_interval"},
             fmt::format("sse.heartbeat_interval = {} ms must be at least {} ms",
                         cfg.heartbeat_interval_ms, kMinHeartbeatMs));
    if (cfg.queue_limit > cfg.max_queue)
        fail(p, {"delivery.queue_limit", "delivery.max_queue"},
             fmt::format("delivery.queue_limit ({} bytes) is larger than "
                         "delivery.max_queue ({} bytes): the slow-reader policy applies "
                         "past queue_limit, and max_queue closes the connection, so "
                         "queue_limit must not exceed max_queue; lower queue_limit or "
                         "raise max_queue",
                         cfg.queue_limit, cfg.max_queue));
    validate_channels(cfg.default_channels, cfg, "sse.default_channels", "sse.default_channels", p);
    validate_auth(cfg, p);
    validate_stream_tokens(cfg, p);
    validate_publish(cfg, p);
    validate_cors(cfg, p);
    validate_endpoints(cfg, p);
    validate_channel_rules(cfg, p);
    validate_store(cfg, p);
    validate_alerts(cfg, p);
    if (cfg.cluster_redis_reconnect_base_ms > cfg.cluster_redis_reconnect_max_ms)
        fail(p, {"cluster.redis_reconnect_base", "cluster.redis_reconnect_max"},
             fmt::format("cluster.redis_reconnect_base ({} ms) is longer than "
                         "cluster.redis_reconnect_max ({} ms): the waits between attempts "
                         "grow from base up to max; lower base or raise max",
                         cfg.cluster_redis_reconnect_base_ms, cfg.cluster_redis_reconnect_max_ms));
    validate_cluster(cfg, p);
    if (!cfg.tls_listen.empty() && (cfg.tls_certificate.empty() || cfg.tls_key.empty()))
        fail(p, {"tls.listen", "tls.certificate", "tls.key"},
             fmt::format("tls.listen = \"{}\" needs tls.certificate and tls.key: the PEM "
                         "files of the server certificate (with its chain) and of its key",
                         cfg.tls_listen));
    for (const std::string& ch : cfg.metrics_channels)
        if (!valid_channel_name(ch)) {
            fail(p, {"metrics.channels"},
                 fmt::format("metrics.channels: \"{}\" is not a valid channel name (1 to {} of "
                             "A-Z a-z 0-9 . _ : -)",
                             ch, kMaxChannelName));
            break;
        }
    if (cfg.metrics_channels.size() > kMaxMetricChannels)
        fail(p, {"metrics.channels"},
             fmt::format("metrics.channels names {} channels; at most {}: each is a label value "
                         "of several series, and a scrape carries them all",
                         cfg.metrics_channels.size(), kMaxMetricChannels));
    return p->size() == before;
}

bool validate_config(const Config& cfg, std::string* error) {
    ConfigProblems problems;
    if (validate_config(cfg, &problems)) return true;
    *error = problems.report();
    return false;
}

}  // namespace ringcast

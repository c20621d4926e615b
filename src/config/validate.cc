// Rules that involve several keys, checked once every layer is applied, and the
// reading of key files for the daemon. Messages name the keys (endpoints by their
// path) and say what to change; they never quote a secret.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "config/config.h"
// Header-only and free of other layers: the one definition of a valid channel name.
#include "pubsub/channel_name.h"

namespace ringcast {
namespace {

// Routes the HTTP API answers itself (src/http/router.cc).
constexpr std::string_view kApiPaths[] = {"/api/publish", "/api/stats"};

constexpr uint64_t kMinHeartbeatMs = 100;

bool fail(std::string* error, std::string message) {
    *error = std::move(message);
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

// Visible ASCII without spaces: what may follow "Bearer " or "X-API-Key:".
bool header_safe(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool validate_auth(const Config& cfg, std::string* error) {
    const std::string& alg = cfg.auth_algorithm;
    bool has_secret = !cfg.auth_secret.empty(), has_secret_file = !cfg.auth_secret_file.empty();
    bool has_key_file = !cfg.auth_public_key_file.empty();
    if (alg.empty()) {
        if (has_secret || has_secret_file || has_key_file)
            return fail(error,
                        "auth.secret, auth.secret_file or auth.public_key_file is set but "
                        "auth.algorithm is empty: set it to \"HS256\", \"RS256\" or \"ES256\"");
        return true;
    }
    if (alg != "HS256" && alg != "RS256" && alg != "ES256")
        return fail(error, fmt::format("auth.algorithm = \"{}\" must be one of \"\", \"HS256\", "
                                       "\"RS256\", \"ES256\"",
                                       alg));
    if (alg == "HS256") {
        if (!has_secret && !has_secret_file)
            return fail(error,
                        "auth.algorithm = \"HS256\" needs auth.secret_file (or auth.secret): the "
                        "shared secret tokens are signed with");
        if (has_secret && has_secret_file)
            return fail(error,
                        "auth.secret and auth.secret_file are both set: keep one (secret_file "
                        "keeps the secret out of the configuration)");
        if (has_key_file)
            return fail(error,
                        "auth.public_key_file is for RS256 / ES256, but auth.algorithm = "
                        "\"HS256\" uses auth.secret or auth.secret_file");
        if (has_secret && cfg.auth_secret.size() < kMinHs256SecretBytes)
            return fail(error, fmt::format("auth.secret is {} bytes; HS256 needs at least {} "
                                           "(e.g. `openssl rand -base64 48`)",
                                           cfg.auth_secret.size(), kMinHs256SecretBytes));
    } else {
        if (!has_key_file)
            return fail(error, fmt::format("auth.algorithm = \"{}\" needs auth.public_key_file "
                                           "(the PEM public key tokens are verified with)",
                                           alg));
        if (has_secret || has_secret_file)
            return fail(error, fmt::format("auth.secret and auth.secret_file are for HS256, but "
                                           "auth.algorithm = \"{}\" uses auth.public_key_file",
                                           alg));
    }
    if (!cfg.auth_header && cfg.auth_cookie.empty() && cfg.auth_query.empty())
        return fail(error,
                    "[auth] reads tokens from nowhere: header = false, cookie = \"\" and "
                    "query = \"\"; enable at least one");
    if (cfg.auth_user_claim.empty())
        return fail(error, "auth.user_claim must name the claim holding the user id (\"sub\")");
    return true;
}

bool validate_rate(const RateWindow& r, const std::string& what, std::string* error) {
    if (r.max > 0 && r.window_ms == 0)
        return fail(error, fmt::format("{} = {} needs a window greater than 0", what, r.max));
    return true;
}

bool validate_publish_and_cors(const Config& cfg, std::string* error) {
    for (size_t i = 0; i < cfg.publish_api_keys.size(); ++i)
        if (!header_safe(cfg.publish_api_keys[i]))
            return fail(error, fmt::format("publish.api_keys[{}] must be non-empty visible ASCII "
                                           "without spaces (it travels in an HTTP header)",
                                           i));
    if (!validate_rate(cfg.publish_rate_limit, "publish.rate_limit.max", error) ||
        !validate_rate(cfg.publish_user_rate_limit, "publish.user_rate_limit.max", error))
        return false;

    const auto& origins = cfg.cors_allowed_origins;
    bool any = std::find(origins.begin(), origins.end(), "*") != origins.end();
    if (any && origins.size() > 1)
        return fail(error, fmt::format("cors.allowed_origins = {}: \"*\" allows every origin and "
                                       "cannot be combined with others",
                                       quoted_list(origins)));
    for (const std::string& o : origins)
        if (o != "*" && !valid_origin(o))
            return fail(error, fmt::format("cors.allowed_origins: \"{}\" is not an origin: write "
                                           "scheme://host[:port] in lowercase, without a path or a "
                                           "trailing slash (or \"*\" for any)",
                                           o));
    if (any && cfg.cors_allow_credentials)
        return fail(error,
                    "cors.allow_credentials = true cannot be used with cors.allowed_origins = "
                    "[\"*\"] (browsers refuse credentials for a wildcard origin): list the "
                    "origins");
    return true;
}

bool validate_channels(const std::vector<std::string>& channels, const Config& cfg,
                       const std::string& what, std::string* error) {
    for (const std::string& ch : channels)
        if (!valid_channel_name(ch))
            return fail(error, fmt::format("{}: \"{}\" is not a valid channel name (1 to {} of "
                                           "A-Z a-z 0-9 . _ : -)",
                                           what, ch, kMaxChannelName));
    if (channels.size() > cfg.max_channels_per_stream)
        return fail(error, fmt::format("{} lists {} channels, more than "
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

bool validate_endpoint(const EndpointConfig& e, const Config& cfg, std::string* error) {
    std::string name = "endpoint " + e.path;
    if (!validate_channels(e.channels, cfg, name + " channels", error)) return false;
    for (const auto* list : {&e.allowed_roles, &e.allowed_permissions})
        for (const std::string& item : *list)
            if (item.empty())
                return fail(error, fmt::format("{}: {} has an empty name", name,
                                               list == &e.allowed_roles ? "allowed_roles"
                                                                        : "allowed_permissions"));
    if (!e.require_auth && !e.allowed_roles.empty())
        return fail(error, name + ": allowed_roles needs require_auth = true");
    if (!e.require_auth && !e.allowed_permissions.empty())
        return fail(error, name + ": allowed_permissions needs require_auth = true");
    // The built-in endpoints may: they answer 401 until [auth] is configured.
    if (e.require_auth && cfg.auth_algorithm.empty() && !is_builtin_endpoint(e))
        return fail(error, name +
                               " requires authentication but [auth] algorithm is empty (configure "
                               "[auth], or set require_auth = false)");
    if (e.heartbeat_interval_ms < kMinHeartbeatMs)
        return fail(error, fmt::format("{}: heartbeat_interval = {} ms must be at least {} ms",
                                       name, e.heartbeat_interval_ms, kMinHeartbeatMs));
    return validate_rate(e.rate_limit, name + ": rate_limit.max_connections", error);
}

bool validate_endpoints(const Config& cfg, std::string* error) {
    if (cfg.endpoints.empty()) return fail(error, "no [[endpoint]] is configured");
    for (size_t i = 0; i < cfg.endpoints.size(); ++i) {
        const std::string& path = cfg.endpoints[i].path;
        if (!valid_path(path))
            return fail(error, fmt::format("endpoint[{}].path = \"{}\" must start with \"/\", not "
                                           "end with one, and hold no spaces, '?' or '#'",
                                           i, path));
        for (std::string_view api : kApiPaths)
            if (path == api)
                return fail(error, fmt::format("endpoint[{}].path = \"{}\" is a route of the HTTP "
                                               "API; pick another path",
                                               i, path));
        for (size_t j = 0; j < i; ++j)
            if (cfg.endpoints[j].path == path)
                return fail(error, fmt::format("endpoint[{}].path = \"{}\" is already "
                                               "endpoint[{}]'s: paths must be unique",
                                               i, path, j));
    }
    for (const EndpointConfig& e : cfg.endpoints)
        if (!validate_endpoint(e, cfg, error)) return false;
    return true;
}

// [[channel]] names: channel names, or patterns of their characters and `*`;
// each at most once.
bool validate_channel_rules(const Config& cfg, std::string* error) {
    for (size_t i = 0; i < cfg.channels.size(); ++i) {
        const ChannelRuleConfig& r = cfg.channels[i];
        std::string literal = r.name;
        std::erase(literal, '*');
        if (r.name.empty() || r.name.size() > kMaxChannelName ||
            (!literal.empty() && !valid_channel_name(literal)))
            return fail(error, fmt::format("channel[{}].name = \"{}\" must be a channel name "
                                           "([A-Za-z0-9._:-], at most {} characters) or a pattern "
                                           "of those with * (\"user:*\")",
                                           i, r.name, kMaxChannelName));
        for (size_t j = 0; j < i; ++j)
            if (cfg.channels[j].name == r.name)
                return fail(error, fmt::format("channel[{}].name = \"{}\" is already "
                                               "channel[{}]'s: one rule per name",
                                               i, r.name, j));
        for (const auto* list : {&r.allowed_roles, &r.allowed_permissions})
            for (const std::string& item : *list)
                if (item.empty())
                    return fail(error,
                                fmt::format("channel {}: {} has an empty name", r.name,
                                            list == &r.allowed_roles ? "allowed_roles"
                                                                     : "allowed_permissions"));
    }
    return true;
}

}  // namespace

// The store's file is checked when the daemon opens it (src/store); here only
// what is wrong whatever the file system says.
bool validate_store(const Config& cfg, std::string* error) {
    constexpr uint64_t kMaxFlushMs = 10'000;
    if (cfg.store_flush_interval_ms > kMaxFlushMs)
        return fail(error, fmt::format("store.flush_interval = {} ms is more than {} ms: a crash "
                                       "loses up to one interval of what the log kept",
                                       cfg.store_flush_interval_ms, kMaxFlushMs));
    if (!cfg.store_path.empty() && cfg.store_path.back() == '/')
        return fail(error, fmt::format("store.path = \"{}\" names a directory; name the file "
                                       "(\"{}ringcast.db\")",
                                       cfg.store_path, cfg.store_path));
    return true;
}

bool validate_config(const Config& cfg, std::string* error) {
    if (cfg.recv_buffers & (cfg.recv_buffers - 1)) {
        *error = fmt::format("engine.recv_buffers = {} must be a power of two", cfg.recv_buffers);
        return false;
    }
    if (cfg.max_header_bytes < 256) {
        *error = "http.max_header_bytes must be at least 256";
        return false;
    }
    if (cfg.heartbeat_interval_ms < kMinHeartbeatMs)
        return fail(error, fmt::format("sse.heartbeat_interval = {} ms must be at least {} ms",
                                       cfg.heartbeat_interval_ms, kMinHeartbeatMs));
    if (cfg.queue_limit > cfg.max_queue)
        return fail(error,
                    fmt::format("delivery.queue_limit ({} bytes) is larger than "
                                "delivery.max_queue ({} bytes): the slow-reader policy applies "
                                "past queue_limit, and max_queue closes the connection, so "
                                "queue_limit must not exceed max_queue; lower queue_limit or "
                                "raise max_queue",
                                cfg.queue_limit, cfg.max_queue));
    return validate_channels(cfg.default_channels, cfg, "sse.default_channels", error) &&
           validate_auth(cfg, error) && validate_publish_and_cors(cfg, error) &&
           validate_endpoints(cfg, error) && validate_channel_rules(cfg, error) &&
           validate_store(cfg, error);
}

bool read_key_file(const std::string& path, std::string* out, std::string* error) {
    constexpr off_t kMaxKeyFile = 1 << 20;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return fail(error, fmt::format("cannot read key file {}: {}", path, strerror(errno)));
    struct stat st;
    std::string why;
    if (fstat(fd, &st) != 0) {
        why = strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        why = "not a regular file";
    } else if (st.st_size > kMaxKeyFile) {
        why = fmt::format("{} bytes, more than a key file holds (1 MiB at most)", st.st_size);
    }
    std::string text;
    if (why.empty()) {
        text.resize(size_t(st.st_size));
        size_t got = 0;
        while (got < text.size()) {
            ssize_t n = ::read(fd, text.data() + got, text.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                why = strerror(errno);
                break;
            }
            if (n == 0) break;  // shrank while we read: take what is there
            got += size_t(n);
        }
        text.resize(got);
    }
    ::close(fd);
    if (!why.empty()) return fail(error, fmt::format("cannot read key file {}: {}", path, why));
    if (text.ends_with('\n')) {
        text.pop_back();
        if (text.ends_with('\r')) text.pop_back();
    }
    if (text.empty()) return fail(error, fmt::format("key file {} is empty", path));
    *out = std::move(text);
    return true;
}

}  // namespace ringcast

// Configuration: the embedded defaults load and validate; a file changes only
// the keys it sets ([[endpoint]] blocks replace the built-in list); every mistake
// is reported with file:line, the key, and what was expected (and, for a
// misspelled key, the key that was probably meant); rules across keys are
// validate_config's.
#include "config/config.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += s + ",";
    return out;
}

std::string join_ids(const std::vector<uint32_t>& v) {
    std::string out;
    for (uint32_t id : v)
        out += std::to_string(id) + ",";
    return out;
}

std::string rate(const RateWindow& r) {
    return std::to_string(r.max) + "/" + std::to_string(r.window_ms) + "ms";
}

// Every field by its TOML key, so two configs can be compared and differences named.
// Endpoints are compared apart (see changed()).
std::map<std::string, std::string> fields(const Config& c) {
    auto s = [](auto v) { return std::to_string(v); };
    std::string channels = join(c.default_channels);
    return {
        {"server.http", c.http},
        {"server.shards", s(c.shards)},
        {"server.data_dir", c.data_dir},
        {"server.log_level", c.log_level},
        {"server.accept", c.accept},
        {"server.listen_backlog", s(c.listen_backlog)},
        {"server.max_connections", s(c.max_connections)},
        {"server.retry_after", s(c.retry_after_ms)},
        {"server.shutdown_timeout", s(c.shutdown_timeout_ms)},
        {"server.lingering_time", s(c.lingering_time_ms)},
        {"server.lingering_bytes", s(c.lingering_bytes)},
        {"http.max_request_target", s(c.max_request_target)},
        {"http.max_header_bytes", s(c.max_header_bytes)},
        {"http.max_headers", s(c.max_headers)},
        {"http.max_body", s(c.max_body)},
        {"http.request_timeout", s(c.request_timeout_ms)},
        {"http.keepalive_timeout", s(c.keepalive_timeout_ms)},
        {"http.trusted_proxies", join(c.trusted_proxies)},
        {"http.forwarded_header", c.forwarded_header},
        {"sse.heartbeat_interval", s(c.heartbeat_interval_ms)},
        {"sse.heartbeat_format", c.heartbeat_format},
        {"sse.retry", s(c.retry_ms)},
        {"sse.default_channels", channels},
        {"sse.max_channels_per_stream", s(c.max_channels_per_stream)},
        {"auth.algorithm", c.auth_algorithm},
        {"auth.secret", c.auth_secret},
        {"auth.secret_file", c.auth_secret_file},
        {"auth.public_key_file", c.auth_public_key_file},
        {"auth.leeway", s(c.auth_leeway_ms)},
        {"auth.issuer", c.auth_issuer},
        {"auth.audience", c.auth_audience},
        {"auth.header", s(c.auth_header)},
        {"auth.cookie", c.auth_cookie},
        {"auth.query", c.auth_query},
        {"auth.user_claim", c.auth_user_claim},
        {"auth.roles_claim", c.auth_roles_claim},
        {"auth.permissions_claim", c.auth_permissions_claim},
        {"auth.subscriber_claim", c.auth_subscriber_claim},
        {"auth.publish_claim", c.auth_publish_claim},
        {"auth.admin_claim", c.auth_admin_claim},
        {"publish.max_line", s(c.publish_max_line)},
        {"publish.max_reply_backlog", s(c.publish_max_reply_backlog)},
        {"publish.max_pending", s(c.publish_max_pending)},
        {"publish.allow_uids", join_ids(c.publish_allow_uids)},
        {"publish.allow_gids", join_ids(c.publish_allow_gids)},
        {"publish.http_require_auth", s(c.publish_http_require_auth)},
        {"publish.api_keys", join(c.publish_api_keys)},
        {"publish.api_key_file", c.publish_api_key_file},
        {"publish.rate_limit", rate(c.publish_rate_limit)},
        {"publish.user_rate_limit", rate(c.publish_user_rate_limit)},
        {"cors.allowed_origins", join(c.cors_allowed_origins)},
        {"cors.allow_credentials", s(c.cors_allow_credentials)},
        {"cors.max_age", s(c.cors_max_age_ms)},
        {"store.path", c.store_path},
        {"alerts.enabled", c.alerts_enabled ? "true" : "false"},
        {"alerts.path", c.alerts_path},
        {"alerts.channel", c.alerts_channel},
        {"alerts.admin_channel", c.alerts_admin_channel},
        {"alerts.admin_roles", join(c.alerts_admin_roles)},
        {"alerts.custom_types", join(c.alerts_custom_types)},
        {"alerts.max_active", s(c.alerts_max_active)},
        {"alerts.max_title", s(c.alerts_max_title)},
        {"alerts.max_message", s(c.alerts_max_message)},
        {"alerts.max_details", s(c.alerts_max_details)},
        {"alerts.max_metadata", s(c.alerts_max_metadata)},
        {"alerts.max_actions", s(c.alerts_max_actions)},
        {"store.sync", c.store_sync},
        {"store.flush_interval", s(c.store_flush_interval_ms)},
        {"store.max_pending", s(c.store_max_pending)},
        {"delivery.max_queue", s(c.max_queue)},
        {"delivery.queue_limit", s(c.queue_limit)},
        {"delivery.slow_reader", c.slow_reader},
        {"delivery.write_timeout", s(c.write_timeout_ms)},
        {"cluster.redis", c.cluster_redis},
        {"cluster.redis_connect_timeout", s(c.cluster_redis_connect_timeout_ms)},
        {"cluster.redis_command_timeout", s(c.cluster_redis_command_timeout_ms)},
        {"cluster.redis_reconnect_base", s(c.cluster_redis_reconnect_base_ms)},
        {"cluster.redis_reconnect_max", s(c.cluster_redis_reconnect_max_ms)},
        {"cluster.redis_ping_interval", s(c.cluster_redis_ping_interval_ms)},
        {"engine.sq_entries", s(c.sq_entries)},
        {"engine.cq_entries", s(c.cq_entries)},
        {"engine.sends_per_turn", s(c.sends_per_turn)},
        {"engine.sends_per_turn_awaiting", s(c.sends_per_turn_awaiting)},
        {"engine.recv_buffers", s(c.recv_buffers)},
        {"engine.recv_buffer_size", s(c.recv_buffer_size)},
        {"engine.mesh_ring_capacity", s(c.mesh_ring_capacity)},
        {"engine.connections_per_shard", s(c.connections_per_shard)},
        {"sse.open_channels", c.open_channels ? "true" : "false"},
    };
}

// Keys whose values differ between a and b ("endpoint" if the endpoints do).
std::map<std::string, std::string> changed(const Config& a, const Config& b) {
    std::map<std::string, std::string> out;
    auto fa = fields(a), fb = fields(b);
    for (auto& [k, v] : fb)
        if (fa[k] != v) out[k] = v;
    if (a.endpoints != b.endpoints)
        out["endpoint"] = std::to_string(b.endpoints.size()) + " endpoints";
    if (a.channels != b.channels) out["channel"] = std::to_string(b.channels.size()) + " rules";
    return out;
}

Config defaults() {
    Config c;
    std::string err;
    EXPECT_TRUE(load_config(c, "", &err)) << err;
    return c;
}

// Applies text over the defaults; returns the error ("" on success).
std::string apply(Config& c, const std::string& text, const std::string& source = "test.toml") {
    std::string err;
    bool ok = apply_config_text(c, text, source, &err);
    EXPECT_EQ(ok, err.empty()) << err;
    return ok ? "" : err;
}

TEST(Config, BuiltInDefaultsParseAndValidate) {
    Config c;
    std::string err;
    ASSERT_TRUE(load_config(c, "", &err)) << err;
    EXPECT_TRUE(validate_config(c, &err)) << err;
    EXPECT_EQ(c.http, "127.0.0.1:8080");
    EXPECT_EQ(c.shards, 0u);
    EXPECT_EQ(c.log_level, "info");
    EXPECT_EQ(c.accept, "handoff");
    EXPECT_EQ(c.retry_after_ms, 5000u);
    EXPECT_EQ(c.metrics_snapshot_interval_ms, 1000u);
    EXPECT_EQ(c.max_request_target, 8192u);
    EXPECT_EQ(c.max_header_bytes, 16384u);
    EXPECT_EQ(c.max_headers, 64u);
    EXPECT_EQ(c.max_body, 1u << 20);
    EXPECT_EQ(c.request_timeout_ms, 10'000u);
    EXPECT_EQ(c.keepalive_timeout_ms, 60'000u);
    EXPECT_TRUE(c.trusted_proxies.empty());
    EXPECT_EQ(c.forwarded_header, "X-Forwarded-For");
    EXPECT_EQ(c.heartbeat_interval_ms, 30'000u);
    EXPECT_EQ(c.heartbeat_format, "event");
    EXPECT_EQ(c.retry_ms, 1000u);
    EXPECT_EQ(c.default_channels,
              (std::vector<std::string>{"alerts", "notifications", "toasts", "system"}));
    EXPECT_EQ(c.max_queue, 4u << 20);
    EXPECT_EQ(c.queue_limit, 1u << 20);
    EXPECT_EQ(c.slow_reader, "drop");
    EXPECT_EQ(c.recv_buffers, 512u);
    EXPECT_EQ(c.recv_buffer_size, 4096u);
    EXPECT_EQ(c.mesh_ring_capacity, 16384u);
    EXPECT_EQ(c.store_path, "ringcast.db");
    EXPECT_EQ(c.store_sync, "normal");
    EXPECT_EQ(c.store_flush_interval_ms, 10u);
    EXPECT_EQ(c.store_max_pending, 1'000'000u);
}

TEST(Config, DefaultFileListsEveryKey) {
    // default.toml documents every key; a key missing there would silently
    // default to zero.
    std::string text(default_config_toml());
    for (auto& [key, value] : fields(Config{})) {
        std::string section = key.substr(0, key.find('.')), name = key.substr(key.find('.') + 1);
        size_t at = text.find("[" + section + "]");
        ASSERT_NE(at, std::string::npos) << section;
        size_t next_section = text.find("\n[", at + 1);
        size_t line = text.find("\n" + name + " = ", at);
        EXPECT_TRUE(line != std::string::npos && line < next_section)
            << key << " missing from default.toml";
    }
}

TEST(Config, FileOverridesOnlyTheKeysItSets) {
    Config base = defaults();
    Config c = base;
    ASSERT_EQ(apply(c, "[sse]\nretry = \"2s\"\n\n[engine]\nrecv_buffers = 1024\n"), "");
    EXPECT_EQ(changed(base, c), (std::map<std::string, std::string>{
                                    {"sse.retry", "2000"}, {"engine.recv_buffers", "1024"}}));
}

TEST(Config, EmptyFileChangesNothing) {
    Config base = defaults();
    Config c = base;
    ASSERT_EQ(apply(c, ""), "");
    ASSERT_EQ(apply(c, "# only a comment\n"), "");
    EXPECT_TRUE(changed(base, c).empty());
}

TEST(Config, DottedKeysAndInlineTablesWork) {
    Config c = defaults();
    ASSERT_EQ(apply(c, "server.shards = 3\nhttp = { max_headers = 10 }\n"), "");
    EXPECT_EQ(c.shards, 3u);
    EXPECT_EQ(c.max_headers, 10u);
}

TEST(Config, UnknownKeyNamesFileLineAndSuggestsTheClosestKey) {
    Config c = defaults();
    std::string err =
        apply(c, "[server]\nhttp = \"0.0.0.0:80\"\nshard = 4\n", "/etc/ringcast.toml");
    EXPECT_EQ(err,
              "/etc/ringcast.toml:3: unknown key 'server.shard' (did you mean 'server.shards'?)");

    err = apply(c, "[sse]\n\n\nheartbeat_intervall = \"5s\"\n");
    EXPECT_EQ(err,
              "test.toml:4: unknown key 'sse.heartbeat_intervall' (did you mean "
              "'sse.heartbeat_interval'?)");

    err = apply(c, "[http]\nmax_bdy = 10\n");
    EXPECT_NE(err.find("did you mean 'http.max_body'?"), std::string::npos) << err;
}

TEST(Config, UnknownKeyFarFromAnyOtherHasNoSuggestion) {
    Config c = defaults();
    std::string err = apply(c, "[server]\ncompletely_unrelated = 1\n");
    EXPECT_EQ(err, "test.toml:2: unknown key 'server.completely_unrelated'");
}

TEST(Config, UnknownSection) {
    Config c = defaults();
    std::string err = apply(c, "[servre]\nshards = 1\n");
    EXPECT_NE(err.find("test.toml:1"), std::string::npos) << err;
    EXPECT_NE(err.find("unknown section [servre]"), std::string::npos) << err;
}

TEST(Config, WrongTypes) {
    const std::pair<const char*, const char*> cases[] = {
        {"[server]\nshards = \"four\"", "test.toml:2: 'server.shards' expected an integer"},
        {"[server]\nshards = 1.5", "test.toml:2: 'server.shards' expected an integer"},
        {"[server]\nhttp = 8080", "test.toml:2: 'server.http' expected a string"},
        {"[server]\nlog_level = true", "test.toml:2: 'server.log_level' expected a string"},
        {"[sse]\ndefault_channels = \"alerts\"",
         "test.toml:2: 'sse.default_channels' expected an array of channel names"},
        {"[sse]\ndefault_channels = [\"a\", 2]",
         "test.toml:2: 'sse.default_channels' expected an array of strings"},
    };
    for (auto [text, want] : cases) {
        Config c = defaults();
        EXPECT_EQ(apply(c, text), want) << text;
    }
}

TEST(Config, DurationAndSizeValueErrors) {
    Config c = defaults();
    std::string err = apply(c, "[http]\nrequest_timeout = \"10 parsecs\"\n");
    EXPECT_EQ(
        err,
        "test.toml:2: 'http.request_timeout' expected a duration: milliseconds, or a string like "
        "\"500ms\", \"30s\", \"5m\", \"1h\"");
    err = apply(c, "[http]\nrequest_timeout = -5\n");
    EXPECT_NE(err.find("expected a duration"), std::string::npos) << err;
    err = apply(c, "[http]\nmax_body = \"1TB\"\n");
    EXPECT_EQ(err,
              "test.toml:2: 'http.max_body' expected a size: bytes, or a string like "
              "\"512B\", \"64KiB\", \"1MiB\", \"1GiB\"");
    err = apply(c, "[http]\nmax_body = true\n");
    EXPECT_NE(err.find("expected a size"), std::string::npos) << err;
}

TEST(Config, OutOfRangeValues) {
    const std::pair<const char*, const char*> cases[] = {
        {"[server]\nshards = 2000", "test.toml:2: 'server.shards' must be between 0 and 1024"},
        {"[server]\nshards = -1", "test.toml:2: 'server.shards' must be between 0 and 1024"},
        {"[http]\nmax_headers = 0", "test.toml:2: 'http.max_headers' must be between 1 and 1000"},
        {"[server]\nretry_after = \"500ms\"",
         "test.toml:2: 'server.retry_after' must be at least 1000 ms"},
        {"[http]\nrequest_timeout = 99",
         "test.toml:2: 'http.request_timeout' must be at least 100 ms"},
        {"[http]\nmax_header_bytes = \"100B\"",
         "test.toml:2: 'http.max_header_bytes' must be between 256 and 1048576 bytes"},
        {"[http]\nmax_body = \"2GiB\"",
         "test.toml:2: 'http.max_body' must be between 0 and 1073741824 bytes"},
        {"[engine]\ncq_entries = 65537",
         "test.toml:2: 'engine.cq_entries' must be between 64 and 65536"},
        {"[server]\nlog_level = \"loud\"",
         "test.toml:2: 'server.log_level' must be one of \"trace\", \"debug\", \"info\", \"warn\", "
         "\"error\", "
         "\"critical\", \"off\""},
        {"[server]\naccept = \"random\"",
         "test.toml:2: 'server.accept' must be one of \"handoff\", \"reuseport\""},
        {"[store]\nsync = \"always\"",
         "test.toml:2: 'store.sync' must be one of \"normal\", \"full\""},
        {"[metrics]\nsnapshot_interval = \"5ms\"",
         "test.toml:2: 'metrics.snapshot_interval' must be at least 10 ms"},
        {"[store]\nflush_interval = 0",
         "test.toml:2: 'store.flush_interval' must be at least 1 ms"},
        {"[store]\nmax_pending = 10",
         "test.toml:2: 'store.max_pending' must be between 1024 and 1073741824"},
    };
    for (auto [text, want] : cases) {
        Config c = defaults();
        EXPECT_EQ(apply(c, text), want) << text;
    }
}

TEST(Config, BoundaryValuesAreAccepted) {
    Config c = defaults();
    EXPECT_EQ(apply(c,
                    "[server]\nshards = 1024\nretry_after = 1000\n[http]\nmax_body = "
                    "0\nmax_headers = 1000\n"
                    "max_header_bytes = \"1MiB\"\n[engine]\ncq_entries = 65536\n"),
              "");
    EXPECT_EQ(c.shards, 1024u);
    EXPECT_EQ(c.max_body, 0u);
    EXPECT_EQ(c.max_header_bytes, 1u << 20);
}

TEST(Config, ErrorsLeaveTheConfigUntouched) {
    Config base = defaults();
    Config c = base;
    // [delivery] comes first both as written and alphabetically, so it is
    // applied before the bad key is found, whatever order the loader walks in.
    EXPECT_NE(apply(c, "[delivery]\nmax_queue = \"8MiB\"\n[server]\nshards = \"x\"\n"), "");
    EXPECT_TRUE(changed(base, c).empty()) << "a file is applied all or nothing";
}

TEST(Config, TomlSyntaxErrorNamesTheLine) {
    Config c = defaults();
    std::string err = apply(c, "[server]\nshards = = 4\n");
    EXPECT_EQ(err.rfind("test.toml:2:", 0), 0u) << err;
}

TEST(Config, LoadConfigLayersAFileOverTheDefaults) {
    char path[] = "/tmp/ringcast-config-test-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    {
        std::ofstream f(path);
        f << "[delivery]\nmax_queue = \"8MiB\"\n";
    }
    Config c;
    std::string err;
    EXPECT_TRUE(load_config(c, path, &err)) << err;
    EXPECT_EQ(changed(defaults(), c),
              (std::map<std::string, std::string>{{"delivery.max_queue", "8388608"}}));

    {
        std::ofstream f(path);
        f << "[delivery]\nmax_queu = 1\n";
    }
    Config d;
    EXPECT_FALSE(load_config(d, path, &err));
    EXPECT_EQ(err, std::string(path) +
                       ":2: unknown key 'delivery.max_queu' (did you mean 'delivery.max_queue'?)");
    std::remove(path);

    EXPECT_FALSE(load_config(d, path, &err));
    EXPECT_NE(err.find("cannot read config file"), std::string::npos) << err;
}

TEST(Config, ValidateRejectsNonPowerOfTwoReceiveBuffers) {
    Config c = defaults();
    std::string err;
    ASSERT_EQ(apply(c, "[engine]\nrecv_buffers = 500\n"), "");
    EXPECT_FALSE(validate_config(c, &err));
    EXPECT_EQ(err, "engine.recv_buffers = 500 must be a power of two");
    ASSERT_EQ(apply(c, "[engine]\nrecv_buffers = 2048\n"), "");
    EXPECT_TRUE(validate_config(c, &err)) << err;
}

// --- [auth], [publish], [cors] ---------------------------------------------------

TEST(Config, TrustedProxiesAreCheckedItemByItem) {
    Config c = defaults();
    ASSERT_EQ(apply(c,
                    "[http]\ntrusted_proxies = [\"127.0.0.1\", \"::1\", \"10.0.0.0/8\", "
                    "\"fd00::/8\"]\nforwarded_header = \"forwarded\"\n"),
              "");
    EXPECT_EQ(c.trusted_proxies,
              (std::vector<std::string>{"127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8"}));
    EXPECT_EQ(c.forwarded_header, "Forwarded") << "any case, kept in its usual spelling";
    ASSERT_EQ(apply(c, "http.forwarded_header = \"X-FORWARDED-FOR\"\n"), "");
    EXPECT_EQ(c.forwarded_header, "X-Forwarded-For");

    // Each mistake names the file, the line of the item itself, and the item.
    Config d = defaults();
    EXPECT_EQ(apply(d, "[http]\ntrusted_proxies = [\n  \"127.0.0.1\",\n  \"10.0.0.1/8\",\n]\n"),
              "test.toml:4: 'http.trusted_proxies' item 2: \"10.0.0.1/8\" has bits set past its "
              "/8 prefix: write \"10.0.0.0/8\" for the range, or the address alone");
    EXPECT_EQ(
        apply(d, "[http]\n\ntrusted_proxies = [\"proxy.internal\"]\n")
            .rfind("test.toml:3: 'http.trusted_proxies' item 1: \"proxy.internal\" is not an IP "
                   "address or a CIDR range",
                   0),
        0u);
    EXPECT_EQ(apply(d, "[http]\ntrusted_proxies = [\"10.0.0.0/8\", 7]\n"),
              "test.toml:2: 'http.trusted_proxies' item 2: expected a string");
    EXPECT_EQ(apply(d, "[http]\ntrusted_proxies = \"10.0.0.0/8\"\n"),
              "test.toml:2: 'http.trusted_proxies' expected an array of IP addresses and CIDR "
              "ranges, like [\"127.0.0.1\", \"10.0.0.0/8\"]");
    EXPECT_EQ(apply(d, "[http]\nforwarded_header = \"X-Real-IP\"\n"),
              "test.toml:2: 'http.forwarded_header' must be \"X-Forwarded-For\" or \"Forwarded\"");
    EXPECT_TRUE(d.trusted_proxies.empty()) << "a bad file changes nothing";
}

TEST(Config, BuiltInAuthPublishAndCorsDefaults) {
    Config c = defaults();
    EXPECT_EQ(c.auth_algorithm, "");
    EXPECT_EQ(c.auth_secret, "");
    EXPECT_EQ(c.auth_secret_file, "");
    EXPECT_EQ(c.auth_public_key_file, "");
    EXPECT_EQ(c.auth_leeway_ms, 30'000u);
    EXPECT_EQ(c.auth_issuer, "");
    EXPECT_EQ(c.auth_audience, "");
    EXPECT_TRUE(c.auth_header);
    EXPECT_EQ(c.auth_cookie, "ringcast_token");
    EXPECT_EQ(c.auth_query, "token");
    EXPECT_EQ(c.auth_user_claim, "sub");
    EXPECT_EQ(c.auth_roles_claim, "roles");
    EXPECT_EQ(c.auth_permissions_claim, "permissions");
    EXPECT_EQ(c.auth_subscriber_claim, "subscriber");
    EXPECT_EQ(c.auth_publish_claim, "publish");
    EXPECT_EQ(c.auth_admin_claim, "admin");
    EXPECT_TRUE(c.publish_http_require_auth);
    EXPECT_TRUE(c.publish_api_keys.empty());
    EXPECT_EQ(c.publish_rate_limit, (RateWindow{0, 1000}));
    EXPECT_EQ(c.publish_user_rate_limit, (RateWindow{0, 60'000}));
    EXPECT_TRUE(c.cors_allowed_origins.empty());
    EXPECT_FALSE(c.cors_allow_credentials);
    EXPECT_EQ(c.cors_max_age_ms, 600'000u);
}

TEST(Config, AuthKeysParse) {
    Config c = defaults();
    ASSERT_EQ(apply(c,
                    "[auth]\nalgorithm = \"RS256\"\npublic_key_file = \"/k.pem\"\n"
                    "leeway = \"5s\"\nissuer = \"https://issuer\"\naudience = \"ringcast\"\n"
                    "header = false\ncookie = \"\"\nquery = \"access_token\"\n"
                    "user_claim = \"uid\"\nroles_claim = \"r\"\npermissions_claim = \"p\"\n"
                    "subscriber_claim = \"s\"\npublish_claim = \"pub\"\nadmin_claim = \"a\"\n"),
              "");
    EXPECT_EQ(c.auth_algorithm, "RS256");
    EXPECT_EQ(c.auth_public_key_file, "/k.pem");
    EXPECT_EQ(c.auth_leeway_ms, 5000u);
    EXPECT_EQ(c.auth_issuer, "https://issuer");
    EXPECT_EQ(c.auth_audience, "ringcast");
    EXPECT_FALSE(c.auth_header);
    EXPECT_EQ(c.auth_cookie, "");
    EXPECT_EQ(c.auth_query, "access_token");
    EXPECT_EQ(c.auth_user_claim, "uid");
    EXPECT_EQ(c.auth_admin_claim, "a");
    std::string err;
    EXPECT_TRUE(validate_config(c, &err)) << err;
}

TEST(Config, AuthValueErrors) {
    const std::pair<const char*, const char*> cases[] = {
        {"[auth]\nalgorithm = \"HS512\"",
         "test.toml:2: 'auth.algorithm' must be one of \"\", \"HS256\", \"RS256\", \"ES256\""},
        {"[auth]\nalgorithm = \"hs256\"",
         "test.toml:2: 'auth.algorithm' must be one of \"\", \"HS256\", \"RS256\", \"ES256\""},
        {"[auth]\nheader = \"yes\"", "test.toml:2: 'auth.header' expected true or false"},
        {"[auth]\nleeway = \"a bit\"",
         "test.toml:2: 'auth.leeway' expected a duration: milliseconds, or a string like "
         "\"500ms\", \"30s\", \"5m\", \"1h\""},
        {"[auth]\nsecret = 42", "test.toml:2: 'auth.secret' expected a string"},
        {"[auth]\nsecrets = \"x\"",
         "test.toml:2: unknown key 'auth.secrets' (did you mean 'auth.secret'?)"},
        {"[publish]\napi_keys = \"k\"",
         "test.toml:2: 'publish.api_keys' expected an array of API keys"},
        {"[publish]\nhttp_require_auth = 1",
         "test.toml:2: 'publish.http_require_auth' expected true or false"},
        {"[cors]\nallowed_origins = [1]",
         "test.toml:2: 'cors.allowed_origins' expected an array of strings"},
        {"[cors]\nmax_age = -1",
         "test.toml:2: 'cors.max_age' expected a duration: milliseconds, or a string like "
         "\"500ms\", \"30s\", \"5m\", \"1h\""},
    };
    for (auto [text, want] : cases) {
        Config c = defaults();
        EXPECT_EQ(apply(c, text), want) << text;
    }
}

// --- inline tables: rate limits -------------------------------------------------

TEST(Config, RateLimitInlineTables) {
    Config c = defaults();
    ASSERT_EQ(apply(c,
                    "[publish]\nrate_limit = { max = 100, window = \"1s\" }\n"
                    "user_rate_limit = { max = 5, window = \"1m\" }\n"),
              "");
    EXPECT_EQ(c.publish_rate_limit, (RateWindow{100, 1000}));
    EXPECT_EQ(c.publish_user_rate_limit, (RateWindow{5, 60'000}))
        << "the applications' \"5 per user per minute\"";

    // Tables merge key by key, as sections do: the window stays.
    ASSERT_EQ(apply(c, "[publish]\nuser_rate_limit = { max = 7 }\n"), "");
    EXPECT_EQ(c.publish_user_rate_limit, (RateWindow{7, 60'000}));
    // The same as a section, and as dotted keys.
    ASSERT_EQ(apply(c, "[publish.rate_limit]\nwindow = \"10s\"\n"), "");
    EXPECT_EQ(c.publish_rate_limit, (RateWindow{100, 10'000}));
    ASSERT_EQ(apply(c, "publish.rate_limit.max = 3\n"), "");
    EXPECT_EQ(c.publish_rate_limit, (RateWindow{3, 10'000}));
    ASSERT_EQ(apply(c, "[publish]\nrate_limit = { max = 0, window = 0 }\n"), "");
    EXPECT_EQ(c.publish_rate_limit, (RateWindow{0, 0}));
}

TEST(Config, RateLimitInlineTableErrors) {
    const std::pair<const char*, const char*> cases[] = {
        {"[publish]\nrate_limit = 5",
         "test.toml:2: 'publish.rate_limit' expected an inline table like { max = 5, window = "
         "\"1m\" }"},
        {"[publish]\nrate_limit = { max = 5, window = \"soon\" }",
         "test.toml:2: 'publish.rate_limit.window' expected a duration: milliseconds, or a "
         "string like \"500ms\", \"30s\", \"5m\", \"1h\""},
        {"[publish]\nrate_limit = { max = -1 }",
         "test.toml:2: 'publish.rate_limit.max' must be between 0 and 4294967295"},
        {"[publish]\nrate_limit = { max = \"5\" }",
         "test.toml:2: 'publish.rate_limit.max' expected an integer"},
        {"[publish]\nrate_limit = { maxx = 5 }",
         "test.toml:2: unknown key 'publish.rate_limit.maxx' (did you mean "
         "'publish.rate_limit.max'?)"},
        // The endpoint spelling, in the publish table: pointed to the right one.
        {"[publish]\n\nuser_rate_limit = { max_connections = 5, window = \"1m\" }",
         "test.toml:3: unknown key 'publish.user_rate_limit.max_connections' (did you mean "
         "'publish.user_rate_limit.max'?)"},
        {"[publish]\nrate_limt = { max = 5 }",
         "test.toml:2: unknown key 'publish.rate_limt' (did you mean 'publish.rate_limit'?)"},
        {"[publish.rate_limit]\nwindow = true",
         "test.toml:2: 'publish.rate_limit.window' expected a duration: milliseconds, or a "
         "string like \"500ms\", \"30s\", \"5m\", \"1h\""},
    };
    for (auto [text, want] : cases) {
        Config c = defaults();
        EXPECT_EQ(apply(c, text), want) << text;
    }
}

// --- [[endpoint]] ---------------------------------------------------------------

EndpointConfig endpoint(std::string path) {
    EndpointConfig e;
    e.path = std::move(path);
    e.rate_limit.window_ms = 60'000;
    return e;
}

TEST(Config, BuiltInEndpointsAreTheApplicationsFour) {
    Config c = defaults();
    ASSERT_EQ(c.endpoints.size(), 4u);

    // No per-IP limit by default (behind a proxy every browser shares its address).
    EndpointConfig general = endpoint("/api/sse/stream");
    EXPECT_EQ(c.endpoints[0], general);
    general.path = "/api/sse";
    EXPECT_EQ(c.endpoints[1], general);

    EndpointConfig admin = endpoint("/api/admin/sse/stream");
    admin.channels = {"admin-actions"};
    admin.require_auth = true;
    admin.allowed_roles = {"admin", "moderator"};
    EXPECT_EQ(c.endpoints[2], admin);

    EndpointConfig dashboard = endpoint("/api/dashboard/sse");
    dashboard.channels = {"live-updates"};
    dashboard.require_auth = true;
    dashboard.allowed_permissions = {"dashboard.view"};
    EXPECT_EQ(c.endpoints[3], dashboard);

    // Their require_auth endpoints stand without [auth]: they answer 401 until it is set.
    std::string err;
    EXPECT_TRUE(validate_config(c, &err)) << err;
}

// The commented template in default.toml documents what an omitted key takes
// (docs/configuration.md is checked against it): it must parse as an endpoint,
// and spelling every key out must change nothing.
TEST(Config, EndpointTemplateInTheDefaultsIsWhatOmittedKeysTake) {
    std::string text(default_config_toml());
    size_t at = text.find("\n#   [[endpoint]]\n");
    ASSERT_NE(at, std::string::npos);
    std::string block;
    for (size_t line = at + 1; text.compare(line, 4, "#   ") == 0;) {
        size_t end = text.find('\n', line);
        block += text.substr(line + 4, end - line - 4) + "\n";
        line = end + 1;
    }
    Config spelled = defaults(), omitted = defaults();
    ASSERT_EQ(apply(spelled, block.c_str()), "") << block;
    ASSERT_EQ(apply(omitted, "[[endpoint]]\npath = \"/api/example\"\n"), "");
    ASSERT_EQ(spelled.endpoints.size(), 1u);
    ASSERT_EQ(omitted.endpoints.size(), 1u);
    EndpointConfig e = spelled.endpoints[0];
    EXPECT_TRUE(e.heartbeat_interval_set);
    e.heartbeat_interval_set = false;  // the template shows [sse]'s value
    EXPECT_EQ(e, omitted.endpoints[0]);
    EXPECT_EQ(e, endpoint("/api/example"));
    // Every key is in the template: 10 keys, 10 lines.
    EXPECT_EQ(std::count(block.begin(), block.end(), '\n'), 11) << block;
}

// `ringcastd --print-default-config > ringcast.toml` gives a file that validates:
// its endpoints are the built-in ones, which may require authentication before
// [auth] is configured (they answer 401 until then).
TEST(Config, ThePrintedDefaultsValidateAsAFile) {
    Config c = defaults();
    ASSERT_EQ(apply(c, std::string(default_config_toml()).c_str(), "ringcast.toml"), "");
    EXPECT_TRUE(changed(defaults(), c).empty());
    std::string err;
    EXPECT_TRUE(validate_config(c, &err)) << err;
    ASSERT_EQ(apply(c, "[sse]\nheartbeat_interval = \"5s\"\n"), "");
    EXPECT_TRUE(validate_config(c, &err)) << err << " (their heartbeat follows [sse])";
}

TEST(Config, EndpointBlocksReplaceTheBuiltInList) {
    Config base = defaults();
    Config c = base;
    ASSERT_EQ(apply(c,
                    "[[endpoint]]\n"
                    "path = \"/api/chat/sse\"\n"
                    "channels = [\"chat\"]\n"
                    "require_auth = true\n"
                    "allowed_roles = [\"member\"]\n"
                    "allowed_permissions = [\"chat.read\"]\n"
                    "heartbeat_interval = \"10s\"\n"
                    "connection_timeout = \"10m\"\n"
                    "rate_limit = { max_connections = 20, window = \"30s\" }\n"
                    "max_connections_per_ip = 4\n"
                    "max_connections_per_user = 5\n"
                    "\n"
                    "[[endpoint]]\n"
                    "path = \"/events\"\n"),
              "");
    EXPECT_EQ(changed(base, c), (std::map<std::string, std::string>{{"endpoint", "2 endpoints"}}));
    ASSERT_EQ(c.endpoints.size(), 2u);
    const EndpointConfig& chat = c.endpoints[0];
    EXPECT_EQ(chat.path, "/api/chat/sse");
    EXPECT_EQ(chat.channels, std::vector<std::string>{"chat"});
    EXPECT_TRUE(chat.require_auth);
    EXPECT_EQ(chat.allowed_roles, std::vector<std::string>{"member"});
    EXPECT_EQ(chat.allowed_permissions, std::vector<std::string>{"chat.read"});
    EXPECT_EQ(chat.heartbeat_interval_ms, 10'000u);
    EXPECT_EQ(chat.connection_timeout_ms, 600'000u);
    EXPECT_EQ(chat.rate_limit, (RateWindow{20, 30'000}));
    EXPECT_EQ(chat.max_connections_per_ip, 4u);
    EXPECT_EQ(chat.max_connections_per_user, 5u);
    EXPECT_EQ(c.endpoints[1], endpoint("/events"));
}

TEST(Config, EndpointWithoutHeartbeatFollowsTheSseOne) {
    // Without [[endpoint]]: the built-in endpoints follow a changed [sse] value.
    Config c = defaults();
    ASSERT_EQ(apply(c, "[sse]\nheartbeat_interval = \"15s\"\n"), "");
    for (const EndpointConfig& e : c.endpoints)
        EXPECT_EQ(e.heartbeat_interval_ms, 15'000u) << e.path;

    // In the same file, whatever the order; a block's own value wins.
    Config d = defaults();
    ASSERT_EQ(apply(d,
                    "[[endpoint]]\npath = \"/a\"\n[[endpoint]]\npath = \"/b\"\n"
                    "heartbeat_interval = \"10s\"\n[sse]\nheartbeat_interval = \"20s\"\n"),
              "");
    EXPECT_EQ(d.endpoints[0].heartbeat_interval_ms, 20'000u);
    EXPECT_EQ(d.endpoints[1].heartbeat_interval_ms, 10'000u);
}

TEST(Config, EndpointsInlineArrayFormWorks) {
    Config c = defaults();
    ASSERT_EQ(apply(c, "endpoint = [{ path = \"/a\" }, { path = \"/b\", channels = [\"x\"] }]\n"),
              "");
    ASSERT_EQ(c.endpoints.size(), 2u);
    EXPECT_EQ(c.endpoints[1].channels, std::vector<std::string>{"x"});
}

TEST(Config, UnknownKeyInsideAnEndpointNamesTheBlock) {
    Config c = defaults();
    std::string err = apply(c,
                            "[[endpoint]]\npath = \"/a\"\n\n[[endpoint]]\npath = \"/b\"\n\n"
                            "[[endpoint]]\npath = \"/c\"\nchanels = [\"chat\"]\n",
                            "/etc/ringcast.toml");
    EXPECT_EQ(err,
              "/etc/ringcast.toml:9: unknown key 'endpoint[2].chanels' (did you mean "
              "'endpoint[2].channels'?)");
    err = apply(c, "[[endpoint]]\npath = \"/a\"\nallowed_role = [\"admin\"]\n");
    EXPECT_EQ(err,
              "test.toml:3: unknown key 'endpoint[0].allowed_role' (did you mean "
              "'endpoint[0].allowed_roles'?)");
    err = apply(c, "[[endpoint]]\npath = \"/a\"\nsomething_else = 1\n");
    EXPECT_EQ(err, "test.toml:3: unknown key 'endpoint[0].something_else'");
    // The publish spelling of a rate limit, in an endpoint.
    err = apply(c, "[[endpoint]]\npath = \"/a\"\nrate_limit = { max = 50, window = \"1m\" }\n");
    EXPECT_EQ(err,
              "test.toml:3: unknown key 'endpoint[0].rate_limit.max' (did you mean "
              "'endpoint[0].rate_limit.max_connections'?)");
    err = apply(c, "[[endpoints]]\npath = \"/a\"\n");
    EXPECT_EQ(err, "test.toml:1: unknown key 'endpoints' (did you mean 'endpoint'?)");
    err = apply(c, "[endpoints]\npath = \"/a\"\n");
    EXPECT_EQ(err, "test.toml:1: unknown section [endpoints] (did you mean [[endpoint]]?)");
    err = apply(c, "[servre]\nshards = 1\n");
    EXPECT_EQ(err, "test.toml:1: unknown section [servre] (did you mean [server]?)");
}

TEST(Config, EndpointValueErrors) {
    const std::pair<const char*, const char*> cases[] = {
        {"[[endpoint]]\npath = \"/a\"\nchannels = \"chat\"",
         "test.toml:3: 'endpoint[0].channels' expected an array of channel names"},
        {"[[endpoint]]\npath = \"/a\"\nchannels = [\"chat\", 1]",
         "test.toml:3: 'endpoint[0].channels' expected an array of strings"},
        {"[[endpoint]]\npath = \"/a\"\nrequire_auth = \"yes\"",
         "test.toml:3: 'endpoint[0].require_auth' expected true or false"},
        {"[[endpoint]]\npath = \"/a\"\nallowed_roles = \"admin\"",
         "test.toml:3: 'endpoint[0].allowed_roles' expected an array of role names"},
        {"[[endpoint]]\npath = \"/a\"\nheartbeat_interval = \"0s\"",
         "test.toml:3: 'endpoint[0].heartbeat_interval' must be at least 100 ms"},
        {"[[endpoint]]\npath = \"/a\"\nconnection_timeout = \"forever\"",
         "test.toml:3: 'endpoint[0].connection_timeout' expected a duration: milliseconds, or a "
         "string like \"500ms\", \"30s\", \"5m\", \"1h\""},
        {"[[endpoint]]\npath = \"/a\"\nmax_connections_per_ip = -1",
         "test.toml:3: 'endpoint[0].max_connections_per_ip' must be between 0 and 4294967295"},
        {"[[endpoint]]\npath = \"/a\"\nmax_connections_per_user = 1.5",
         "test.toml:3: 'endpoint[0].max_connections_per_user' expected an integer"},
        {"[[endpoint]]\npath = \"/a\"\nrate_limit = 50",
         "test.toml:3: 'endpoint[0].rate_limit' expected an inline table like { max_connections "
         "= 5, window = \"1m\" }"},
        {"[[endpoint]]\npath = \"/a\"\nrate_limit = { max_connections = 50, window = \"1 minute\" "
         "}",
         "test.toml:3: 'endpoint[0].rate_limit.window' expected a duration: milliseconds, or a "
         "string like \"500ms\", \"30s\", \"5m\", \"1h\""},
        {"[[endpoint]]\npath = 5", "test.toml:2: 'endpoint[0].path' expected a string"},
        {"[[endpoint]]\npath = \"/a\"\n[[endpoint]]\nchannels = [\"x\"]",
         "test.toml:3: 'endpoint[1]' has no path (every [[endpoint]] needs one)"},
        {"[endpoint]\npath = \"/a\"",
         "test.toml:1: 'endpoint' expected [[endpoint]] blocks (an array of tables), one per SSE "
         "endpoint"},
        {"endpoint = [\"/a\"]",
         "test.toml:1: 'endpoint' expected [[endpoint]] blocks (an array of tables), one per SSE "
         "endpoint"},
        {"endpoint = []",
         "test.toml:1: 'endpoint' is empty: at least one [[endpoint]] block is needed"},
    };
    for (auto [text, want] : cases) {
        Config c = defaults();
        EXPECT_EQ(apply(c, text), want) << text;
    }
}

TEST(Config, BuiltInChannelRulesCloseTheGatedEndpointsChannels) {
    Config c = defaults();
    EXPECT_TRUE(c.open_channels);
    ASSERT_EQ(c.channels.size(), 2u);
    EXPECT_EQ(c.channels[0],
              (ChannelRuleConfig{"admin-actions", false, {"admin", "moderator"}, {}}));
    EXPECT_EQ(c.channels[1], (ChannelRuleConfig{"live-updates", false, {}, {"dashboard.view"}}));
}

TEST(Config, ChannelBlocksReplaceTheBuiltInRules) {
    Config base = defaults();
    Config c = base;
    ASSERT_EQ(apply(c,
                    "[sse]\nopen_channels = false\n"
                    "[[channel]]\nname = \"private-*\"\nrequire_auth = true\n"
                    "allowed_roles = [\"staff\"]\nallowed_permissions = [\"read\"]\n"
                    "[[channel]]\nname = \"alerts\"\n"),
              "");
    EXPECT_EQ(changed(base, c), (std::map<std::string, std::string>{
                                    {"channel", "2 rules"}, {"sse.open_channels", "false"}}));
    EXPECT_EQ(c.channels[0], (ChannelRuleConfig{"private-*", true, {"staff"}, {"read"}}));
    EXPECT_EQ(c.channels[1], (ChannelRuleConfig{"alerts", false, {}, {}}));
    std::string err;
    EXPECT_TRUE(validate_config(c, &err)) << err;
    c = base;
    ASSERT_EQ(apply(c, "channel = []\n"), "");
    EXPECT_TRUE(c.channels.empty()) << "channel = [] removes every rule";
}

TEST(Config, ChannelValueErrors) {
    const std::pair<const char*, const char*> cases[] = {
        {"[[channel]]\nname = \"a\"\nrequire_auth = 1",
         "test.toml:3: 'channel[0].require_auth' expected true or false"},
        {"[[channel]]\nname = \"a\"\nallowed_roles = \"admin\"",
         "test.toml:3: 'channel[0].allowed_roles' expected an array of role names"},
        {"[[channel]]\nname = \"a\"\nallowed_role = [\"admin\"]",
         "test.toml:3: unknown key 'channel[0].allowed_role' (did you mean "
         "'channel[0].allowed_roles'?)"},
        {"[[channel]]\nrequire_auth = true",
         "test.toml:1: 'channel[0]' has no name (every [[channel]] names a channel or a pattern "
         "such as \"user:*\")"},
        {"[channel]\nname = \"a\"",
         "test.toml:1: 'channel' expected [[channel]] blocks (an array of tables), one per "
         "channel rule, or [] for none"},
    };
    for (auto [text, want] : cases) {
        Config c = defaults();
        EXPECT_EQ(apply(c, text), want) << text;
    }
    const std::pair<const char*, const char*> invalid[] = {
        {"[[channel]]\nname = \"a b\"", "channel[0].name = \"a b\" must be a channel name"},
        {"[[channel]]\nname = \"\"", "channel[0].name = \"\" must be a channel name"},
        {"[[channel]]\nname = \"a\"\n[[channel]]\nname = \"a\"",
         "channel[1].name = \"a\" is already channel[0]'s: one rule per name"},
        {"[[channel]]\nname = \"a\"\nallowed_permissions = [\"\"]",
         "channel a: allowed_permissions has an empty name"},
    };
    for (auto [text, want] : invalid) {
        Config c = defaults();
        ASSERT_EQ(apply(c, text), "") << text;
        std::string err;
        EXPECT_FALSE(validate_config(c, &err)) << text;
        EXPECT_NE(err.find(want), std::string::npos) << err;
    }
}

TEST(Config, BadEndpointLeavesTheConfigUntouched) {
    Config base = defaults();
    Config c = base;
    EXPECT_NE(apply(c, "[[endpoint]]\npath = \"/a\"\n[[endpoint]]\npath = \"/b\"\nbad = 1\n"), "");
    EXPECT_TRUE(changed(base, c).empty());
}

// --- units ----------------------------------------------------------------------

TEST(ParseDuration, UnitsAndPlainMilliseconds) {
    const std::pair<const char*, uint64_t> good[] = {
        {"0", 0},        {"250", 250},        {"500ms", 500},    {"30s", 30'000},
        {"5m", 300'000}, {"5min", 300'000},   {"1h", 3'600'000}, {"30 s", 30'000},
        {" 7s ", 7'000}, {"24h", 86'400'000},
    };
    for (auto [text, want] : good) {
        uint64_t ms = 12345;
        EXPECT_TRUE(parse_duration_ms(text, &ms)) << text;
        EXPECT_EQ(ms, want) << text;
    }
    for (const char* bad :
         {"", " ", "s", "1.5s", "-1s", "10d", "30S", "1 h x", "1hh", "0x10", "ms"}) {
        uint64_t ms = 0;
        EXPECT_FALSE(parse_duration_ms(bad, &ms)) << bad;
    }
}

TEST(ParseDuration, OverflowIsAnError) {
    uint64_t ms = 0;
    EXPECT_FALSE(parse_duration_ms("99999999999999999999", &ms)) << "does not fit in 64 bits";
    EXPECT_FALSE(parse_duration_ms("18446744073709551615s", &ms))
        << "fits, but not once in ms: " << ms;
    EXPECT_FALSE(parse_duration_ms("5124095576030432h", &ms)) << "wraps to a small value: " << ms;
    EXPECT_TRUE(parse_duration_ms("18446744073709551615ms", &ms));
    EXPECT_EQ(ms, UINT64_MAX);
}

TEST(ParseSize, UnitsAndPlainBytes) {
    const std::pair<const char*, uint64_t> good[] = {
        {"0", 0},          {"100", 100},       {"512B", 512},        {"64KiB", 64 << 10},
        {"1K", 1024},      {"1k", 1024},       {"1MiB", 1 << 20},    {"2M", 2 << 20},
        {"1GiB", 1 << 30}, {"3G", 3ull << 30}, {"16 KiB", 16 << 10},
    };
    for (auto [text, want] : good) {
        uint64_t b = 12345;
        EXPECT_TRUE(parse_size_bytes(text, &b)) << text;
        EXPECT_EQ(b, want) << text;
    }
    for (const char* bad : {"", "B", "1KB", "1kb", "1TiB", "1.5MiB", "-1", "1 MiB B", "MiB"}) {
        uint64_t b = 0;
        EXPECT_FALSE(parse_size_bytes(bad, &b)) << bad;
    }
}

TEST(ParseSize, OverflowIsAnError) {
    uint64_t b = 0;
    EXPECT_FALSE(parse_size_bytes("17179869184GiB", &b)) << "2^64 bytes wraps to " << b;
    EXPECT_FALSE(parse_size_bytes("18014398509481985KiB", &b)) << "wraps to " << b;
    // Through the config file, a wrapped size would slip under the range check.
    Config c = defaults();
    EXPECT_NE(apply(c, "[http]\nmax_body = \"17179869184GiB\"\n"), "")
        << "max_body became " << c.max_body;
}

TEST(Config, ClusterIsOffByDefaultAndItsUrlIsCheckedAtLoad) {
    Config c = defaults();
    EXPECT_EQ(c.cluster_redis, "");
    EXPECT_EQ(c.cluster_redis_connect_timeout_ms, 2000u);
    EXPECT_EQ(c.cluster_redis_command_timeout_ms, 2000u);
    EXPECT_EQ(c.cluster_redis_reconnect_base_ms, 100u);
    EXPECT_EQ(c.cluster_redis_reconnect_max_ms, 5000u);
    EXPECT_EQ(c.cluster_redis_ping_interval_ms, 1000u);
    EXPECT_EQ(apply(c,
                    "[cluster]\nredis = \"redis://:pw@10.0.0.1:6380/2\"\n"
                    "redis_command_timeout = \"500ms\"\n"),
              "");
    EXPECT_EQ(c.cluster_redis, "redis://:pw@10.0.0.1:6380/2");
    EXPECT_EQ(c.cluster_redis_command_timeout_ms, 500u);
    EXPECT_EQ(apply(c, "[cluster]\nredis = \"unix:///run/redis/redis.sock?db=1\"\n"), "");

    Config d = defaults();
    std::string err = apply(d, "[cluster]\nredis = \"localhost:6379\"\n");
    EXPECT_NE(err.find("cluster.redis"), std::string::npos) << err;
    EXPECT_NE(err.find("unknown scheme"), std::string::npos) << err;
    err = apply(d, "[cluster]\nredis = \"redis://:hunter2@\"\n");
    EXPECT_NE(err.find("no host"), std::string::npos) << err;
    EXPECT_EQ(err.find("hunter2"), std::string::npos) << "the password in an error: " << err;
    err = apply(d, "[cluster]\nredis = \"redis://host:99999\"\n");
    EXPECT_NE(err.find("port"), std::string::npos) << err;
    EXPECT_EQ(d.cluster_redis, "");
}

TEST(Config, ClusterBackoffBaseMayNotExceedItsMax) {
    Config c = defaults();
    EXPECT_EQ(apply(c, "[cluster]\nredis_reconnect_base = \"10s\"\n"), "");
    std::string err;
    EXPECT_FALSE(validate_config(c, &err));
    EXPECT_NE(err.find("cluster.redis_reconnect_base"), std::string::npos) << err;
    EXPECT_NE(err.find("cluster.redis_reconnect_max"), std::string::npos) << err;
}

}  // namespace
}  // namespace ringcast

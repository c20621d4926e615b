// Configuration: the embedded defaults load and validate; a file changes only
// the keys it sets; every mistake is reported with file:line, the key, and what
// was expected (and, for a misspelled key, the key that was probably meant).
#include "config/config.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

// Every field by its TOML key, so two configs can be compared and differences named.
std::map<std::string, std::string> fields(const Config& c) {
    auto s = [](auto v) { return std::to_string(v); };
    std::string channels;
    for (const auto& ch : c.default_channels)
        channels += ch + ",";
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
        {"http.max_request_target", s(c.max_request_target)},
        {"http.max_header_bytes", s(c.max_header_bytes)},
        {"http.max_headers", s(c.max_headers)},
        {"http.max_body", s(c.max_body)},
        {"http.request_timeout", s(c.request_timeout_ms)},
        {"http.keepalive_timeout", s(c.keepalive_timeout_ms)},
        {"sse.heartbeat_interval", s(c.heartbeat_interval_ms)},
        {"sse.heartbeat_format", c.heartbeat_format},
        {"sse.retry", s(c.retry_ms)},
        {"sse.default_channels", channels},
        {"sse.max_channels_per_stream", s(c.max_channels_per_stream)},
        {"delivery.max_queue", s(c.max_queue)},
        {"delivery.write_timeout", s(c.write_timeout_ms)},
        {"engine.sq_entries", s(c.sq_entries)},
        {"engine.cq_entries", s(c.cq_entries)},
        {"engine.recv_buffers", s(c.recv_buffers)},
        {"engine.recv_buffer_size", s(c.recv_buffer_size)},
        {"engine.mesh_ring_capacity", s(c.mesh_ring_capacity)},
        {"engine.connections_per_shard", s(c.connections_per_shard)},
    };
}

// Keys whose values differ between a and b.
std::map<std::string, std::string> changed(const Config& a, const Config& b) {
    std::map<std::string, std::string> out;
    auto fa = fields(a), fb = fields(b);
    for (auto& [k, v] : fb)
        if (fa[k] != v) out[k] = v;
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
    EXPECT_EQ(c.max_request_target, 8192u);
    EXPECT_EQ(c.max_header_bytes, 16384u);
    EXPECT_EQ(c.max_headers, 64u);
    EXPECT_EQ(c.max_body, 1u << 20);
    EXPECT_EQ(c.request_timeout_ms, 10'000u);
    EXPECT_EQ(c.keepalive_timeout_ms, 60'000u);
    EXPECT_EQ(c.heartbeat_interval_ms, 30'000u);
    EXPECT_EQ(c.heartbeat_format, "event");
    EXPECT_EQ(c.retry_ms, 1000u);
    EXPECT_EQ(c.default_channels,
              (std::vector<std::string>{"alerts", "notifications", "toasts", "system"}));
    EXPECT_EQ(c.max_queue, 4u << 20);
    EXPECT_EQ(c.recv_buffers, 512u);
    EXPECT_EQ(c.recv_buffer_size, 4096u);
    EXPECT_EQ(c.mesh_ring_capacity, 16384u);
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

}  // namespace
}  // namespace ringcast

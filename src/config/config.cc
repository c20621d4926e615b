#include "config/config.h"

#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace ringcast {

extern const char ringcast_default_config[];  // generated from default.toml

std::string_view default_config_toml() {
    return ringcast_default_config;
}

namespace {

bool parse_number_with_unit(std::string_view text, uint64_t* number, std::string_view* unit) {
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
        text.remove_suffix(1);
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *number);
    if (ec != std::errc() || p == text.data()) return false;
    *unit = text.substr(size_t(p - text.data()));
    while (!unit->empty() && unit->front() == ' ')
        unit->remove_prefix(1);
    return true;
}

// One configurable key: where it lives and how to store a TOML value into cfg.
struct Key {
    const char* path;
    std::function<bool(const toml::node&, std::string*)> set;
};

bool want_string(const toml::node& n, std::string* out, std::string* err) {
    if (!n.is_string()) {
        *err = "expected a string";
        return false;
    }
    *out = n.as_string()->get();
    return true;
}

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

bool want_duration(const toml::node& n, uint64_t* out, uint64_t min_ms, std::string* err) {
    uint64_t ms = 0;
    if (n.is_integer() && n.as_integer()->get() >= 0) {
        ms = uint64_t(n.as_integer()->get());
    } else if (!n.is_string() || !parse_duration_ms(n.as_string()->get(), &ms)) {
        *err =
            "expected a duration: milliseconds, or a string like \"500ms\", \"30s\", \"5m\", "
            "\"1h\"";
        return false;
    }
    if (ms < min_ms) {
        *err = fmt::format("must be at least {} ms", min_ms);
        return false;
    }
    *out = ms;
    return true;
}

bool want_size(const toml::node& n, uint64_t* out, uint64_t min, uint64_t max, std::string* err) {
    uint64_t b = 0;
    if (n.is_integer() && n.as_integer()->get() >= 0) {
        b = uint64_t(n.as_integer()->get());
    } else if (!n.is_string() || !parse_size_bytes(n.as_string()->get(), &b)) {
        *err = "expected a size: bytes, or a string like \"512B\", \"64KiB\", \"1MiB\", \"1GiB\"";
        return false;
    }
    if (b < min || b > max) {
        *err = fmt::format("must be between {} and {} bytes", min, max);
        return false;
    }
    *out = b;
    return true;
}

bool want_one_of(const toml::node& n, std::string* out, std::initializer_list<const char*> allowed,
                 std::string* err) {
    std::string v;
    if (!want_string(n, &v, err)) return false;
    for (const char* a : allowed)
        if (v == a) {
            *out = v;
            return true;
        }
    std::string list;
    for (const char* a : allowed)
        list += (list.empty() ? "" : ", ") + std::string("\"") + a + "\"";
    *err = "must be one of " + list;
    return false;
}

// A list of numeric uids or gids.
bool want_id_list(const toml::node& n, std::vector<uint32_t>* out, std::string* err) {
    if (!n.is_array()) {
        *err = "expected an array of numeric ids";
        return false;
    }
    std::vector<uint32_t> v;
    for (const toml::node& item : *n.as_array()) {
        if (!item.is_integer() || item.as_integer()->get() < 0 ||
            item.as_integer()->get() > 0xfffffffe) {
            *err = "expected an array of numeric ids (0 to 4294967294)";
            return false;
        }
        v.push_back(uint32_t(item.as_integer()->get()));
    }
    *out = std::move(v);
    return true;
}

std::vector<Key> schema(Config& c) {
    constexpr uint64_t GiB = 1ull << 30;
    return {
        {"server.http", [&c](auto& n, auto* e) { return want_string(n, &c.http, e); }},
        {"server.shards", [&c](auto& n, auto* e) { return want_uint(n, &c.shards, 0, 1024, e); }},
        {"server.data_dir", [&c](auto& n, auto* e) { return want_string(n, &c.data_dir, e); }},
        {"server.log_level",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.log_level,
                                {"trace", "debug", "info", "warn", "error", "critical", "off"}, e);
         }},
        {"server.accept",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.accept, {"handoff", "reuseport"}, e);
         }},
        {"server.unix", [&c](auto& n, auto* e) { return want_string(n, &c.unix_path, e); }},
        {"server.unix_mode",
         [&c](auto& n, auto* e) {
             if (!want_string(n, &c.unix_mode, e)) return false;
             unsigned mode = 0;
             auto [p, ec] = std::from_chars(c.unix_mode.data(),
                                            c.unix_mode.data() + c.unix_mode.size(), mode, 8);
             if (ec != std::errc() || p != c.unix_mode.data() + c.unix_mode.size() || mode > 0777) {
                 *e = "must be an octal file mode as a string, like \"0660\"";
                 return false;
             }
             return true;
         }},
        {"server.unix_group", [&c](auto& n, auto* e) { return want_string(n, &c.unix_group, e); }},
        {"publish.max_line",
         [&c](auto& n, auto* e) { return want_size(n, &c.publish_max_line, 256, GiB, e); }},
        {"publish.max_reply_backlog",
         [&c](auto& n, auto* e) {
             return want_size(n, &c.publish_max_reply_backlog, 4096, 16 * GiB, e);
         }},
        {"publish.max_pending",
         [&c](auto& n, auto* e) { return want_uint(n, &c.publish_max_pending, 1, 1u << 24, e); }},
        {"publish.allow_uids",
         [&c](auto& n, auto* e) { return want_id_list(n, &c.publish_allow_uids, e); }},
        {"publish.allow_gids",
         [&c](auto& n, auto* e) { return want_id_list(n, &c.publish_allow_gids, e); }},
        {"server.listen_backlog",
         [&c](auto& n, auto* e) { return want_uint(n, &c.listen_backlog, 1, 1 << 20, e); }},
        {"server.max_connections",
         [&c](auto& n, auto* e) { return want_uint(n, &c.max_connections, 0, UINT32_MAX, e); }},
        {"server.retry_after",
         [&c](auto& n, auto* e) { return want_duration(n, &c.retry_after_ms, 1000, e); }},
        {"server.shutdown_timeout",
         [&c](auto& n, auto* e) { return want_duration(n, &c.shutdown_timeout_ms, 0, e); }},
        {"http.max_request_target",
         [&c](auto& n, auto* e) { return want_size(n, &c.max_request_target, 64, 1 << 20, e); }},
        {"http.max_header_bytes",
         [&c](auto& n, auto* e) { return want_size(n, &c.max_header_bytes, 256, 1 << 20, e); }},
        {"http.max_headers",
         [&c](auto& n, auto* e) { return want_uint(n, &c.max_headers, 1, 1000, e); }},
        {"http.max_body", [&c](auto& n, auto* e) { return want_size(n, &c.max_body, 0, GiB, e); }},
        {"http.request_timeout",
         [&c](auto& n, auto* e) { return want_duration(n, &c.request_timeout_ms, 100, e); }},
        {"http.keepalive_timeout",
         [&c](auto& n, auto* e) { return want_duration(n, &c.keepalive_timeout_ms, 100, e); }},
        {"sse.heartbeat_interval",
         [&c](auto& n, auto* e) { return want_duration(n, &c.heartbeat_interval_ms, 100, e); }},
        {"sse.heartbeat_format",
         [&c](auto& n, auto* e) {
             return want_one_of(n, &c.heartbeat_format, {"event", "comment"}, e);
         }},
        {"sse.retry", [&c](auto& n, auto* e) { return want_duration(n, &c.retry_ms, 0, e); }},
        {"sse.default_channels",
         [&c](const toml::node& n, std::string* e) {
             if (!n.is_array()) {
                 *e = "expected an array of channel names";
                 return false;
             }
             std::vector<std::string> v;
             for (const toml::node& item : *n.as_array()) {
                 if (!item.is_string()) {
                     *e = "expected an array of strings";
                     return false;
                 }
                 v.push_back(item.as_string()->get());
             }
             c.default_channels = std::move(v);
             return true;
         }},
        {"sse.max_channels_per_stream",
         [&c](auto& n, auto* e) { return want_uint(n, &c.max_channels_per_stream, 1, 65535, e); }},
        {"delivery.max_queue",
         [&c](auto& n, auto* e) { return want_size(n, &c.max_queue, 4096, 16 * GiB, e); }},
        {"delivery.write_timeout",
         [&c](auto& n, auto* e) { return want_duration(n, &c.write_timeout_ms, 100, e); }},
        {"engine.sq_entries",
         [&c](auto& n, auto* e) { return want_uint(n, &c.sq_entries, 16, 32768, e); }},
        {"engine.cq_entries",
         [&c](auto& n, auto* e) { return want_uint(n, &c.cq_entries, 64, 65536, e); }},
        {"engine.recv_buffers",
         [&c](auto& n, auto* e) { return want_uint(n, &c.recv_buffers, 8, 32768, e); }},
        {"engine.recv_buffer_size",
         [&c](auto& n, auto* e) { return want_size(n, &c.recv_buffer_size, 512, 1 << 20, e); }},
        {"engine.mesh_ring_capacity",
         [&c](auto& n, auto* e) { return want_uint(n, &c.mesh_ring_capacity, 16, 1 << 24, e); }},
        {"engine.connections_per_shard",
         [&c](auto& n, auto* e) { return want_uint(n, &c.connections_per_shard, 0, 1 << 22, e); }},
    };
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string where(const std::string& source, const toml::node& n) {
    const auto& b = n.source().begin;
    if (b.line == 0) return source;
    return fmt::format("{}:{}", source, b.line);
}

bool apply_table(const toml::table& t, const std::string& prefix, const std::vector<Key>& keys,
                 const std::string& source, std::string* error) {
    for (auto&& [k, v] : t) {
        std::string path =
            prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
        if (v.is_table()) {
            bool known_section = false;
            for (const Key& key : keys)
                if (std::string_view(key.path).starts_with(path + ".")) known_section = true;
            if (!known_section) {
                *error = fmt::format("{}: unknown section [{}]", where(source, v), path);
                return false;
            }
            if (!apply_table(*v.as_table(), path, keys, source, error)) return false;
            continue;
        }
        const Key* found = nullptr;
        for (const Key& key : keys)
            if (path == key.path) found = &key;
        if (!found) {
            const Key* best = nullptr;
            size_t best_d = 4;
            for (const Key& key : keys) {
                size_t d = edit_distance(path, key.path);
                if (d < best_d) {
                    best_d = d;
                    best = &key;
                }
            }
            *error = fmt::format("{}: unknown key '{}'", where(source, v), path);
            if (best) *error += fmt::format(" (did you mean '{}'?)", best->path);
            return false;
        }
        std::string why;
        if (!found->set(v, &why)) {
            *error = fmt::format("{}: '{}' {}", where(source, v), path, why);
            return false;
        }
    }
    return true;
}

}  // namespace

bool parse_duration_ms(std::string_view text, uint64_t* ms) {
    uint64_t n;
    std::string_view unit;
    if (!parse_number_with_unit(text, &n, &unit)) return false;
    uint64_t mult;
    if (unit == "ms" || unit.empty()) {
        mult = 1;
    } else if (unit == "s") {
        mult = 1000;
    } else if (unit == "m" || unit == "min") {
        mult = 60'000;
    } else if (unit == "h") {
        mult = 3'600'000;
    } else {
        return false;
    }
    // "5124095576030432h" would wrap to a few seconds and pass every range check.
    return !__builtin_mul_overflow(n, mult, ms);
}

bool parse_size_bytes(std::string_view text, uint64_t* bytes) {
    uint64_t n;
    std::string_view unit;
    if (!parse_number_with_unit(text, &n, &unit)) return false;
    uint64_t mult;
    if (unit.empty() || unit == "B") {
        mult = 1;
    } else if (unit == "KiB" || unit == "K" || unit == "k") {
        mult = 1ull << 10;
    } else if (unit == "MiB" || unit == "M") {
        mult = 1ull << 20;
    } else if (unit == "GiB" || unit == "G") {
        mult = 1ull << 30;
    } else {
        return false;
    }
    // "17179869184GiB" would wrap to 0 and pass a range that starts at 0.
    return !__builtin_mul_overflow(n, mult, bytes);
}

bool apply_config_text(Config& cfg, std::string_view text, const std::string& source,
                       std::string* error) {
    toml::table doc;
    try {
        doc = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        *error = fmt::format("{}:{}:{}: {}", source, e.source().begin.line, e.source().begin.column,
                             e.description());
        return false;
    }
    Config work = cfg;  // all or nothing
    if (!apply_table(doc, "", schema(work), source, error)) return false;
    cfg = std::move(work);
    return true;
}

bool load_config(Config& cfg, const std::string& path, std::string* error) {
    if (!apply_config_text(cfg, default_config_toml(), "<built-in defaults>", error)) return false;
    if (path.empty()) return true;
    std::ifstream f(path);
    if (!f) {
        *error = fmt::format("cannot read config file {}: {}", path, std::strerror(errno));
        return false;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    return apply_config_text(cfg, ss.str(), path, error);
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
    return true;
}

}  // namespace ringcast

// TOML values -> Config fields: the type and range checks every key shares, and
// the "did you mean" suggestions.
#include "config/parse.h"

#include <algorithm>

// Header-only and free of other layers: the one definition of an address range.
#include "net/ip_range.h"

namespace ringcast::config_detail {

bool want_string(const toml::node& n, std::string* out, std::string* err) {
    if (!n.is_string()) {
        *err = "expected a string";
        return false;
    }
    *out = n.as_string()->get();
    return true;
}

bool want_bool(const toml::node& n, bool* out, std::string* err) {
    if (!n.is_boolean()) {
        *err = "expected true or false";
        return false;
    }
    *out = n.as_boolean()->get();
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

bool want_string_list(const toml::node& n, std::vector<std::string>* out, const char* what,
                      std::string* err) {
    if (!n.is_array()) {
        *err = fmt::format("expected an array of {}", what);
        return false;
    }
    std::vector<std::string> v;
    for (const toml::node& item : *n.as_array()) {
        if (!item.is_string()) {
            *err = "expected an array of strings";
            return false;
        }
        v.push_back(item.as_string()->get());
    }
    *out = std::move(v);
    return true;
}

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

bool header_safe(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

namespace {

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

bool extends(std::string_view longer, std::string_view shorter) {
    return longer.size() > shorter.size() + 1 && longer.starts_with(shorter) &&
           longer[shorter.size()] == '_';
}

}  // namespace

std::string closest(std::string_view name, const std::vector<std::string>& candidates) {
    const std::string* best = nullptr;
    size_t best_d = 4;
    for (const std::string& c : candidates) {
        // The distance is at least the difference in length: a long unknown
        // key is compared with nothing (the config fuzz target spent most of
        // its time here, quadratic in the key's length).
        const size_t gap = name.size() > c.size() ? name.size() - c.size() : c.size() - name.size();
        if (gap >= best_d) continue;
        size_t d = edit_distance(name, c);
        if (d < best_d) {
            best_d = d;
            best = &c;
        }
    }
    if (best) return *best;
    const std::string* only = nullptr;
    for (const std::string& c : candidates)
        if (extends(c, name) || extends(name, c)) {
            if (only) return "";  // several: a guess would mislead
            only = &c;
        }
    return only ? *only : "";
}

std::string unknown_key_message(const std::string& path, const std::string& leaf,
                                const std::vector<std::string>& leaves) {
    std::string msg = fmt::format("unknown key '{}'", path);
    std::string best = closest(leaf, leaves);
    if (!best.empty())
        msg +=
            fmt::format(" (did you mean '{}'?)", path.substr(0, path.size() - leaf.size()) + best);
    return msg;
}

std::string where(const std::string& source, const toml::node& n) {
    const auto& b = n.source().begin;
    if (b.line == 0) return source;
    return fmt::format("{}:{}", source, b.line);
}

ConfigPlace place_of(const toml::node& n) {
    const auto& b = n.source().begin;
    return {uint32_t(b.line), uint32_t(b.column)};
}

std::vector<std::pair<std::string, const toml::node*>> in_file_order(const toml::table& t) {
    std::vector<std::pair<std::string, const toml::node*>> out;
    for (auto&& [k, v] : t)
        out.emplace_back(std::string(k.str()), &v);
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return place_of(*a.second) < place_of(*b.second);
    });
    return out;
}

bool parse_rate_window(const toml::node& n, const std::string& path, const char* max_key,
                       RateWindow* out, Problem* p) {
    if (!n.is_table()) {
        p->message = fmt::format("'{}' expected an inline table like {{ {} = 5, window = \"1m\" }}",
                                 path, max_key);
        return false;
    }
    RateWindow rw = *out;
    for (const auto& [key, node] : in_file_order(*n.as_table())) {
        const toml::node& v = *node;
        std::string why;
        bool ok;
        if (key == max_key) {
            ok = want_uint(v, &rw.max, 0, UINT32_MAX, &why);
        } else if (key == "window") {
            ok = want_duration(v, &rw.window_ms, 0, &why);
        } else {
            p->at = &v;
            p->message = unknown_key_message(path + "." + key, key, {max_key, "window"});
            return false;
        }
        if (!ok) {
            p->at = &v;
            p->message = fmt::format("'{}.{}' {}", path, key, why);
            return false;
        }
    }
    *out = rw;
    return true;
}

bool parse_ip_ranges(const toml::node& n, const std::string& path, std::vector<std::string>* out,
                     Problem* p) {
    if (!n.is_array()) {
        p->message = fmt::format(
            "'{}' expected an array of IP addresses and CIDR ranges, like [\"127.0.0.1\", "
            "\"10.0.0.0/8\"]",
            path);
        return false;
    }
    std::vector<std::string> v;
    size_t index = 0;
    for (const toml::node& item : *n.as_array()) {
        ++index;
        if (!item.is_string()) {
            p->at = &item;
            p->message = fmt::format("'{}' item {}: expected a string", path, index);
            return false;
        }
        const std::string& text = item.as_string()->get();
        IpRange range;
        std::string why;
        if (!IpRange::parse(text, &range, &why)) {
            p->at = &item;
            p->message = fmt::format("'{}' item {}: \"{}\" {}", path, index, text, why);
            return false;
        }
        v.push_back(text);
    }
    *out = std::move(v);
    return true;
}

}  // namespace ringcast::config_detail

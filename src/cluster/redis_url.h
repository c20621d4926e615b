#pragma once
// Where a Redis server is and how to open a session with it, from the
// [cluster] redis setting:
//
//   redis://[[user]:password@]host[:port][/db]   TCP; port 6379, db 0 by default;
//                                                host a name, an IPv4 address or
//                                                an IPv6 one in brackets
//   unix://[[user]:password@]/path[?db=N]       a Unix socket (absolute path)
//
// The user and password are percent-decoded (a password with '@' or ':' is
// written %40, %3A). A password alone sends AUTH password, with a user
// AUTH user password (Redis 6 ACLs). A db other than 0 sends SELECT.
//
// Header-only, so that the configuration checks the setting with the same
// rules the link follows (src/config may depend on it, as on net/ip_range.h).
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast {

struct RedisEndpoint {
    bool is_unix = false;
    std::string host;  // TCP: as written, brackets of an IPv6 address removed
    uint16_t port = 6379;
    std::string path;  // unix
    std::string user;
    std::string password;
    bool has_password = false;
    uint32_t db = 0;

    // For logs: the URL without its password.
    std::string describe() const {
        std::string where =
            is_unix ? "unix://" + path
                    : "redis://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                          ":" + std::to_string(port);
        if (db != 0) where += (is_unix ? "?db=" : "/") + std::to_string(db);
        return where;
    }
};

namespace redis_url_detail {

inline int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

inline bool percent_decode(std::string_view in, std::string* out) {
    out->clear();
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out->push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size()) return false;
        const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out->push_back(char(hi * 16 + lo));
        i += 2;
    }
    return true;
}

inline bool parse_uint(std::string_view s, uint64_t max, uint64_t* out) {
    if (s.empty() || s.size() > 10) return false;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + uint64_t(c - '0');
    }
    if (v > max) return false;
    *out = v;
    return true;
}

// Takes "[user]:password@" off the front of `rest`, if there.
inline bool take_credentials(std::string_view* rest, RedisEndpoint* e, std::string* error) {
    const size_t at = rest->rfind('@');
    if (at == std::string_view::npos) return true;
    std::string_view cred = rest->substr(0, at);
    *rest = rest->substr(at + 1);
    const size_t colon = cred.find(':');
    if (colon == std::string_view::npos) {
        *error = "credentials must be written \":password@\" or \"user:password@\"";
        return false;
    }
    if (!percent_decode(cred.substr(0, colon), &e->user) ||
        !percent_decode(cred.substr(colon + 1), &e->password)) {
        *error = "a bad percent-escape in the user or password (write %XX, two hex digits)";
        return false;
    }
    e->has_password = true;
    return true;
}

}  // namespace redis_url_detail

// Parses `url`; false with a sentence in *error (which never quotes the
// password) when it is not one of the two forms above.
inline bool parse_redis_url(std::string_view url, RedisEndpoint* out, std::string* error) {
    using namespace redis_url_detail;
    RedisEndpoint e;
    constexpr std::string_view kTcp = "redis://", kUnix = "unix://";
    const char* forms =
        "expected \"redis://[:password@]host[:port][/db]\" or \"unix:///path[?db=N]\"";
    std::string_view rest;
    if (url.starts_with(kTcp)) {
        rest = url.substr(kTcp.size());
    } else if (url.starts_with(kUnix)) {
        rest = url.substr(kUnix.size());
        e.is_unix = true;
    } else {
        *error = std::string("unknown scheme: ") + forms;
        return false;
    }
    if (!take_credentials(&rest, &e, error)) return false;
    if (e.is_unix) {
        std::string_view query;
        if (size_t q = rest.find('?'); q != std::string_view::npos) {
            query = rest.substr(q + 1);
            rest = rest.substr(0, q);
        }
        if (rest.empty() || rest.front() != '/') {
            *error = "a unix URL needs an absolute socket path: unix:///run/redis/redis.sock";
            return false;
        }
        if (rest.size() >= 108) {  // sun_path
            *error = "the socket path is longer than a Unix socket address holds (107 bytes)";
            return false;
        }
        e.path = std::string(rest);
        if (!query.empty()) {
            uint64_t db = 0;
            if (!query.starts_with("db=") || !parse_uint(query.substr(3), 1'000'000, &db)) {
                *error = "the only parameter a unix URL takes is ?db=N (a database number)";
                return false;
            }
            e.db = uint32_t(db);
        }
        *out = std::move(e);
        return true;
    }
    std::string_view hostport = rest;
    if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
        hostport = rest.substr(0, slash);
        std::string_view db = rest.substr(slash + 1);
        uint64_t n = 0;
        if (!db.empty() && !parse_uint(db, 1'000'000, &n)) {
            *error = "the path of a redis URL is a database number: redis://host:6379/0";
            return false;
        }
        e.db = uint32_t(n);
    }
    std::string_view port;
    if (hostport.starts_with('[')) {
        const size_t close = hostport.find(']');
        if (close == std::string_view::npos) {
            *error = "an IPv6 address without its closing ']'";
            return false;
        }
        e.host = std::string(hostport.substr(1, close - 1));
        std::string_view after = hostport.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                *error = "expected ':port' after the IPv6 address";
                return false;
            }
            port = after.substr(1);
            if (port.empty()) port = "-";
        }
    } else {
        const size_t colon = hostport.find(':');
        e.host = std::string(hostport.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = hostport.substr(colon + 1);
            if (port.empty()) port = "-";
        }
    }
    if (e.host.empty()) {
        *error = std::string("no host: ") + forms;
        return false;
    }
    if (!port.empty()) {
        uint64_t p = 0;
        if (!parse_uint(port, 65535, &p) || p == 0) {
            *error = "the port must be a number from 1 to 65535";
            return false;
        }
        e.port = uint16_t(p);
    }
    *out = std::move(e);
    return true;
}

}  // namespace ringcast

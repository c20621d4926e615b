#pragma once
// Helpers for the tests of the HTTP API that mirrors the socket (http_api_test,
// http_batch_test) and of stream tokens: requests with the test daemon's API key,
// answers compared member by member with the socket's replies, 400 reasons and
// refusals, streams opened as a stream token's user, and batch bodies.
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "json.h"
#include "keeps_support.h"
#include "publish_support.h"
#include "sse_client.h"
#include "unix_client.h"

namespace ringcast::itest {

inline const Headers kApiKey = {{"Authorization", "Bearer " + std::string(kTestApiKey)}};

// Members whose values are times taken at the moment of asking (ms): the two
// protocols may read the clock a moment apart.
inline const std::set<std::string> kClockMembers = {"time", "connectedAt", "lastActivity"};
inline constexpr double kClockSlackMs = 2000;

// Empty when `a` and `b` are equal, members of objects in the same order,
// except members named in kClockMembers, which need only be numbers close to
// each other. Otherwise where they differ.
inline std::string differ(const Json& a, const Json& b, const std::string& where = "") {
    if (a.type() != b.type()) return where + ": types differ";
    if (a.is_object()) {
        if (a.size() != b.size())
            return where + ": " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) +
                   " members";
        for (size_t i = 0; i < a.members().size(); ++i) {
            const auto& [ka, va] = a.members()[i];
            const auto& [kb, vb] = b.members()[i];
            if (ka != kb) return where + ": member " + ka + " vs " + kb;
            if (kClockMembers.count(ka)) {
                if (!va.is_number() || !vb.is_number() ||
                    std::abs(va.as_double() - vb.as_double()) > kClockSlackMs)
                    return where + "." + ka + ": times too far apart";
                continue;
            }
            std::string d = differ(va, vb, where + "." + ka);
            if (!d.empty()) return d;
        }
        return {};
    }
    if (a.is_array()) {
        if (a.size() != b.size()) return where + ": arrays of different sizes";
        for (size_t i = 0; i < a.size(); ++i) {
            std::string d = differ(a[i], b[i], where + "[" + std::to_string(i) + "]");
            if (!d.empty()) return d;
        }
        return {};
    }
    return json_equal(a, b) ? std::string() : where + ": values differ";
}

// Empty when the HTTP answer `http` (an object) has exactly the members of the
// socket's ok reply `sock` less "req" and "ok", in the same order and with the
// same values (see differ()).
inline std::string same_as_socket(const Json& http, const Json& sock) {
    if (!sock["ok"].as_bool()) return "the socket's reply is not ok";
    size_t j = 0;  // the next member of `http`
    for (const auto& [k, v] : sock.members()) {
        if (k == "req" || k == "ok") continue;
        if (j >= http.members().size()) return "HTTP lacks member " + k;
        const auto& [hk, hv] = http.members()[j++];
        if (hk != k) return "member " + hk + " where the socket has " + k;
        if (kClockMembers.count(k)) {
            if (std::abs(hv.as_double() - v.as_double()) > kClockSlackMs)
                return k + ": times too far apart";
            continue;
        }
        std::string d = differ(hv, v, k);
        if (!d.empty()) return d;
    }
    if (j != http.members().size()) return "HTTP has more members than the socket";
    return {};
}

// A stream token for `fields` from the socket.
inline std::string stream_token(UnixClient& u, const std::string& fields) {
    Json r = ask(u, R"({"op":"token","req":"t",)" + fields + "}");
    EXPECT_TRUE(r["ok"].as_bool()) << fields << ": " << u.error();
    return r["token"].as_string();
}

// One stream with its `connected` event read; its connection id.
struct Stream {
    std::unique_ptr<SseClient> sse;
    std::string id;
};

inline Stream open_as(uint16_t port, const std::string& target, const std::string& token = {}) {
    Stream s;
    s.sse = open_stream(port, target,
                        token.empty() ? Headers{} : Headers{{"Authorization", "Bearer " + token}});
    if (!s.sse->events().empty()) {
        auto j = Json::parse(s.sse->events()[0].event.data);
        if (j) s.id = (*j)["connectionId"].as_string();
    }
    return s;
}

// A request with the API key; the answer (a failed expectation if none came).
inline HttpResponse call(HttpClient& c, std::string_view method, const std::string& target,
                         const std::string& body = {}, const Headers& headers = kApiKey) {
    if (!c.connected()) {
        EXPECT_TRUE(c.connect()) << c.error();
    }
    auto r = c.request(method, target, body, headers);
    EXPECT_TRUE(r) << method << " " << target << ": " << c.error();
    return r ? *r : HttpResponse{};
}

// The request with no credentials at all (build_request adds the test key to
// some routes when none is given).
inline HttpResponse call_bare(HttpClient& c, std::string_view method, const std::string& target,
                              const std::string& body) {
    if (!c.connected()) {
        EXPECT_TRUE(c.connect()) << c.error();
    }
    std::string raw = build_request(method, target, body);
    const std::string added = "X-API-Key: " + std::string(kTestApiKey) + "\r\n";
    if (size_t at = raw.find(added); at != std::string::npos) raw.erase(at, added.size());
    EXPECT_TRUE(c.send(raw)) << c.error();
    auto r = c.read_response();
    EXPECT_TRUE(r) << method << " " << target << ": " << c.error();
    return r ? *r : HttpResponse{};
}

inline Json body_of(const HttpResponse& r) {
    auto j = r.json();
    EXPECT_TRUE(j) << "not JSON: " << r.describe();
    return j ? *j : Json();
}

// Empty when `r` is a 400 bad_request whose reason is `reason`.
inline std::string bad_request(const HttpResponse& r, std::string_view reason) {
    std::string why = check_json_error(r, 400, "bad_request");
    if (!why.empty()) return why;
    auto j = r.json();
    if ((*j)["error"]["reason"].as_string() != reason)
        return "reason \"" + (*j)["error"]["reason"].as_string() + "\", not \"" +
               std::string(reason) + "\": " + r.describe();
    return {};
}

// Empty when `r` is the refusal (status, code, reason).
inline std::string refusal(const HttpResponse& r, int status, std::string_view code,
                           std::string_view reason) {
    std::string why = check_json_error(r, status, code);
    if (!why.empty()) return why;
    auto j = r.json();
    if ((*j)["error"]["reason"].as_string() != reason)
        return "reason \"" + (*j)["error"]["reason"].as_string() + "\", not \"" +
               std::string(reason) + "\": " + r.describe();
    return {};
}

// The socket's error message for `line`, which must be answered with `code`.
inline std::string socket_error(UnixClient& u, const std::string& line, std::string_view code) {
    auto r = u.request(line);
    EXPECT_TRUE(r) << u.error();
    if (!r) return {};
    EXPECT_EQ(check_error_reply(*r, "\"e\"", code), "") << line;
    auto j = Json::parse(*r);
    return j ? (*j)["error"]["message"].as_string() : std::string();
}

// Authorization: Bearer <token>.
inline Headers bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

// The names of an object's members, in order.
inline std::vector<std::string> keys_of(const Json& j) {
    std::vector<std::string> out;
    for (const auto& [k, v] : j.members())
        out.push_back(k);
    return out;
}

inline std::string message(const std::string& channel, int n, const std::string& extra = {}) {
    return R"({"channel":")" + channel + R"(","event":"b","data":)" + std::to_string(n) +
           (extra.empty() ? "" : "," + extra) + "}";
}

inline std::string batch_of(const std::vector<std::string>& messages) {
    std::string s = R"({"messages":[)";
    for (size_t i = 0; i < messages.size(); ++i)
        s += (i ? "," : "") + messages[i];
    return s + "]}";
}

}  // namespace ringcast::itest

#pragma once
// Helpers for the alerts tests (docs/alerts.md): a daemon with HS256 tokens and
// [alerts] settings, tokens with roles, API calls with the test key, times in
// ISO 8601, and waiting for a stream's next event of a kind.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http_api_support.h"
#include "jwt_mint.h"
#include "keeps_support.h"

namespace ringcast::itest {

// keeps_config (HS256 tokens in ?token=) with alerts managed by role "ops" too.
inline std::string alerts_config(const std::string& extra = {}) {
    return keeps_config("[alerts]\nadmin_roles = [\"ops\"]\n" + extra);
}

inline std::string token_of(const std::string& user, std::vector<std::string> roles = {}) {
    TokenClaims c;
    c.sub = user;
    c.roles = std::move(roles);
    return mint_hs256(kKeepsSecret, c.json());
}

// A stream on the alerts channel, as `user` with `roles` (anonymous if user is "").
inline std::string alerts_stream(const std::string& user = {},
                                 std::vector<std::string> roles = {}) {
    std::string t = "/api/sse/stream?channels=alerts";
    if (!user.empty()) t += "&token=" + token_of(user, std::move(roles));
    return t;
}

// A request with the test API key (JSON body if any); the answer or a failure.
inline HttpResponse alert_api(HttpClient& api, const std::string& method, const std::string& path,
                              const std::string& body = {}, Headers headers = kApiKey) {
    if (!api.connected()) {
        EXPECT_TRUE(api.connect()) << api.error();
    }
    if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
    auto r = api.request(method, path, body, headers);
    EXPECT_TRUE(r) << method << " " << path << ": " << api.error();
    return r ? *r : HttpResponse{};
}

inline Json json_of(const HttpResponse& r) {
    auto j = r.json();
    EXPECT_TRUE(j) << r.describe();
    return j ? *j : Json();
}

inline Json json_of_text(const std::string& text) {
    auto j = Json::parse(text);
    EXPECT_TRUE(j) << text;
    return j ? *j : Json();
}

inline int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// `ms` (Unix milliseconds) as "2026-12-07T10:00:00.123Z".
inline std::string iso(int64_t ms) {
    time_t s = time_t(ms / 1000);
    tm t{};
    gmtime_r(&s, &t);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                  t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, int(ms % 1000));
    return buf;
}

// Reads `s` until it has an event of `type` at index >= *from; returns it and
// moves *from past it, or nullopt at the deadline.
inline std::optional<SseEvent> next_event(SseClient& s, const std::string& type, size_t* from,
                                          const Deadline& d = Deadline(kIoTimeout)) {
    std::optional<SseEvent> found;
    s.read_until(
        [&] {
            for (size_t i = *from; i < s.events().size(); ++i)
                if (s.events()[i].event.type == type) {
                    found = s.events()[i].event;
                    *from = i + 1;
                    return true;
                }
            return false;
        },
        d);
    return found;
}

// The ids of an alert list (the data of alerts / alerts-update), in order.
inline std::vector<int64_t> ids_of(const std::string& list_json) {
    std::vector<int64_t> out;
    auto j = Json::parse(list_json);
    EXPECT_TRUE(j && j->is_array()) << list_json;
    if (!j || !j->is_array()) return out;
    for (size_t i = 0; i < j->size(); ++i)
        out.push_back((*j)[i]["id"].as_int());
    return out;
}

}  // namespace ringcast::itest

#pragma once
// Helpers for the tests of what the log shard keeps beyond a delivery (the
// persistent cache, mailboxes, history): raw publishes with any message
// fields, streams on both shards, streams with a user's token, and reading the
// data events a stream got after its `connected` event.
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "json.h"
#include "jwt_mint.h"
#include "sse_client.h"

namespace ringcast::itest {

inline constexpr char kKeepsSecret[] = "keeps-test-secret-0123456789abcdefXYZ";

// HS256 streams (tokens in ?token=), no per-IP limits on the general endpoint,
// plus `extra` TOML.
inline std::string keeps_config(const std::string& extra = {}) {
    return std::string("[auth]\nalgorithm = \"HS256\"\nsecret = \"") + kKeepsSecret +
           "\"\n[[endpoint]]\npath = \"/api/sse/stream\"\n" + extra;
}

// POST `path` with a JSON body; the answer's JSON, or a failed expectation.
inline Json post_json(HttpClient& api, const std::string& path, const std::string& body,
                      int want_status = 200) {
    if (!api.connected()) {
        EXPECT_TRUE(api.connect()) << api.error();
    }
    auto r = api.request("POST", path, body, {{"Content-Type", "application/json"}});
    EXPECT_TRUE(r) << path << ": " << api.error();
    if (!r) return Json();
    EXPECT_EQ(r->status, want_status) << path << " " << body << ": " << r->describe();
    auto j = r->json();
    return j ? *j : Json();
}

// Publishes a message given as a JSON object; returns its id ("" on failure).
inline std::string publish_json(HttpClient& api, const std::string& message) {
    Json j = post_json(api, "/api/publish", message);
    return j.is_object() ? j["id"].as_string() : std::string();
}

// The target of a stream on `channels`, as `user` when not empty.
inline std::string stream_target(const std::string& channels, const std::string& user = {}) {
    std::string t = "/api/sse/stream?channels=" + channels;
    if (!user.empty()) {
        TokenClaims c;
        c.sub = user;
        t += "&token=" + mint_hs256(kKeepsSecret, c.json());
    }
    return t;
}

// Opens a stream and reads its `connected` event.
inline std::unique_ptr<SseClient> open_stream(uint16_t port, const std::string& target,
                                              const Headers& headers = {}) {
    auto s = std::make_unique<SseClient>();
    EXPECT_TRUE(s->open(port, target, Deadline(kIoTimeout), headers))
        << target << ": " << s->error();
    EXPECT_EQ(s->status(), 200) << target;
    EXPECT_TRUE(s->await_events(1, Deadline(kIoTimeout))) << target << ": " << s->raw_body();
    return s;
}

// Opens streams on `target` until both of a 2-shard daemon's shards hold at
// least `per_shard` (connection ids are "c<shard>-<n>"); at most 8 tries each.
inline std::vector<std::unique_ptr<SseClient>> open_on_both_shards(uint16_t port,
                                                                   const std::string& target,
                                                                   unsigned per_shard = 1) {
    std::vector<std::unique_ptr<SseClient>> out;
    unsigned on[2] = {0, 0};
    for (unsigned tries = 0; tries < 8 * per_shard && (on[0] < per_shard || on[1] < per_shard);
         ++tries) {
        auto s = open_stream(port, target);
        if (s->events().empty()) break;
        auto j = Json::parse(s->events()[0].event.data);
        std::string id = j ? (*j)["connectionId"].as_string() : "";
        unsigned shard = id.size() > 1 && id[1] == '1' ? 1 : 0;
        ++on[shard];
        out.push_back(std::move(s));
    }
    EXPECT_GE(on[0], per_shard) << "no stream landed on shard 0";
    EXPECT_GE(on[1], per_shard) << "no stream landed on shard 1";
    return out;
}

// The data of the stream's data events (everything but `connected` and
// heartbeats), in order.
inline std::vector<std::string> data_of(const SseClient& s) {
    std::vector<std::string> out;
    for (const SseEvent& e : s.data_events())
        out.push_back(e.data);
    return out;
}

// Publishes a marker on `channel` and reads `s` until it arrives: everything
// the stream was going to get before it is then in.
inline void read_past_marker(HttpClient& api, SseClient& s, const std::string& channel) {
    std::string id =
        publish_json(api, R"({"channel":")" + channel + R"(","event":"marker","data":"marker"})");
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(s.read_until(
        [&] {
            for (const SseEvent& e : s.data_events())
                if (e.type == "marker" && e.last_event_id == id) return true;
            return false;
        },
        Deadline(kIoTimeout)))
        << s.raw_body();
}

// The data events before the marker (see read_past_marker), in order.
inline std::vector<std::string> before_marker(const SseClient& s) {
    std::vector<std::string> out;
    for (const SseEvent& e : s.data_events()) {
        if (e.type == "marker") break;
        out.push_back(e.data);
    }
    return out;
}

}  // namespace ringcast::itest

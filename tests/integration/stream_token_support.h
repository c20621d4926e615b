#pragma once
// Helpers for the stream-token tests (stream_token_test, stream_token_key_test):
// tokens asked for over the socket and POST /api/tokens, the application's own
// HS256 tokens beside them, streams opened with a token and what their
// `connected` event says, and the key file in the data directory.
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_api_support.h"
#include "http_client.h"
#include "json.h"
#include "jwt_mint.h"
#include "publish_support.h"
#include "sse_client.h"
#include "unix_client.h"

namespace ringcast::itest {

inline constexpr char kAppSecret[] = "stream-token-test-app-secret-0123456789!";

inline std::string hs256_config(const std::string& extra = {}) {
    return std::string("[auth]\nalgorithm = \"HS256\"\nsecret = \"") + kAppSecret + "\"\n" + extra;
}

// The application's own token (HS256 with kAppSecret).
inline std::string app_token(const std::string& user, std::vector<std::string> roles = {},
                             std::optional<bool> publish = std::nullopt, bool admin = false) {
    TokenClaims c;
    c.sub = user;
    c.roles = std::move(roles);
    c.publish = publish;
    std::string payload = c.json();
    if (admin) payload.insert(1, "\"admin\":true,");
    return mint_hs256(kAppSecret, payload);
}

// {"op":"token","req":"t",<fields>} on the socket; the reply.
inline Json socket_token(UnixClient& u, const std::string& fields) {
    return ask(u, R"({"op":"token","req":"t",)" + fields + "}");
}

// A token for `fields` from the socket; "" (and a failure) if none came.
inline std::string token_for(UnixClient& u, const std::string& fields) {
    Json r = socket_token(u, fields);
    EXPECT_TRUE(r["ok"].as_bool()) << fields << ": " << u.error();
    return r["token"].as_string();
}

// POST /api/tokens with `body` and `headers` (the API key by default).
inline HttpResponse post_tokens(uint16_t port, const std::string& body,
                                const Headers& headers = kApiKey) {
    HttpClient c(port);
    EXPECT_TRUE(c.connect()) << c.error();
    Headers h = headers;
    h.emplace_back("Content-Type", "application/json");
    auto r = c.request("POST", "/api/tokens", body, h);
    EXPECT_TRUE(r) << c.error();
    return r ? *r : HttpResponse{};
}

inline std::unique_ptr<SseClient> get(uint16_t port, const std::string& target,
                                      const Headers& h = {}) {
    auto s = std::make_unique<SseClient>();
    if (!s->open(port, target, Deadline(kIoTimeout), h))
        ADD_FAILURE() << "GET " << target << ": " << s->error();
    return s;
}

// Empty when `s` was admitted as `user` (nullopt: anonymous) and its `connected`
// event names `channels` (when given).
inline std::string admitted(SseClient& s, const std::optional<std::string>& user,
                            const std::vector<std::string>& channels = {}) {
    if (s.status() != 200) return "refused: " + s.head().describe();
    if (!s.await_events(1, Deadline(kIoTimeout))) return "no connected event";
    auto j = Json::parse(s.events()[0].event.data);
    if (!j) return "connected data is not JSON";
    const Json& uid = (*j)["userId"];
    if (!user && !uid.is_null()) return "userId should be null: " + s.events()[0].event.data;
    if (user && uid.as_string() != *user)
        return "userId should be \"" + *user + "\": " + s.events()[0].event.data;
    if (!channels.empty()) {
        std::vector<std::string> got;
        for (const Json& c : (*j)["channels"].items())
            got.push_back(c.as_string());
        if (got != channels) return "channels: " + s.events()[0].event.data;
    }
    return {};
}

inline std::string stream_refusal(uint16_t port, const std::string& target, const Headers& h,
                                  int status, std::string_view code, std::string_view reason) {
    auto s = get(port, target, h);
    if (s->status() == 0) return "no answer: " + s->error();
    return refusal(s->head(), status, code, reason);
}

inline std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

inline std::string key_path(const DaemonProcess& d) {
    return d.data_dir() + "/stream-token.key";
}

}  // namespace ringcast::itest

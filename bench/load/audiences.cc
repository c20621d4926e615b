#include "audiences.h"

#include <fmt/format.h>

namespace ringcast::load {

namespace {

// The token of a POST /api/tokens reply: base64url and dots, never escaped.
bool token_of(const std::string& reply, std::string* token) {
    const std::string key = "\"token\":\"";
    size_t at = reply.find(key);
    if (at == std::string::npos) return false;
    at += key.size();
    size_t end = reply.find('"', at);
    if (end == std::string::npos || end == at) return false;
    token->assign(reply, at, end - at);
    return true;
}

bool post(const Endpoint& target, const std::string& path, const std::string& api_key,
          const std::string& body, int expected, uint32_t timeout_ms, std::string* reply,
          std::string* error) {
    int status = 0;
    if (!http_request(target, "POST", path, api_key, body, timeout_ms, &status, reply, error))
        return false;
    if (status != expected) {
        *error = fmt::format("--audiences: POST {} answered {}: {}", path, status,
                             reply->substr(0, 200));
        return false;
    }
    return true;
}

}  // namespace

bool prepare_audiences(const Endpoint& target, const std::string& api_key, unsigned audiences,
                       bool alerts, uint32_t timeout_ms, AudienceSetup* out, std::string* error) {
    out->tokens.clear();
    for (unsigned i = 0; i < audiences; ++i) {
        const std::string name = fmt::format("load-audience-{}", i);
        std::string reply;
        // A day: longer than any run, so that no stream ends with its token.
        if (!post(target, "/api/tokens", api_key,
                  fmt::format(R"({{"userId":"{}","roles":["{}"],"ttl":86400}})", name, name), 200,
                  timeout_ms, &reply, error))
            return false;
        std::string token;
        if (!token_of(reply, &token)) {
            *error =
                "--audiences: no token in the reply to POST /api/tokens: " + reply.substr(0, 200);
            return false;
        }
        out->tokens.push_back(std::move(token));
        if (!alerts) continue;
        if (!post(target, "/api/alerts", api_key,
                  fmt::format(R"({{"title":"For {}","message":"Seen by this audience only.",)"
                              R"("target":"role-based","targetRoles":["{}"]}})",
                              name, name),
                  201, timeout_ms, &reply, error))
            return false;
    }
    return true;
}

}  // namespace ringcast::load

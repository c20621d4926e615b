#include "ops/publish_gate.h"

#include <openssl/sha.h>

#include <algorithm>
#include <memory>

namespace ringcast {

namespace {

constexpr std::string_view kUserPrefix = "pubuser:";

using Done = std::function<void(PublishVerdict&)>;

void ask_users(Limiter& limiter, const PublishCheck& c, Done done) {
    std::vector<LimitAsk> asks;
    if (c.user_rule.active())
        for (const std::string& u : c.users)
            asks.push_back({std::string(kUserPrefix) + u, c.user_rule});
    limiter.acquire(std::move(asks), [users = c.users, active = c.user_rule.active(),
                                      done = std::move(done)](std::vector<LimitVerdict>& v) {
        PublishVerdict verdict;
        for (size_t i = 0; active && i < v.size(); ++i) {
            if (v[i].granted) continue;
            verdict.limited.push_back(users[i]);
            verdict.retry_after_ms = std::max(verdict.retry_after_ms, v[i].retry_after_ms);
        }
        done(verdict);
    });
}

}  // namespace

void check_publish(Limiter& limiter, PublishCheck check, Done done) {
    if (check.publisher_key.empty() || !check.publisher_rule.active()) {
        ask_users(limiter, check, std::move(done));
        return;
    }
    std::vector<LimitAsk> ask{{check.publisher_key, check.publisher_rule}};
    limiter.acquire(std::move(ask), [&limiter, check = std::move(check),
                                     done = std::move(done)](std::vector<LimitVerdict>& v) mutable {
        if (!v[0].granted) {
            PublishVerdict refused;
            refused.publisher_refused = true;
            refused.retry_after_ms = v[0].retry_after_ms;
            done(refused);
            return;
        }
        ask_users(limiter, check, std::move(done));
    });
}

std::string api_key_limit_key(std::string_view api_key) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(api_key.data()), api_key.size(), digest);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string key = "pubkey:";
    for (unsigned char b : digest) {
        key += kHex[b >> 4];
        key += kHex[b & 15];
    }
    return key;
}

}  // namespace ringcast

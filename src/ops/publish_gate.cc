#include "ops/publish_gate.h"

#include <openssl/sha.h>

#include <algorithm>

namespace ringcast {

namespace {

void finish(PublishCheck& c) {
    for (const LimitTicket& t : c.user_tickets) {
        if (t.granted) continue;
        c.limited.push_back(t.key.substr(sizeof("pubuser:") - 1));
        c.retry_after_ms = std::max(c.retry_after_ms, t.retry_after_ms);
    }
    c.done(c, c.ctx);
}

void on_user_answer(LimitTicket&, void* ctx) {
    auto& c = *static_cast<PublishCheck*>(ctx);
    if (--c.pending == 0) finish(c);
}

void ask_users(PublishCheck& c) {
    if (c.users.empty() || !c.user_rule.active()) {
        c.done(c, c.ctx);
        return;
    }
    // Sized once: the Limiter's messages point at these tickets.
    c.user_tickets.resize(c.users.size());
    c.pending = uint32_t(c.users.size()) + 1;  // +1: ours, so no answer finishes early
    for (size_t i = 0; i < c.users.size(); ++i) {
        LimitTicket& t = c.user_tickets[i];
        t.key = "pubuser:" + c.users[i];
        t.rule = c.user_rule;
        t.done = on_user_answer;
        t.ctx = &c;
        c.limiter->acquire(&t);
    }
    if (--c.pending == 0) finish(c);
}

void on_publisher_answer(LimitTicket& t, void* ctx) {
    auto& c = *static_cast<PublishCheck*>(ctx);
    if (!t.granted) {
        c.publisher_refused = true;
        c.retry_after_ms = t.retry_after_ms;
        c.done(c, c.ctx);
        return;
    }
    ask_users(c);
}

}  // namespace

void check_publish(Limiter& limiter, PublishCheck* c) {
    c->limiter = &limiter;
    if (!c->publisher_key.empty() && c->publisher_rule.active()) {
        c->publisher_ticket.key = c->publisher_key;
        c->publisher_ticket.rule = c->publisher_rule;
        c->publisher_ticket.done = on_publisher_answer;
        c->publisher_ticket.ctx = c;
        limiter.acquire(&c->publisher_ticket);
        return;
    }
    ask_users(*c);
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

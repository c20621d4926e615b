#pragma once
// The publish rate limits (publish.rate_limit, publish.user_rate_limit) asked of
// the Limiter for one message, on either publish path.
//
// The publisher's key is asked first; only if it is granted are the target
// users' keys asked (all at once), so a refused publish consumes no user's
// count. Both are window-only rules: a grant holds nothing, nothing is released.
// The users refused are reported in the order the message lists them; the
// caller removes them from the message before building the event.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/limiter.h"

namespace ringcast {

struct PublishCheck {
    // What to ask: an empty publisher key asks nothing about the publisher; an
    // inactive user rule (or no users) asks nothing about users.
    std::string publisher_key;  // "pubkey:<sha256 hex>", "pubtoken:<sub>", ...
    LimitRule publisher_rule;
    std::vector<std::string> users;  // distinct user ids (Message.target.users)
    LimitRule user_rule;
};

struct PublishVerdict {
    bool publisher_refused = false;
    std::vector<std::string> limited;  // users over their limit, in list order
    uint64_t retry_after_ms = 0;  // publisher refused: its window's end; else the latest user's
};

// Asks; `done` runs on this shard with the verdict, never inside check_publish().
void check_publish(Limiter& limiter, PublishCheck check,
                   std::function<void(PublishVerdict& verdict)> done);

// A window-only rule from a RateWindow-like pair; max 0: inactive.
inline LimitRule window_rule(uint64_t max, uint64_t window_ms) {
    return LimitRule{0, max, window_ms};
}

// "pubkey:" and the SHA-256 of an API key in hex: the key itself never sits in
// the limiter's table (nor in a log line that prints one).
std::string api_key_limit_key(std::string_view api_key);

}  // namespace ringcast

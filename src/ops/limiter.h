#pragma once
// Exact connection limits across shards (per IP on an endpoint, per user), without
// shared memory: every key has an owner shard (its hash modulo the shards) that
// holds its counters; a stream opening on any shard asks the owners with a shard
// call (core/shard_call.h) and waits for the answer, and tells them when the
// stream closes.
//
// A key's counters: streams open now (against `max_open`), and streams opened in
// the current fixed window (against `window_max`, the seeds' rateLimit
// {maxConnections, windowMs}). A refusal carries how long until a retry can
// succeed (Retry-After): the window's end, or a guess for a full open count.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/reactor.h"

namespace ringcast {

struct LimitRule {
    uint32_t max_open = 0;    // 0: no limit on open streams
    uint64_t window_max = 0;  // 0: no limit on new streams per window
    uint64_t window_ms = 0;
    bool active() const { return max_open || window_max; }
};

// One question: may `key` take one more under `rule`?
struct LimitAsk {
    std::string key;  // "ip:<address>@<endpoint>", "user:<id>", "pubkey:...", "pubuser:<id>"
    LimitRule rule;
};

struct LimitVerdict {
    bool granted = false;
    bool by_window = false;       // refused: the window was full (else: too many open)
    uint64_t retry_after_ms = 0;  // refused: when a retry may succeed
};

class Limiter {
public:
    // The verdicts, one per ask, in the order asked.
    using Answer = std::function<void(std::vector<LimitVerdict>& verdicts)>;

    explicit Limiter(Reactor& reactor) : _reactor(reactor) {}
    Limiter(const Limiter&) = delete;
    Limiter& operator=(const Limiter&) = delete;

    // Asks each key's owner; `done` runs on this shard once every owner has
    // answered, never inside acquire(). A grant under a rule with max_open holds
    // one open stream until release(key); a window-only rule holds nothing. A
    // caller that no longer wants a grant it got releases it.
    void acquire(std::vector<LimitAsk> asks, Answer done);
    void release(std::string key);

    // On the key's owner: counts one more if the rule allows it.
    LimitVerdict decide(const std::string& key, const LimitRule& rule);
    void release_here(const std::string& key);

    // Keys this shard owns (stats, tests).
    size_t keys() const { return _counters.size(); }

private:
    struct Counter {
        uint32_t open = 0;
        uint64_t window_start_ms = 0;
        uint64_t window_count = 0;
        uint64_t window_ms = 0;  // of the rule last applied
    };
    unsigned owner_of(const std::string& key) const;
    void sweep();  // drop idle keys whose window has passed

    Reactor& _reactor;
    std::unordered_map<std::string, Counter> _counters;
    size_t _sweep_at = 4096;  // sweep when the map grows past this
};

}  // namespace ringcast

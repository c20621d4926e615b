#pragma once
// Exact connection limits across shards (per IP on an endpoint, per user), without
// shared memory: every key has an owner shard (its hash modulo the shards) that
// holds its counters; a stream opening on any shard asks the owner by mesh message
// and waits for the answer, and tells it when the stream closes. A key the asking
// shard owns is answered on the spot.
//
// A key's counters: streams open now (against `max_open`), and streams opened in
// the current fixed window (against `window_max`, the seeds' rateLimit
// {maxConnections, windowMs}). A refusal carries how long until a retry can
// succeed (Retry-After): the window's end, or a guess for a full open count.
#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/mesh.h"
#include "core/reactor.h"

namespace ringcast {

enum LimiterMessage : uint16_t {
    kLimitAcquire = 20,  // asker -> owner: a = LimitTicket*
    kLimitAnswer = 21,   // owner -> asker: a = LimitTicket*
    kLimitRelease = 22,  // asker -> owner: a = std::string* (the key; the owner deletes it)
};

struct LimitRule {
    uint32_t max_open = 0;    // 0: no limit on open streams
    uint64_t window_max = 0;  // 0: no limit on new streams per window
    uint64_t window_ms = 0;
    bool active() const { return max_open || window_max; }
};

// One acquisition, alive on the asking shard until answered.
struct LimitTicket {
    std::string key;  // "ip:<address>@<endpoint>" or "user:<id>"
    LimitRule rule;
    bool granted = false;
    bool by_window = false;       // refused: the window was full (else: too many open)
    uint64_t retry_after_ms = 0;  // refused: when a retry may succeed
    void (*done)(LimitTicket& t, void* ctx) = nullptr;
    void* ctx = nullptr;  // cleared by the asker if it no longer waits (then the hold is released)
    void* owner = nullptr;
};

class Limiter {
public:
    explicit Limiter(Reactor& reactor) : _reactor(reactor) {}
    Limiter(const Limiter&) = delete;
    Limiter& operator=(const Limiter&) = delete;

    // Asks the key's owner; t->done runs on this shard with the answer (maybe
    // before this returns). A grant under a rule with max_open holds one open
    // stream until release(t->key); a window-only rule holds nothing.
    void acquire(LimitTicket* t);
    void release(const std::string& key);
    bool on_message(const MeshMsg& m);

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
    void decide(LimitTicket& t);  // on the owner
    void release_here(const std::string& key);
    void sweep();  // drop idle keys whose window has passed

    Reactor& _reactor;
    std::unordered_map<std::string, Counter> _counters;
    size_t _sweep_at = 4096;  // sweep when the map grows past this
};

}  // namespace ringcast

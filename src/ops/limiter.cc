#include "ops/limiter.h"

#include <algorithm>
#include <functional>
#include <memory>

#include "core/shard_gather.h"

namespace ringcast {

namespace {

// When an open-count refusal may clear: unknown (a stream must close), so a
// short, honest hint rather than the window's length.
constexpr uint64_t kOpenRetryMs = 5000;

struct Release final : ShardCall {
    std::string key;
    explicit Release(std::string k) : key(std::move(k)) {}
    bool run(Reactor& owner) override {
        owner.local<Limiter>().release_here(key);
        return true;
    }
};

}  // namespace

unsigned Limiter::owner_of(const std::string& key) const {
    return unsigned(std::hash<std::string>{}(key) % _reactor.shards());
}

void Limiter::acquire(std::vector<LimitAsk> asks, Answer done) {
    std::vector<ShardAsk<LimitVerdict>> questions;
    questions.reserve(asks.size());
    for (LimitAsk& a : asks)
        questions.push_back({owner_of(a.key), [a = std::move(a)](Reactor& owner) {
                                 return owner.local<Limiter>().decide(a.key, a.rule);
                             }});
    gather<LimitVerdict>(_reactor, std::move(questions), std::move(done));
}

void Limiter::release(std::string key) {
    const unsigned owner = owner_of(key);
    _reactor.post(owner, std::make_unique<Release>(std::move(key)));
}

LimitVerdict Limiter::decide(const std::string& key, const LimitRule& rule) {
    const uint64_t now = _reactor.now_ms();
    Counter& c = _counters[key];
    c.window_ms = rule.window_ms;
    if (rule.window_max && now >= c.window_start_ms + rule.window_ms) {
        c.window_start_ms = now;
        c.window_count = 0;
    }
    LimitVerdict v;
    if (rule.window_max && c.window_count >= rule.window_max) {
        v.by_window = true;
        v.retry_after_ms = c.window_start_ms + rule.window_ms - now;
    } else if (rule.max_open && c.open >= rule.max_open) {
        v.retry_after_ms = kOpenRetryMs;
    } else {
        v.granted = true;
        if (rule.max_open) ++c.open;  // held until release(): only open counts need one
        ++c.window_count;
    }
    if (_counters.size() > _sweep_at) sweep();
    return v;
}

void Limiter::release_here(const std::string& key) {
    auto it = _counters.find(key);
    if (it == _counters.end() || it->second.open == 0) return;
    --it->second.open;
    // Kept while its window still counts; sweep() drops it later.
}

void Limiter::sweep() {
    const uint64_t now = _reactor.now_ms();
    for (auto it = _counters.begin(); it != _counters.end();) {
        // Nothing open and its window over: the key can refuse nothing any more.
        bool idle =
            it->second.open == 0 && now >= it->second.window_start_ms + it->second.window_ms;
        it = idle ? _counters.erase(it) : std::next(it);
    }
    _sweep_at = std::max<size_t>(4096, _counters.size() * 2);
}

}  // namespace ringcast

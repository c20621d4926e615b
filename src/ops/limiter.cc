#include "ops/limiter.h"

#include <algorithm>
#include <functional>

namespace ringcast {

namespace {

// When an open-count refusal may clear: unknown (a stream must close), so a
// short, honest hint rather than the window's length.
constexpr uint64_t kOpenRetryMs = 5000;

}  // namespace

unsigned Limiter::owner_of(const std::string& key) const {
    return unsigned(std::hash<std::string>{}(key) % _reactor.shards());
}

void Limiter::acquire(LimitTicket* t) {
    unsigned owner = owner_of(t->key);
    if (owner == _reactor.id()) {
        decide(*t);
        t->done(*t, t->ctx);
        return;
    }
    _reactor.send(owner, MeshMsg{kLimitAcquire, 0, 0, to_word(t), 0});
}

void Limiter::release(const std::string& key) {
    unsigned owner = owner_of(key);
    if (owner == _reactor.id()) {
        release_here(key);
        return;
    }
    _reactor.send(owner, MeshMsg{kLimitRelease, 0, 0, to_word(new std::string(key)), 0});
}

void Limiter::decide(LimitTicket& t) {
    const uint64_t now = _reactor.now_ms();
    Counter& c = _counters[t.key];
    c.window_ms = t.rule.window_ms;
    if (t.rule.window_max && now >= c.window_start_ms + t.rule.window_ms) {
        c.window_start_ms = now;
        c.window_count = 0;
    }
    if (t.rule.window_max && c.window_count >= t.rule.window_max) {
        t.granted = false;
        t.by_window = true;
        t.retry_after_ms = c.window_start_ms + t.rule.window_ms - now;
    } else if (t.rule.max_open && c.open >= t.rule.max_open) {
        t.granted = false;
        t.by_window = false;
        t.retry_after_ms = kOpenRetryMs;
    } else {
        t.granted = true;
        if (t.rule.max_open) ++c.open;  // held until release(): only open counts need one
        ++c.window_count;
    }
    if (_counters.size() > _sweep_at) sweep();
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

bool Limiter::on_message(const MeshMsg& m) {
    switch (m.kind) {
        case kLimitAcquire: {
            auto* t = from_word<LimitTicket>(m.a);
            decide(*t);
            _reactor.send(m.from, MeshMsg{kLimitAnswer, 0, 0, m.a, 0});
            return true;
        }
        case kLimitAnswer: {
            auto* t = from_word<LimitTicket>(m.a);
            t->done(*t, t->ctx);
            return true;
        }
        case kLimitRelease: {
            auto* key = from_word<std::string>(m.a);
            release_here(*key);
            delete key;
            return true;
        }
        default: return false;
    }
}

}  // namespace ringcast

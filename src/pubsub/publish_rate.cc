#include "pubsub/publish_rate.h"

namespace ringcast {

void MinuteWindow::advance(uint64_t now_s) {
    if (now_s <= _last) return;  // the same second (the clock is monotonic)
    if (now_s - _last >= kSeconds) {
        _buckets.fill(0);
    } else {
        for (uint64_t s = _last + 1; s <= now_s; ++s)
            _buckets[s % kSeconds] = 0;
    }
    _last = now_s;
}

uint64_t MinuteWindow::sum(uint64_t now_s) {
    advance(now_s);
    uint64_t n = 0;
    for (uint32_t b : _buckets)
        n += b;
    return n;
}

void PublishRate::count(std::string_view channel, uint64_t now_ms) {
    const uint64_t now_s = now_ms / 1000;
    _total.add(now_s);
    auto it = _channels.find(channel);
    if (it == _channels.end()) {
        prune(now_s);
        if (_channels.size() >= kMaxChannels) return;  // counted in the total only
        it = _channels.emplace(std::string(channel), MinuteWindow{}).first;
    }
    it->second.add(now_s);
}

void PublishRate::prune(uint64_t now_s) {
    // Once a minute; once a second at most while full (a scan per publish to a
    // new channel would let a flood of channel names cost O(n) each).
    if (now_s == _pruned_s) return;
    if (now_s < _pruned_s + MinuteWindow::kSeconds && _channels.size() < kMaxChannels) return;
    _pruned_s = now_s;
    std::erase_if(_channels, [&](const auto& entry) { return entry.second.empty_at(now_s); });
}

}  // namespace ringcast

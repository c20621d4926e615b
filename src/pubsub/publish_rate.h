#pragma once
// Messages published per minute, in total and per channel, on one shard.
//
// The origin shard of every accepted publish counts it here (Hub::publish), so
// each publish is counted once, on the shard it arrived at; a stats request
// sums the shards (ops/stats). A rate is a sliding window of 60 one-second
// buckets, not a lifetime average: a minute after the last publish it reads 0.
//
// Counting is an array increment and, per channel, one hash lookup on the
// publishing shard; nothing is added to the fan-out. Channels are tracked while
// their window holds anything (emptied ones are forgotten once a minute), and
// at most kMaxChannels at once per shard: a publish to a further channel is
// still counted in the total, which is what the stats report as "other".
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ringcast {

// Counts of the last 60 seconds, one bucket per second of the monotonic clock.
class MinuteWindow {
public:
    static constexpr uint64_t kSeconds = 60;

    void add(uint64_t now_s, uint32_t n = 1) {
        advance(now_s);
        _buckets[now_s % kSeconds] += n;
        _newest = now_s;
    }
    // What was added in the 60 seconds up to and including now_s.
    uint64_t sum(uint64_t now_s);
    // Nothing left in the window at now_s.
    bool empty_at(uint64_t now_s) const { return now_s >= _newest + kSeconds; }

private:
    // Clears the buckets of the seconds between the last add and now_s.
    void advance(uint64_t now_s);

    std::array<uint32_t, kSeconds> _buckets{};
    uint64_t _last = 0;    // the second of the newest bucket
    uint64_t _newest = 0;  // the second of the last add
};

class PublishRate {
public:
    static constexpr size_t kMaxChannels = 16384;

    // One publish on `channel`, at now_ms on the monotonic clock.
    void count(std::string_view channel, uint64_t now_ms);

    // Messages in the last minute, all channels.
    uint64_t total(uint64_t now_ms) { return _total.sum(now_ms / 1000); }
    // f(name, messages in the last minute) for every tracked channel with any.
    template <typename F>
    void for_each_channel(uint64_t now_ms, F&& f) {
        const uint64_t now_s = now_ms / 1000;
        for (auto& [name, window] : _channels)
            if (uint64_t n = window.sum(now_s)) f(std::string_view(name), n);
    }
    size_t tracked_channels() const { return _channels.size(); }

private:
    // Forgets the channels whose window is empty (once a minute at most).
    void prune(uint64_t now_s);

    struct NameHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    MinuteWindow _total;
    std::unordered_map<std::string, MinuteWindow, NameHash, std::equal_to<>> _channels;
    uint64_t _pruned_s = 0;
};

}  // namespace ringcast

#include "pubsub/channel_index.h"

#include <cassert>

namespace ringcast {

ChannelIndex::~ChannelIndex() {
    for (auto& [key, ch] : _map)
        delete ch;
}

Channel* ChannelIndex::find(std::string_view name, uint64_t hash) const {
    auto it = _map.find(Key{name, hash});
    return it == _map.end() ? nullptr : it->second;
}

Channel* ChannelIndex::get_or_create(std::string_view name, uint64_t hash) {
    if (Channel* ch = find(name, hash)) return ch;
    auto* ch = new Channel;
    ch->name.assign(name);
    ch->hash = hash;
    _map.emplace(Key{ch->name, hash}, ch);  // the key views the channel's own string
    return ch;
}

void ChannelIndex::subscribe(Subscription& s, Channel& ch) {
    s.channel = &ch;
    s.index = uint32_t(ch.subscribers.size());
    if (ch.subscribers.empty() && ch.holds == 0 && _presence)
        _presence->channel_active(_shard, ch.hash);
    ch.subscribers.push_back(&s);
    ++_subscriptions;
}

void ChannelIndex::unsubscribe(Subscription& s) {
    Channel* ch = s.channel;
    if (!ch) return;
    if (s.index == Subscription::kHeld) {  // never subscribed; its hold is released elsewhere
        s.channel = nullptr;
        return;
    }
    auto& subs = ch->subscribers;
    assert(s.index < subs.size() && subs[s.index] == &s);
    Subscription* last = subs.back();
    subs[s.index] = last;
    last->index = s.index;
    subs.pop_back();
    s.channel = nullptr;
    --_subscriptions;
    if (subs.empty() && ch->holds == 0 && _presence) _presence->channel_idle(_shard, ch->hash);
    maybe_erase(*ch);
}

void ChannelIndex::hold(Channel& ch) {
    if (ch.subscribers.empty() && ch.holds == 0 && _presence)
        _presence->channel_active(_shard, ch.hash);
    ++ch.holds;
}

void ChannelIndex::release(Channel& ch) {
    assert(ch.holds > 0);
    --ch.holds;
    if (ch.subscribers.empty() && ch.holds == 0 && _presence)
        _presence->channel_idle(_shard, ch.hash);
    maybe_erase(ch);
}

void ChannelIndex::maybe_erase(Channel& ch) {
    if (!ch.subscribers.empty() || ch.holds) return;
    _map.erase(Key{ch.name, ch.hash});
    delete &ch;
}

}  // namespace ringcast

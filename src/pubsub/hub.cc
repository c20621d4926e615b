#include "pubsub/hub.h"

#include "core/clock.h"
#include "pubsub/event_id.h"
#include "pubsub/recipients.h"

namespace ringcast {

Hub::Hub(Reactor& reactor, Transport& transport, ChannelIndex& index, const Audience& audience,
         const ChannelPresence& presence, const HistoryLimits& history, std::string epoch)
    : _reactor(reactor)
    , _transport(transport)
    , _index(index)
    , _audience(audience)
    , _presence(presence)
    , _history(history)
    , _epoch(std::move(epoch)) {}

void Hub::publish(Event* e, PublishTicket* t) {
    ++_stats.published;
    if (t) {
        t->pending = _reactor.shards();
        t->event = e;
        e->retain();  // the ticket's reference; the other one travels with the event
    }
    if (is_log()) {
        sequence_and_broadcast(e, t, _reactor.id());
    } else {
        _reactor.send(log_shard(_reactor.shards()),
                      MeshMsg{kHubForward, 0, _reactor.id(), to_word(e), to_word(t)});
    }
}

void Hub::sequence_and_broadcast(Event* e, PublishTicket* t, unsigned origin) {
    e->assign_sequence(_next_sequence++, _epoch);
    ++_stats.sequenced;
    const int64_t now = wall_ms();
    if (!e->expired(now)) _history.append(e, now);

    const unsigned shards = _reactor.shards(), self = _reactor.id();
    const Channel* ch = _index.find(e->channel(), e->channel_hash());
    bool local = ch && !ch->subscribers.empty();
    unsigned remote = 0;
    for (unsigned s = 0; s < shards; ++s)
        if (s != self && _presence.maybe_subscribed(s, e->channel_hash())) ++remote;
    unsigned receivers = remote + (local ? 1 : 0);
    unsigned skipped = shards - receivers;
    _stats.skipped += skipped;
    if (skipped > 0) report(t, origin, 0, 0, skipped);
    if (receivers == 0) {
        e->release();
        return;
    }
    // One reference per receiving shard; we hold one already.
    if (receivers > 1) e->retain(receivers - 1);
    for (unsigned s = 0; s < shards && remote > 0; ++s)
        if (s != self && _presence.maybe_subscribed(s, e->channel_hash())) {
            _reactor.send(s, MeshMsg{kHubDeliver, 0, origin, to_word(e), to_word(t)});
            --remote;
        }
    if (local) deliver_local(e, t, origin);
}

void Hub::deliver_local(Event* e, PublishTicket* t, unsigned origin) {
    LocalFramePool& frames = _reactor.frames();
    uint64_t sent = 0, failed = 0;
    Channel* ch = _index.find(e->channel(), e->channel_hash());
    if (e->expired(wall_ms())) {
        ++_stats.expired;  // never delivered, from any queue (B7)
        e->release();
        report(t, origin, 0, 0, 1);
        return;
    }
    LocalFrame* lf = frames.wrap(e);  // takes this shard's reference
    if (ch) {
        ++ch->events;
        for_each_recipient(*e, *ch, _audience, [&](Connection& c) {
            ++*(_transport.enqueue(c, lf) ? &sent : &failed);
        });
        ch->deliveries += sent;
    }
    frames.drop_if_unused(lf);
    ++_stats.delivered;
    _stats.deliveries += sent;
    _stats.failures += failed;
    report(t, origin, sent, failed, 1);
}

void Hub::report(PublishTicket* t, unsigned origin, uint64_t sent, uint64_t failed,
                 uint32_t shards) {
    if (!t) return;  // fire-and-forget: nobody is waiting
    if (origin == _reactor.id()) {
        complete(t, sent, failed, shards);
    } else {
        _reactor.send(origin, MeshMsg{kHubResult, 0, uint32_t(sent), to_word(t),
                                      (failed & 0xffffffffu) | (uint64_t(shards) << 32)});
    }
}

void Hub::complete(PublishTicket* t, uint64_t sent, uint64_t failed, uint32_t shards) {
    t->sent += sent;
    t->failed += failed;
    t->pending -= shards;
    if (t->pending > 0) return;
    if (t->done) t->done(*t, t->ctx);
    t->event->release();
    delete t;
}

void Hub::replay(ReplayRequest* r) {
    if (is_log()) {
        answer_replay(*r);
        r->done(*r, r->ctx);
    } else {
        _reactor.send(log_shard(_reactor.shards()), MeshMsg{kHubReplay, 0, _reactor.id(), to_word(r), 0});
    }
}

void Hub::answer_replay(ReplayRequest& r) {
    const uint64_t high = _next_sequence - 1;
    if (high > 0) r.high_id = format_event_id(_epoch, high);
    std::optional<uint64_t> after = parse_event_id(r.last_id, _epoch);
    if (!after) after = _history.sequence_of(r.last_id);  // a publisher's own id
    if (!after || *after > high) {
        r.gap = true;  // not an id of this numbering that we know of
        return;
    }
    History::Replay out;
    _history.replay(r.channels, *after, wall_ms(), &out);
    r.events = std::move(out.events);
    r.gap = out.gap;
}

bool Hub::on_message(const MeshMsg& m) {
    switch (m.kind) {
        case kHubForward:
            sequence_and_broadcast(from_word<Event>(m.a), from_word<PublishTicket>(m.b), m.arg);
            return true;
        case kHubDeliver:
            deliver_local(from_word<Event>(m.a), from_word<PublishTicket>(m.b), m.arg);
            return true;
        case kHubResult:
            complete(from_word<PublishTicket>(m.a), m.arg, m.b & 0xffffffffu, uint32_t(m.b >> 32));
            return true;
        case kHubReplay: {
            auto* r = from_word<ReplayRequest>(m.a);
            answer_replay(*r);
            _reactor.send(m.arg, MeshMsg{kHubReplayDone, 0, 0, to_word(r), 0});
            return true;
        }
        case kHubReplayDone: {
            auto* r = from_word<ReplayRequest>(m.a);
            r->done(*r, r->ctx);
            return true;
        }
        default: return false;
    }
}

}  // namespace ringcast

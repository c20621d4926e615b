#include "pubsub/hub.h"

namespace ringcast {

namespace {

template <typename T>
uint64_t ptr(T* p) {
    return uint64_t(reinterpret_cast<uintptr_t>(p));
}
template <typename T>
T* as(uint64_t v) {
    return reinterpret_cast<T*>(uintptr_t(v));
}

}  // namespace

Hub::Hub(Reactor& reactor, Transport& transport, ChannelIndex& index)
    : _reactor(reactor), _transport(transport), _index(index) {}

void Hub::publish(Event* e, PublishTicket* t) {
    ++_stats.published;
    t->pending = _reactor.shards();
    t->event = e;
    e->retain();  // the ticket's reference; the other one travels with the event
    unsigned owner = channel_owner(e->channel_hash(), _reactor.shards());
    if (owner == _reactor.id()) {
        sequence_and_broadcast(e, t, _reactor.id());
    } else {
        _reactor.send(owner, MeshMsg{kHubForward, 0, _reactor.id(), ptr(e), ptr(t)});
    }
}

void Hub::sequence_and_broadcast(Event* e, PublishTicket* t, unsigned origin) {
    Channel* ch = _index.get_or_create(e->channel(), e->channel_hash());
    ch->owned = true;
    e->assign_sequence(ch->next_sequence++);
    ++_stats.sequenced;
    unsigned shards = _reactor.shards();
    // One reference per shard; we hold one already.
    if (shards > 1) e->retain(shards - 1);
    for (unsigned s = 0; s < shards; ++s)
        if (s != _reactor.id()) _reactor.send(s, MeshMsg{kHubDeliver, 0, origin, ptr(e), ptr(t)});
    deliver_local(e, t, origin);
}

void Hub::deliver_local(Event* e, PublishTicket* t, unsigned origin) {
    LocalFramePool& frames = _reactor.frames();
    LocalFrame* lf = frames.wrap(e);  // takes this shard's reference
    uint64_t sent = 0, failed = 0;
    if (Channel* ch = _index.find(e->channel(), e->channel_hash())) {
        ++ch->events;
        // enqueue() never unsubscribes synchronously (closes are deferred to the
        // end of the turn), so the array is stable while we walk it.
        for (Subscription* s : ch->subscribers) {
            if (_transport.enqueue(*s->connection, lf)) {
                ++sent;
            } else {
                ++failed;
            }
        }
        ch->deliveries += sent;
    }
    frames.drop_if_unused(lf);
    ++_stats.delivered;
    _stats.deliveries += sent;
    _stats.failures += failed;
    report(t, origin, sent, failed);
}

void Hub::report(PublishTicket* t, unsigned origin, uint64_t sent, uint64_t failed) {
    if (origin == _reactor.id()) {
        complete(t, sent, failed);
    } else {
        _reactor.send(origin, MeshMsg{kHubResult, 0, uint32_t(sent), ptr(t), failed});
    }
}

void Hub::complete(PublishTicket* t, uint64_t sent, uint64_t failed) {
    t->sent += sent;
    t->failed += failed;
    if (--t->pending > 0) return;
    if (t->done) t->done(*t, t->ctx);
    t->event->release();
    delete t;
}

bool Hub::on_message(const MeshMsg& m) {
    switch (m.kind) {
        case kHubForward:
            sequence_and_broadcast(as<Event>(m.a), as<PublishTicket>(m.b), m.arg);
            return true;
        case kHubDeliver: deliver_local(as<Event>(m.a), as<PublishTicket>(m.b), m.arg); return true;
        case kHubResult: complete(as<PublishTicket>(m.a), m.arg, m.b); return true;
        default: return false;
    }
}

}  // namespace ringcast

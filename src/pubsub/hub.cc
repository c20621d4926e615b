#include "pubsub/hub.h"

#include <algorithm>

#include "core/clock.h"
#include "pubsub/recipients.h"

namespace ringcast {

namespace {

// Mail handed to a stream that went away, handed back to the log (one way).
struct MailBack final : ShardCall {
    std::string user;
    std::vector<Event*> events;  // one reference each
    bool run(Reactor& log) override {
        log.local<Hub>().take_back(user, events);
        return true;
    }
};

// Cache invalidation, asked of the log (which, in a cluster, asks every node).
struct Invalidate final : ShardCall {
    CacheInvalidation what;
    InvalidateResult result;
    InvalidateDone done;
    bool run(Reactor& log) override {
        Hub& hub = log.local<Hub>();
        if (ExternalOrder* order = hub.order()) {
            order->invalidate(std::move(what), [this, &log](InvalidateResult& r) {
                result = std::move(r);
                log.answer(this);
            });
            return false;
        }
        result.removed = hub.invalidate_here(what);
        return true;
    }
    void complete() override { done(result); }
};

}  // namespace

Hub::Hub(Reactor& reactor, Transport& transport, ChannelIndex& index, const Audience& audience,
         const ChannelPresence& presence, EventLog* log)
    : _reactor(reactor)
    , _transport(transport)
    , _index(index)
    , _audience(audience)
    , _presence(presence)
    , _log(log) {}

void Hub::publish(Event* e, PublishTicket* t) {
    ++_stats.published;
    _rate.count(e->channel(), _reactor.now_ms());
    if (t) {
        t->pending = _reactor.shards() + (_clustered ? 1 : 0);
        t->event = e;
        e->retain();  // the ticket's reference; the other one travels with the event
        _reactor.awaiting(+1);
    }
    if (is_log()) {
        sequence_and_broadcast(e, t, _reactor.id());
    } else {
        _reactor.send(log_shard(_reactor.shards()), MeshMsg{uint16_t(MeshKind::hub_forward), 0,
                                                            _reactor.id(), to_word(e), to_word(t)});
    }
}

void Hub::sequence_and_broadcast(Event* e, PublishTicket* t, unsigned origin) {
    if (_order) {
        _order->submit(e, t, origin);
        return;
    }
    const int64_t now = wall_ms();
    broadcast(e, t, origin, _log->number(e, now), now);
}

void Hub::track(Event* e, PublishTicket* t) {
    t->pending = _reactor.shards();
    t->event = e;
    e->retain();
    _reactor.awaiting(+1);
}

void Hub::deliver_numbered(Event* e, PublishTicket* t, unsigned origin) {
    const int64_t now = wall_ms();
    broadcast(e, t, origin, _log->keep_numbered(e, now), now);
}

void Hub::broadcast(Event* e, PublishTicket* t, unsigned origin, bool track_mail, int64_t now) {
    if (track_mail) e->set_mail_tracked();
    ++_stats.sequenced;

    const unsigned shards = _reactor.shards(), self = _reactor.id();
    const Channel* ch = _index.find(e->channel(), e->channel_hash());
    bool local = ch && (!ch->subscribers.empty() || ch->holds > 0);
    // Presence is read once: other shards flip their bits while we look, and
    // the shards counted as receivers must be exactly the ones sent the event,
    // or its ticket (and its mail) would wait for a report that never comes.
    std::vector<unsigned>& targets = _targets;
    targets.clear();
    for (unsigned s = 0; s < shards; ++s)
        if (s != self && _presence.maybe_subscribed(s, e->channel_hash())) targets.push_back(s);
    const unsigned receivers = unsigned(targets.size()) + (local ? 1 : 0);
    const unsigned skipped = shards - receivers;
    _stats.skipped += skipped;
    if (track_mail) _log->retry_awaiting(e, receivers, now);
    if (skipped > 0) report(t, origin, 0, 0, skipped);
    if (receivers == 0) {
        e->release();
        return;
    }
    // One reference per receiving shard; we hold one already.
    if (receivers > 1) e->retain(receivers - 1);
    for (unsigned s : targets)
        _reactor.send(s,
                      MeshMsg{uint16_t(MeshKind::hub_deliver), 0, origin, to_word(e), to_word(t)});
    if (local) deliver_local(e, t, origin);
}

void Hub::deliver_local(Event* e, PublishTicket* t, unsigned origin) {
    LocalFramePool& frames = _reactor.frames();
    uint64_t sent = 0, failed = 0;
    UserBits* reached = nullptr;
    const bool tracked = e->mail_tracked();  // read now: e may be freed below
    Channel* ch = _index.find(e->channel(), e->channel_hash());
    if (e->expired(wall_ms())) {
        ++_stats.expired;            // expired: never delivered, from any queue
        if (!tracked) e->release();  // else this reference travels with the report
    } else {
        if (tracked) e->retain();         // for the report
        LocalFrame* lf = frames.wrap(e);  // takes this shard's reference
        if (ch) fan_out(e, *ch, lf, &sent, &failed, &reached);
        if (sent && e->accepted_ns()) _queued_at.push_back(e->accepted_ns());
        frames.drop_if_unused(lf);
        ++_stats.delivered;
    }
    _stats.deliveries += sent;
    _stats.failures += failed;
    if (tracked) {
        if (is_log()) {
            this->reached(e, reached);
        } else {
            _reactor.send(log_shard(_reactor.shards()), MeshMsg{uint16_t(MeshKind::hub_reached), 0,
                                                                0, to_word(e), to_word(reached)});
        }
    }
    report(t, origin, sent, failed, 1);
}

void Hub::fan_out(Event* e, Channel& ch, LocalFrame* lf, uint64_t* sent, uint64_t* failed,
                  UserBits** reached) {
    ++ch.events;
    uint64_t n = 0, bad = 0;
    if (e->mail_tracked()) {
        // As for_each_recipient, keeping track of whom it reached.
        const ResolvedTarget target = _audience.resolve(e->target());
        for_each_target_user_stream(target, ch, _audience, [&](Connection& c, size_t user) {
            if (_transport.enqueue(c, lf)) {
                ++n;
                set_user_bit(reached, target.users.size(), user);
            } else {
                ++bad;
            }
        });
        if (!ch.waiting.empty()) n += buffer_for_waiters(e, ch, &target, reached);
    } else {
        for_each_recipient(*e, ch, _audience,
                           [&](Connection& c) { ++*(_transport.enqueue(c, lf) ? &n : &bad); });
        if (!ch.waiting.empty()) {
            if (e->for_everyone()) {
                n += buffer_for_waiters(e, ch, nullptr, reached);
            } else {
                const ResolvedTarget target = _audience.resolve(e->target());
                n += buffer_for_waiters(e, ch, &target, reached);
            }
        }
    }
    ch.deliveries += n;
    *sent += n;
    *failed += bad;
}

uint64_t Hub::buffer_for_waiters(Event* e, Channel& ch, const ResolvedTarget* target,
                                 UserBits** reached) {
    uint64_t n = 0;
    for (CatchUpWaiter* w : ch.waiting) {
        // A stream that closed while it waited takes nothing (its member is gone).
        if (!_transport.find(w->stream) || (target && !matches(*target, *w->member->who))) continue;
        e->retain();
        w->buffered.push_back(e);
        ++n;
        if (!e->mail_tracked()) continue;
        // It matched a user-specific target: its user is one of the targets.
        size_t i = 0;
        target->users.for_each([&](std::string_view u) {
            if (u == w->member->who->user) set_user_bit(reached, target->users.size(), i);
            ++i;
        });
    }
    _stats.buffered += n;
    return n;
}

void Hub::report(PublishTicket* t, unsigned origin, uint64_t sent, uint64_t failed,
                 uint32_t shards) {
    if (!t) return;  // fire-and-forget: nobody is waiting
    if (origin == _reactor.id()) {
        complete(t, sent, failed, shards);
    } else {
        _reactor.send(origin, MeshMsg{uint16_t(MeshKind::hub_result), 0, uint32_t(sent), to_word(t),
                                      (failed & 0xffffffffu) | (uint64_t(shards) << 32)});
    }
}

void Hub::complete(PublishTicket* t, uint64_t sent, uint64_t failed, uint32_t shards) {
    t->sent += sent;
    t->failed += failed;
    t->pending -= shards;
    if (t->pending > 0) return;
    _reactor.awaiting(-1);
    std::unique_ptr<PublishTicket> owned(t);
    t->complete();
    t->event->release();
}

// --- catch-up, the stream's side ---------------------------------------------

void Hub::catch_up(std::unique_ptr<CatchUpWaiter> w) {
    for (Channel* ch : w->channels_held)
        ch->waiting.push_back(w.get());
    w->asker = uint16_t(_reactor.id());
    w->hub = this;
    _reactor.call(log_shard(_reactor.shards()), std::move(w));
}

bool CatchUpWaiter::run(Reactor& log) {
    return log.local<Hub>().answer_catch_up(*this);
}

void CatchUpWaiter::complete() {
    hub->finish_catch_up(*this);
    listener->on_catch_up_answer(*this);
}

void Hub::finish_catch_up(CatchUpWaiter& w) {
    for (Channel* ch : w.channels_held) {
        auto it = std::find(ch->waiting.begin(), ch->waiting.end(), &w);
        if (it != ch->waiting.end()) {
            *it = ch->waiting.back();
            ch->waiting.pop_back();
        }
    }
}

void Hub::abandon(CatchUpWaiter& w) {
    // What it was handed from the mailbox goes back: it reached nobody. What it
    // took in live meanwhile is like what a closing stream had queued: the log
    // counted it as reached, and a client that comes back with Last-Event-ID
    // gets it from history.
    if (!w.mail.empty()) {
        auto back = std::make_unique<MailBack>();
        back->user = w.user;
        back->events = w.mail;
        for (Event* e : back->events)
            e->retain();
        _reactor.post(log_shard(_reactor.shards()), std::move(back));
    }
    for (Event* e : w.events)
        e->release();
    for (Event* e : w.buffered)
        e->release();
    w.events.clear();
    w.mail.clear();
    w.buffered.clear();
}

// --- the log's side -----------------------------------------------------------

bool Hub::answer_catch_up(CatchUp& r) {
    return _log->answer(r, wall_ms());
    // false: waits for its user's pending mail (reached() or expire() answers it)
}

void Hub::answer_waiting(std::vector<CatchUp*> ready) {
    for (CatchUp* r : ready) {
        if (_log->answer(*r, wall_ms())) _reactor.answer(static_cast<CatchUpWaiter*>(r));
    }
}

void Hub::reached(Event* e, UserBits* bits) {
    static const UserBits kNobody;
    answer_waiting(_log->retry_result(e, bits ? *bits : kNobody, wall_ms()));
    delete bits;
    e->release();
}

void Hub::invalidate(CacheInvalidation what, InvalidateDone done) {
    auto call = std::make_unique<Invalidate>();
    call->what = std::move(what);
    call->done = std::move(done);
    _reactor.call(log_shard(_reactor.shards()), std::move(call));
}

uint64_t Hub::invalidate_here(const CacheInvalidation& what) {
    return _log->invalidate(what);
}

void Hub::take_back(const std::string& user, std::vector<Event*>& events) {
    _log->take_back(user, events, wall_ms());
    for (Event* e : events)
        e->release();
    events.clear();
}

void Hub::expire(int64_t now_wall_ms) {
    if (!_log) return;
    answer_waiting(_log->expire(now_wall_ms));
}

bool Hub::on_message(const MeshMsg& m) {
    switch (MeshKind(m.kind)) {
        case MeshKind::hub_forward:
            sequence_and_broadcast(from_word<Event>(m.a), from_word<PublishTicket>(m.b), m.arg);
            return true;
        case MeshKind::hub_deliver:
            deliver_local(from_word<Event>(m.a), from_word<PublishTicket>(m.b), m.arg);
            return true;
        case MeshKind::hub_result:
            complete(from_word<PublishTicket>(m.a), m.arg, m.b & 0xffffffffu, uint32_t(m.b >> 32));
            return true;
        case MeshKind::hub_reached:
            reached(from_word<Event>(m.a), from_word<UserBits>(m.b));
            return true;
        default: return false;
    }
}

}  // namespace ringcast

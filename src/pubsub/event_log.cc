#include "pubsub/event_log.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "pubsub/event_id.h"

namespace ringcast {

namespace {

bool is_user_specific(const Event& e) {
    return e.target().kind == Target::Kind::users;
}

}  // namespace

EventLog::EventLog(const EventLogOptions& opts, std::string epoch, uint64_t next_sequence,
                   Journal* journal)
    : _epoch(std::move(epoch))
    , _next(next_sequence)
    , _journal(journal)
    , _history(opts.history, journal)
    , _cache(opts.cache, Keep::cache, journal)
    , _mail(opts.mailbox, Keep::mailbox, journal) {}

EventLog::~EventLog() {
    for (auto& [e, p] : _pending)
        e->release();
}

bool EventLog::number(Event* e, int64_t now_wall_ms) {
    e->assign_sequence(_next, _epoch);
    return keep_numbered(e, now_wall_ms);
}

void EventLog::renumber(std::string epoch, uint64_t last_sequence, uint64_t floor) {
    if (epoch != _epoch) {
        auto everything = [](const Event&) { return true; };
        _history.log().remove_if({}, everything);
        _cache.remove_if({}, everything);
        _mail.remove_if({}, everything);
        _history.log().reset_floor();
        _epoch = std::move(epoch);
    }
    _next = last_sequence + 1;
    _history.log().restore_floor(floor);
}

bool EventLog::keep_numbered(Event* e, int64_t now_wall_ms) {
    const uint64_t seq = e->sequence();
    if (seq >= _next) _next = seq + 1;
    ++_stats.numbered;
    if (_journal) _journal->numbered(seq);
    if (e->expired(now_wall_ms)) return false;  // delivered to nobody, kept nowhere
    _history.append(e, now_wall_ms);
    if (e->persistent()) _cache.append(e->channel(), e, now_wall_ms);
    if (!e->retryable() || !_mail.enabled() || !is_user_specific(*e)) return false;
    e->retain();  // the pending record's
    _pending.emplace(e, Pending{0, {}, now_wall_ms});
    e->target().users.for_each([&](std::string_view user) { ++_pending_users[std::string(user)]; });
    return true;
}

void EventLog::retry_awaiting(Event* e, unsigned shards, int64_t now_wall_ms) {
    auto it = _pending.find(e);
    if (it == _pending.end()) return;
    it->second.awaiting = shards;
    if (shards == 0) {
        std::vector<CatchUp*> none;  // nobody can be waiting: the event was just numbered
        resolve(e, it->second, now_wall_ms, &none);
    }
}

std::vector<CatchUp*> EventLog::retry_result(Event* e, const UserBits& reached,
                                             int64_t now_wall_ms) {
    std::vector<CatchUp*> ready;
    auto it = _pending.find(e);
    if (it == _pending.end()) return ready;
    Pending& p = it->second;
    if (p.reached.size() < reached.size()) p.reached.resize(reached.size());
    for (size_t i = 0; i < reached.size(); ++i)
        p.reached[i] |= reached[i];
    if (p.awaiting > 0 && --p.awaiting == 0) resolve(e, p, now_wall_ms, &ready);
    return ready;
}

// Every shard has reported: the users nobody reached get the event as mail.
void EventLog::resolve(Event* e, Pending& p, int64_t now_wall_ms, std::vector<CatchUp*>* ready) {
    const TargetView target = e->target();
    size_t i = 0;
    target.users.for_each([&](std::string_view user) {
        // An excluded user could never receive it; nobody is mailed it twice
        // (the parser removed duplicate names).
        if (!user_bit(p.reached, i) && !target.exclude.contains(user) &&
            _mail.append(user, e, now_wall_ms))
            ++_stats.mailed;
        auto it = _pending_users.find(user);
        if (it != _pending_users.end() && --it->second == 0) {
            _pending_users.erase(it);
            auto w = _waiting.find(user);
            if (w != _waiting.end()) {
                ready->insert(ready->end(), w->second.begin(), w->second.end());
                _waiting.erase(w);
            }
        }
        ++i;
    });
    _pending.erase(e);
    e->release();
}

bool EventLog::answer(CatchUp& r, int64_t now_wall_ms) {
    if (!r.user.empty() && _pending_users.count(r.user)) {
        _waiting[r.user].push_back(&r);
        ++_stats.deferred;
        return false;
    }
    ++_stats.catch_ups;
    const uint64_t high = _next - 1;
    r.high_id = high ? format_event_id(_epoch, high) : std::string();
    r.high_sequence = high;
    if (r.last_id) {
        std::optional<uint64_t> after = parse_event_id(*r.last_id, _epoch);
        if (!after) after = _history.sequence_of(*r.last_id);  // a publisher's own id
        if (!after || *after > high) {
            r.gap = true;  // not an id of this numbering that we know of: a new stream
        } else {
            r.resume = true;
            r.after = *after;
            History::Replay out;
            _history.replay(r.channels, r.after, now_wall_ms, &out);
            r.events = std::move(out.events);
            // Without history nothing after the id was kept: whether any of it
            // was on these channels is unknown, so it is a gap unless nothing
            // at all was numbered since.
            r.gap = out.gap || (!_history.enabled() && r.after < high);
        }
    }
    for (const std::string& ch : r.channels)
        _cache.for_each_after(ch, r.resume ? r.after : 0, [&](Event* e) {
            if (e->expired(now_wall_ms)) return;
            e->retain();
            r.events.push_back(e);
        });
    if (!r.user.empty()) {
        auto on_channels = [&](const Event& e) {
            return std::find(r.channels.begin(), r.channels.end(), e.channel()) != r.channels.end();
        };
        for (Event* e : _mail.take_if(r.user, on_channels)) {
            if (e->expired(now_wall_ms)) {
                e->release();
                continue;
            }
            r.events.push_back(e);
            r.mail.push_back(e);
            ++_stats.mail_delivered;
        }
    }
    // One sorted list; an event found in several keeps is one event.
    std::sort(r.events.begin(), r.events.end(),
              [](const Event* a, const Event* b) { return a->sequence() < b->sequence(); });
    size_t out = 0;
    for (size_t i = 0; i < r.events.size(); ++i) {
        if (out > 0 && r.events[out - 1] == r.events[i]) {
            r.events[i]->release();
            continue;
        }
        r.events[out++] = r.events[i];
    }
    r.events.resize(out);
    return true;
}

void EventLog::take_back(std::string_view user, const std::vector<Event*>& mail,
                         int64_t now_wall_ms) {
    for (Event* e : mail)
        if (_mail.append(user, e, now_wall_ms)) ++_stats.mail_returned;
}

size_t EventLog::invalidate(const CacheInvalidation& what) {
    const std::vector<std::string>& channels = what.channels;
    const std::vector<std::string>& users = what.users;
    auto pred = [&](const Event& e) {
        if (users.empty()) return true;
        const TargetView t = e.target();
        if (t.kind != Target::Kind::users) return false;
        for (const std::string& u : users)
            if (t.users.contains(u)) return true;
        return false;
    };
    size_t n = 0;
    if (channels.empty()) {
        n = _cache.remove_if({}, pred);
    } else {
        for (const std::string& ch : channels)
            n += _cache.remove_if(ch, pred);
    }
    _stats.invalidated += n;
    return n;
}

std::vector<CatchUp*> EventLog::expire(int64_t now_wall_ms) {
    _history.expire(now_wall_ms);
    _cache.expire(now_wall_ms);
    _mail.expire(now_wall_ms);
    std::vector<CatchUp*> ready;
    std::vector<Event*> late;
    for (auto& [e, p] : _pending)
        if (now_wall_ms - p.since_ms > kMailDecisionMs) late.push_back(e);
    for (Event* e : late) {
        spdlog::error(
            "event {}: {} shard(s) did not report whom they reached within {} ms; its "
            "mail is decided without them",
            e->id(), _pending[e].awaiting, kMailDecisionMs);
        resolve(e, _pending[e], now_wall_ms, &ready);
    }
    return ready;
}

// What a keep does not take back (past its age or ttl now, or beyond bounds
// that were lowered) is dropped from the store too (journal.h).
void EventLog::restore(Event* e, bool in_history, bool in_cache,
                       const std::vector<std::string>& users, int64_t now_wall_ms) {
    if (in_history && !_history.restore(e, now_wall_ms) && _journal)
        _journal->dropped(*e, Keep::history, {});
    if (in_cache && !_cache.restore(e->channel(), e, now_wall_ms) && _journal)
        _journal->dropped(*e, Keep::cache, {});
    for (const std::string& u : users)
        if (!_mail.restore(u, e, now_wall_ms) && _journal) _journal->dropped(*e, Keep::mailbox, u);
}

}  // namespace ringcast

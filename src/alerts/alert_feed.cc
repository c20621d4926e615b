#include "alerts/alert_feed.h"

#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "alerts/alert_json.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "pubsub/catch_up.h"
#include "pubsub/channel_name.h"
#include "pubsub/sse_format.h"
#include "pubsub/target.h"

namespace ringcast {

// One alert's targeting, resolved against this shard's audience. The blob holds
// the names the resolved lists point into, so it never moves.
struct AlertFeed::Resolved {
    std::unique_ptr<char[]> blob;
    ResolvedTarget target;
};

namespace {

// A list's identity: its alert ids and versions, as bytes (a map key).
std::string list_key(const std::vector<const Alert*>& list) {
    std::string key;
    key.reserve(list.size() * 16);
    for (const Alert* a : list) {
        key.append(reinterpret_cast<const char*>(&a->id), sizeof a->id);
        key.append(reinterpret_cast<const char*>(&a->version), sizeof a->version);
    }
    return key;
}

}  // namespace

AlertFeed::AlertFeed(Reactor& reactor, Transport& transport, ChannelIndex& index,
                     Audience& audience, const AlertOptions& opts, AlertSnapshot loaded)
    : _reactor(reactor)
    , _transport(transport)
    , _index(index)
    , _audience(audience)
    , _opts(opts)
    , _channel_hash(channel_hash(opts.channel))
    , _set(loaded ? std::move(loaded) : std::make_shared<const AlertSet>()) {
    resolve_all();
    _evaluated_ms = wall_ms();
    schedule();
}

AlertFeed::~AlertFeed() {
    _reactor.timers().cancel(&_timer);
    forget_first_frames();
}

LocalFrame* AlertFeed::first_frame(const Identity& who) {
    std::vector<const Alert*> list = list_for(who, wall_ms());
    auto [it, fresh] = _first.try_emplace(list_key(list), nullptr);
    if (fresh) {
        LocalFramePool& frames = _reactor.frames();
        it->second =
            frames.wrap(SharedFrame::copy_of(sse_event({}, "alerts", alert_list_json(list))));
        frames.add_user(it->second);
    }
    return it->second;
}

void AlertFeed::forget_first_frames() {
    for (auto& [key, lf] : _first)
        _reactor.frames().drop_user(lf);
    _first.clear();
}

void AlertFeed::resolve_all() {
    _resolved.clear();
    _resolved.reserve(_set->alerts.size());
    for (const Alert& a : _set->alerts) {
        Resolved r;
        const size_t size = target_blob_size(a.target);
        r.blob = std::make_unique<char[]>(size ? size : 1);
        write_target_blob(r.blob.get(), a.target);
        r.target = _audience.resolve_standing(
            read_target_blob(a.target.kind, a.target.require_auth, r.blob.get()));
        _resolved.push_back(std::move(r));
    }
}

std::vector<const Alert*> AlertFeed::list_in(const std::vector<Resolved>& resolved,
                                             const AlertSet& set, const Identity& who,
                                             int64_t now_ms) const {
    std::vector<const Alert*> out;
    for (size_t i = 0; i < set.alerts.size(); ++i) {
        const Alert& a = set.alerts[i];
        if (!a.active_at(now_ms) || !matches(resolved[i].target, who)) continue;
        if (a.dismissible && set.dismissed_by(a.id, who.user)) continue;
        out.push_back(&a);
    }
    std::sort(out.begin(), out.end(),
              [](const Alert* x, const Alert* y) { return shown_before(*x, *y); });
    return out;
}

std::vector<const Alert*> AlertFeed::list_for(const Identity& who, int64_t now_ms) const {
    return list_in(_resolved, *_set, who, now_ms);
}

template <typename F>
void AlertFeed::for_each_stream(F&& f) {
    Channel* ch = _index.find(_opts.channel, _channel_hash);
    if (!ch) return;
    for (Subscription* s : ch->subscribers)
        f(*s->connection, *s->who);
    for (CatchUpWaiter* w : ch->waiting)
        if (Connection* c = _transport.find(w->stream)) f(*c, *w->member->who);
}

template <typename F>
void AlertFeed::for_each_stream_of(std::string_view user, F&& f) {
    Channel* ch = _index.find(_opts.channel, _channel_hash);
    if (!ch) return;
    if (const std::vector<Member*>* members = _audience.streams_of(user))
        for (Member* m : *members)
            if (m->subscription(ch)) f(*m->connection, *m->who);
    for (CatchUpWaiter* w : ch->waiting)
        if (Connection* c = _transport.find(w->stream); c && w->member->who->user == user)
            f(*c, *w->member->who);
}

void AlertFeed::adopt(AlertSnapshot set, const AlertChange& change) {
    const int64_t now = wall_ms();
    if (change.kind == AlertChange::Kind::refresh) {
        push_refresh(change.reason);
        return;
    }
    forget_first_frames();
    AlertSnapshot before_set = std::move(_set);
    std::vector<Resolved> before = std::move(_resolved);
    _set = std::move(set);
    resolve_all();
    const Alert* changed = nullptr;
    if (change.kind == AlertChange::Kind::created || change.kind == AlertChange::Kind::updated)
        changed = _set->find(change.alert_id);
    const int64_t before_ms = _evaluated_ms ? _evaluated_ms : now;
    // A dismissal changes its user's lists alone: the other streams need not be
    // looked at, unless a start or an expiry has passed since the last look
    // (its timer may not have run yet), which concerns everybody.
    const int64_t boundary = before_set->next_change_after(before_ms);
    const bool only_user =
        change.kind == AlertChange::Kind::dismissed && !(boundary && boundary <= now);
    if (change.kind != AlertChange::Kind::loaded)
        push(before, before_set.get(), before_ms, changed, only_user ? change.user : "");
    _evaluated_ms = now;
    schedule();
}

void AlertFeed::on_timer() {
    forget_first_frames();
    const int64_t before_ms = _evaluated_ms;
    _evaluated_ms = wall_ms();
    push(_resolved, _set.get(), before_ms, nullptr);
    schedule();
}

void AlertFeed::schedule() {
    const int64_t now = wall_ms();
    const int64_t next = _set->next_change_after(now);
    if (next == 0) {
        _reactor.timers().cancel(&_timer);
        return;
    }
    // The wheel runs on the monotonic clock; a boundary is a wall-clock time.
    _reactor.timers().schedule(&_timer, mono_ms() + uint64_t(next - now));
}

void AlertFeed::push(const std::vector<Resolved>& before, const AlertSet* before_set,
                     int64_t before_ms, const Alert* alert, std::string_view only_user) {
    const int64_t now = wall_ms();
    LocalFramePool& frames = _reactor.frames();
    std::unordered_map<std::string, LocalFrame*> lists;  // one frame per distinct list
    LocalFrame* single = nullptr;                        // the `alert` event, if any
    auto visit = [&](Connection& c, const Identity& who) {
        std::vector<const Alert*> now_list = list_in(_resolved, *_set, who, now);
        std::string key = list_key(now_list);
        if (before_set && key == list_key(list_in(before, *before_set, who, before_ms))) return;
        if (alert && std::find(now_list.begin(), now_list.end(), alert) != now_list.end()) {
            if (!single) {
                std::string data;
                JsonWriter w(data);
                write_alert_for_viewer(w, *alert);
                single = frames.wrap(SharedFrame::copy_of(sse_event({}, "alert", data)));
            }
            _transport.enqueue(c, single);
        }
        auto [it, fresh] = lists.try_emplace(std::move(key), nullptr);
        if (fresh) {
            it->second = frames.wrap(
                SharedFrame::copy_of(sse_event({}, "alerts-update", alert_list_json(now_list))));
            ++_stats.lists;
        }
        if (_transport.enqueue(c, it->second)) ++_stats.updates;
    };
    if (only_user.empty()) {
        for_each_stream(visit);
    } else {
        for_each_stream_of(only_user, visit);
    }
    for (auto& [key, lf] : lists)
        frames.drop_if_unused(lf);
    if (single) frames.drop_if_unused(single);
}

AlertFeed::Reach AlertFeed::reach(const Target& target) {
    const size_t size = target_blob_size(target);
    auto blob = std::make_unique<char[]>(size ? size : 1);
    write_target_blob(blob.get(), target);
    const ResolvedTarget resolved =
        _audience.resolve(read_target_blob(target.kind, target.require_auth, blob.get()));
    Reach r;
    std::unordered_set<std::string_view> users;
    for_each_stream([&](Connection&, const Identity& who) {
        if (!matches(resolved, who)) return;
        ++r.streams;
        if (!who.user.empty() && users.insert(who.user).second) r.users.push_back(who.user);
    });
    return r;
}

void AlertFeed::push_refresh(const std::string& reason) {
    std::string data;
    JsonWriter w(data);
    w.begin_object().key("reason").value(reason).key("timestamp").value(wall_ms()).end_object();
    LocalFramePool& frames = _reactor.frames();
    LocalFrame* lf = frames.wrap(SharedFrame::copy_of(sse_event({}, "alerts-refresh", data)));
    for_each_stream([&](Connection& c, const Identity&) { _transport.enqueue(c, lf); });
    frames.drop_if_unused(lf);
}

}  // namespace ringcast

// SseStreams during an upgrade (docs/operations.md, "Upgrade without a
// reconnect"): the old daemon freezes each stream and says what it is; the new
// daemon rebuilds it on the same socket and catches it up from the old
// daemon's last event, through the same catch-up every resume takes, which is
// where exactly-once comes from.
#include <algorithm>

#include "core/clock.h"
#include "http/http_server.h"
#include "http/sse_streams.h"

namespace ringcast {

bool SseStreams::freeze(HttpConnection& c, HandedStream* out) {
    const Member& m = c._member;
    // Still waiting for the log's answer: its catch-up would subscribe it again.
    if (c._mode != HttpConnection::Mode::streaming || !m.subs ||
        (m.nsubs && m.subs[0].index == Subscription::kHeld))
        return false;
    out->endpoint = c._endpoint->path;
    out->channels.clear();
    for (uint16_t i = 0; i < m.nsubs; ++i)
        if (m.subs[i].channel) out->channels.push_back(m.subs[i].channel->name);
    const Identity& who = *m.who;
    out->authenticated = c._extras && c._extras->authenticated;
    if (out->authenticated) {
        out->user = who.user;
        out->subscriber = who.subscriber;
        out->roles = _audience.role_names(who);
        out->permissions = _audience.permission_names(who);
    }
    out->connected_at_ms = wall_ms_of(c._stream_started_ms);
    out->ends_at_ms = c._lifetime_ms ? out->connected_at_ms + int64_t(c._lifetime_ms) : 0;
    out->ends_with_token = c._extras && c._extras->ends_with_token;
    if (c._extras && !c._extras->client.empty()) out->client = c._extras->client.text();
    // Counted again by the new daemon; released here when the connection goes.
    if (c._extras) out->limit_holds = c._extras->limit_holds;
    leave_channels(c);
    _transport.set_deadline(c, 0);  // no heartbeat: nothing more goes out from here
    return true;
}

bool SseStreams::adopt(HttpConnection& c, const HandedStream& s, const std::string& resume_id) {
    const EndpointOptions* ep = find_endpoint(_opts.endpoints, s.endpoint);
    if (!ep || s.channels.empty() || !_limit.try_acquire()) return false;
    if (s.authenticated) {
        if (!c._extras) c._extras = std::make_unique<StreamExtras>();
        Identity& who = c._extras->identity;
        who.user = s.user;
        who.authenticated = true;
        who.subscriber = s.subscriber;
        _audience.set_names(who, s.roles, s.permissions);
        c._extras->authenticated = true;
        c._extras->ends_with_token = s.ends_with_token;
    }
    if (PeerAddress client; !s.client.empty() && PeerAddress::parse(s.client, &client)) {
        if (!c._extras) c._extras = std::make_unique<StreamExtras>();
        c._extras->client = client;
    }
    c._endpoint = ep;
    std::unique_ptr<CatchUpWaiter> catch_up = hold_channels(c, s.channels, resume_id);
    c._mode = HttpConnection::Mode::streaming;
    c._parser.reset();
    c._held.reset();
    // Its age and lifetime go on from where they were (the monotonic clock is
    // this process's; the wall clock is shared). Read now, not the loop's
    // clock: streams are adopted before the loop first turns.
    const uint64_t now = mono_ms();
    const uint64_t age = uint64_t(std::max<int64_t>(0, wall_ms() - s.connected_at_ms));
    c._stream_started_ms = now > age ? now - age : 0;
    uint64_t lifetime = s.ends_at_ms
                            ? uint64_t(std::max<int64_t>(1, s.ends_at_ms - s.connected_at_ms))
                            : ep->connection_timeout_ms;
    c._lifetime_ms = uint32_t(std::min<uint64_t>(lifetime, UINT32_MAX));
    ++_streams;
    _transport.set_deadline(c, deadline(c, now));
    ask_catch_up(c, std::move(catch_up));
    recount_limits(c, s.limit_holds);
    return true;
}

// The stream is open already: its counts are taken whatever the limits say
// now (a rule that cannot refuse), and kept as its holds like any stream's.
void SseStreams::recount_limits(HttpConnection& c, const std::vector<std::string>& all) {
    recount_cluster_holds(c, all);
    std::vector<std::string> keys;
    for (const std::string& key : all)
        if (!key.starts_with(cluster_hold(""))) keys.push_back(key);
    if (keys.empty()) return;
    std::vector<LimitAsk> asks;
    for (const std::string& key : keys)
        asks.push_back({key, LimitRule{UINT32_MAX, 0, 0}});
    _limiter.acquire(std::move(asks),
                     [this, h = Transport::handle(c), keys](std::vector<LimitVerdict>& verdicts) {
                         auto* now = static_cast<HttpConnection*>(_transport.find(h));
                         for (size_t i = 0; i < verdicts.size() && i < keys.size(); ++i) {
                             if (!verdicts[i].granted) continue;
                             if (!now) {  // gone meanwhile: give the count back
                                 _limiter.release(keys[i]);
                                 continue;
                             }
                             if (!now->_extras) now->_extras = std::make_unique<StreamExtras>();
                             now->_extras->limit_holds.push_back(keys[i]);
                         }
                     });
}

}  // namespace ringcast

#pragma once
// Who on this shard an event goes to: the one place that applies an event's
// target to a channel's subscribers (the hub's fan-out, and the benchmarks that
// measure it).
//
//   untargeted        every subscriber of the channel, no check at all
//   user-specific     only the named users' streams (Audience index), each
//                     checked for the channel and the exclusions: cost follows
//                     those users' connections, not the channel's size
//   anything else     every subscriber, each tested by matches() on interned
//                     role/permission bitsets
#include "pubsub/audience.h"
#include "pubsub/channel_index.h"
#include "pubsub/event.h"

namespace ringcast {

// For a user-specific target: calls deliver(Connection&, size_t i) for each
// stream of targetUsers[i] on this shard that is subscribed to `ch` and matches.
// The message parser removed duplicate names: nobody is visited twice.
template <typename F>
void for_each_target_user_stream(const ResolvedTarget& target, const Channel& ch,
                                 const Audience& audience, F&& deliver) {
    size_t i = 0;
    target.users.for_each([&](std::string_view user) {
        if (const std::vector<Member*>* streams = audience.streams_of(user))
            for (Member* m : *streams)
                if (m->subscription(&ch) && matches(target, *m->who)) deliver(*m->connection, i);
        ++i;
    });
}

// Calls deliver(Connection&) once per recipient. deliver must not unsubscribe
// anyone synchronously (the transport defers closes to the end of the turn).
template <typename F>
void for_each_recipient(const Event& e, const Channel& ch, const Audience& audience, F&& deliver) {
    if (e.for_everyone()) {
        for (Subscription* s : ch.subscribers)
            deliver(*s->connection);
        return;
    }
    const ResolvedTarget target = audience.resolve(e.target());
    if (target.kind == Target::Kind::users) {
        for_each_target_user_stream(target, ch, audience,
                                    [&](Connection& c, size_t) { deliver(c); });
        return;
    }
    for (Subscription* s : ch.subscribers)
        if (matches(target, *s->who)) deliver(*s->connection);
}

}  // namespace ringcast

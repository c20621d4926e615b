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

// Calls deliver(Connection&) once per recipient. deliver must not unsubscribe
// anyone synchronously (the transport defers closes to the end of the turn).
template <typename F>
void for_each_recipient(const Event& e, const Channel& ch, const Audience& audience,
                        F&& deliver) {
    if (e.for_everyone()) {
        for (Subscription* s : ch.subscribers)
            deliver(*s->connection);
        return;
    }
    const ResolvedTarget target = audience.resolve(e.target());
    if (target.kind == Target::Kind::users) {
        // The message parser removed duplicate names: nobody is visited twice.
        target.users.for_each([&](std::string_view user) {
            if (const std::vector<Member*>* streams = audience.streams_of(user))
                for (Member* m : *streams)
                    if (m->subscription(&ch) && matches(target, *m->who)) deliver(*m->connection);
        });
        return;
    }
    for (Subscription* s : ch.subscribers)
        if (matches(target, *s->who)) deliver(*s->connection);
}

}  // namespace ringcast

#include "pubsub/catch_up.h"

namespace ringcast {

std::vector<Event*> merge_catch_up(CatchUpWaiter& w, int64_t now_wall_ms) {
    CatchUp& r = w;
    std::vector<Event*> out;
    out.reserve(r.events.size() + w.buffered.size());
    auto keep = [&](Event* e) {
        if (e->expired(now_wall_ms) || (r.resume && e->sequence() <= r.after)) {
            e->release();
            return;
        }
        out.push_back(e);
    };
    // Both lists are in sequence order: one merge pass, equal sequences once.
    size_t i = 0, j = 0;
    while (i < r.events.size() || j < w.buffered.size()) {
        Event* a = i < r.events.size() ? r.events[i] : nullptr;
        Event* b = j < w.buffered.size() ? w.buffered[j] : nullptr;
        if (a && b && a->sequence() == b->sequence()) {
            b->release();
            ++j;
            b = nullptr;
        }
        if (a && (!b || a->sequence() < b->sequence())) {
            keep(a);
            ++i;
        } else {
            keep(b);
            ++j;
        }
    }
    r.events.clear();
    r.mail.clear();
    w.buffered.clear();
    return out;
}

}  // namespace ringcast

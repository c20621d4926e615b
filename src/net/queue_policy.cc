#include "net/queue_policy.h"

namespace ringcast {

namespace {

bool holds(const std::vector<LocalFrame*>& v, LocalFrame* lf) {
    return !v.empty() && v.back() == lf;  // lf was pushed last: removed, it is last
}

}  // namespace

Admission admit_over_limit(OutQueue& q, LocalFrame* lf, const QueueLimits& limits, bool writing,
                           int64_t now_wall_ms, LocalFramePool& frames, OutChunkPool& chunks,
                           RemovedFrames* removed) {
    const SharedFrame* f = lf->frame;
    const bool over_hard = q.bytes() + f->size() > limits.hard;
    if (!writing) {
        // Not behind: the socket takes what we write. Only the hard limit holds.
        if (over_hard) return Admission::overflow;
        frames.add_user(lf);
        q.push(lf, chunks);
        return Admission::queued;
    }
    if (limits.policy == SlowReaderPolicy::disconnect)
        return over_hard ? Admission::overflow : Admission::disconnect;

    frames.add_user(lf);
    if (!f->keep() && f->priority() < q.min_priority()) {
        // Below everything queued: the first candidate, and the queue is over the
        // limit with it. (Expired frames still queued are left to the next send.)
        removed->dropped.push_back(lf);
        return q.bytes() > limits.hard ? Admission::overflow : Admission::dropped;
    }
    q.push(lf, chunks);
    q.shed(limits.target(), limits.soft, now_wall_ms, removed, chunks);
    if (q.bytes() > limits.hard) return Admission::overflow;
    bool lost = holds(removed->dropped, lf) || holds(removed->expired, lf);
    return lost ? Admission::dropped : Admission::queued;
}

void release_removed(RemovedFrames* removed, LocalFrame* incoming, LocalFramePool& frames) {
    for (auto* list : {&removed->expired, &removed->dropped})
        for (LocalFrame* lf : *list) {
            if (lf == incoming) {
                frames.take_back_user(lf);
            } else {
                frames.drop_user(lf);
            }
        }
    removed->clear();
}

}  // namespace ringcast

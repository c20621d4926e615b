#pragma once
// What becomes of a frame that would take a connection's output queue past its
// limits: the slow-reader policy, kept apart from the transport so that every rule
// is unit-tested without a ring.
//
// Who is slow. A reader is behind when its socket is full: a write of ours is
// still pending in the kernel, or the last one was cut short (a send to a socket
// with room completes at once and in full, in the same loop turn). Only then does
// the soft limit (delivery.queue_limit) apply.
// A reader that keeps up may still see a burst queued within one turn (sends
// start at the end of the turn): that is bounded by the hard limit only, so a
// publish burst larger than queue_limit costs a fast reader nothing.
//
// Past the soft limit the policy applies: "disconnect" closes the connection;
// "drop" makes room by dropping queued frames that are not being written, lowest
// priority first, oldest first within a priority (the newcomer is a candidate
// too), never frames marked keep (responses, the handshake). Past the hard limit
// (delivery.max_queue) the connection is closed whatever the policy: with "drop"
// and a full socket that happens only when what may not be dropped (frames in
// flight, kept frames) is that large by itself.
//
// Hysteresis: when "drop" compacts a queue it drops down to 3/4 of the soft
// limit, not just below it. A reader stuck at the limit then takes a quarter of
// the limit in new bytes before the next compaction, so the O(queued frames) walk
// of a compaction is paid once per ~limit/4 bytes, not once per event: amortised
// O(1) per event while events are of similar sizes (the walk visits at most ~3
// frames per frame admitted since the last one). A newcomer below every queued
// priority (min_priority(), a lower bound kept on push) is dropped at once,
// without a walk: a queue full of priority-9 events pays nothing per priority-1
// event it refuses.
#include <cstdint>

#include "core/frame.h"
#include "net/out_queue.h"

namespace ringcast {

enum class SlowReaderPolicy : uint8_t { drop, disconnect };

struct QueueLimits {
    uint64_t soft = 1u << 20;  // delivery.queue_limit
    uint64_t hard = 4u << 20;  // delivery.max_queue; soft <= hard
    SlowReaderPolicy policy = SlowReaderPolicy::drop;

    // Where a compaction stops: see the hysteresis note above.
    uint64_t target() const { return soft - soft / 4; }
};

enum class Admission : uint8_t {
    queued,      // the frame is queued (others may have been dropped for it)
    dropped,     // the frame itself was dropped (or expired)
    disconnect,  // past the soft limit with policy disconnect: close the connection
    overflow,    // past the hard limit: close the connection
};

// For a frame Connection::queue_frame() refused as over_limit (against
// limits.soft when `writing`, else limits.hard). `writing`: a send of ours is
// pending in the kernel, so the reader is behind. May queue lf and remove frames
// into *removed, each still holding the queue's user (lf among them when it was
// not kept): the caller reports them, then calls release_removed().
Admission admit_over_limit(OutQueue& q, LocalFrame* lf, const QueueLimits& limits, bool writing,
                           int64_t now_wall_ms, LocalFramePool& frames, OutChunkPool& chunks,
                           RemovedFrames* removed);

// Drops the users the removed frames held and empties *removed. `incoming` (the
// frame being queued, which the caller still holds) is only taken back, never
// recycled: a fan-out goes on using it for the next recipient.
void release_removed(RemovedFrames* removed, LocalFrame* incoming, LocalFramePool& frames);

}  // namespace ringcast

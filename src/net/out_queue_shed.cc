// OutQueue::shed(): which frames a slow reader loses, and taking them out of the
// queue without disturbing the order of the rest.
//
// Two passes over the queue. The first sums the bytes of the frames that may go,
// per priority (eleven counters), and turns them into a budget per priority: all
// of the lowest priorities, part of one (oldest first), none of the others. The
// second walks the queue once more, in order, drops the frames its priority's
// budget still covers, and moves the frames it keeps up over the holes (a
// left-packing copy inside the chunks, so the order is never changed). Chunks left
// empty at the tail go back to the pool.
//
// Frames the queue must keep where they are: those the send in flight covers (the
// kernel reads their bytes) and a partially written first frame; both sit at the
// front, so the second pass starts after them and never moves them.
#include <algorithm>

#include "net/out_queue.h"

namespace ringcast {

namespace {

constexpr unsigned kLevels = SharedFrame::kMaxEventPriority + 1;

struct ShedPlan {
    uint64_t budget[kLevels] = {};  // bytes to drop from each priority, oldest first
    bool drop_newest = false;
};

// `bytes`: what the queue holds once its expired frames are gone; `by_priority`:
// the bytes of the frames that may be dropped, the newest excluded.
//
// Frames of the newest's priority or lower are all older than it: they go first,
// down to `target`. Then the newest itself goes if the queue is still over
// `limit`, or still over `target` while frames of higher priority remain (it is
// then the lowest frame left; dropping it for the margin keeps a stream of
// low-priority newcomers from each paying a walk, and leaves min_priority() exact
// above it). Higher priorities than the newest's go only while the queue is over
// `limit`: a frame that outranks the newcomer is never dropped for the margin.
//
// Budgets are in bytes: the second pass drops whole frames until a priority's
// budget is met, so it frees at most one frame more per priority than planned.
// That never changes the fate of the newest: when the first phase ends above
// `target` it has dropped whole priorities, exactly.
ShedPlan plan_shed(const uint64_t (&by_priority)[kLevels], bool newest_droppable,
                   unsigned newest_priority, uint64_t newest_bytes, uint64_t bytes, uint64_t target,
                   uint64_t limit) {
    ShedPlan p;
    auto take = [&](unsigned level, uint64_t floor) {
        if (bytes <= floor) return;
        uint64_t t = std::min(by_priority[level], bytes - floor);
        p.budget[level] = t;
        bytes -= t;
    };
    // Without a droppable newcomer every frame counts as ahead of it.
    unsigned ahead = newest_droppable ? newest_priority : kLevels - 1;
    for (unsigned level = 0; level <= ahead; ++level)
        take(level, target);
    if (newest_droppable) {
        uint64_t higher = 0;
        for (unsigned level = ahead + 1; level < kLevels; ++level)
            higher += by_priority[level];
        if (bytes > limit || (bytes > target && higher > 0)) {
            p.drop_newest = true;
            bytes -= std::min(bytes, newest_bytes);
        }
    }
    for (unsigned level = ahead + 1; level < kLevels; ++level)
        take(level, limit);
    return p;
}

// A position in the chunk list; `idx == kItems` means "at the end of `chunk`":
// the next access moves to the following chunk first.
struct Cursor {
    OutChunk* chunk;
    unsigned idx;
    LocalFrame*& next() {
        if (idx == OutChunk::kItems) {
            chunk = chunk->next;
            idx = 0;
        }
        return chunk->items[idx++];
    }
};

}  // namespace

void OutQueue::shed(uint64_t target, uint64_t limit, int64_t now_wall_ms, RemovedFrames* out,
                    OutChunkPool& pool) {
    // The send in flight covers the first _in_flight frames; after a short write
    // (nothing in flight) the first frame is partly on the wire.
    const uint32_t fixed = std::max<uint32_t>(_in_flight, _offset > 0 ? 1 : 0);
    if (_count <= fixed) return;
    target = std::min(target, limit);
    out->compacted = true;

    // Pass 1: what may go, per priority.
    uint64_t by_priority[kLevels] = {};
    uint64_t expired = 0;
    uint8_t min_fixed = SharedFrame::kKeepPriority;  // the fixed frames stay: keep their bound
    Cursor at{_head, _head_idx};
    Cursor start = at;  // where pass 2 begins: just after the fixed frames
    bool newest_droppable = false;
    for (uint32_t i = 0; i < _count; ++i) {
        const SharedFrame* f = at.next()->frame;
        if (i + 1 == fixed) start = at;
        if (f->keep()) continue;
        if (i < fixed) {
            min_fixed = std::min(min_fixed, f->priority());
        } else if (f->expired(now_wall_ms)) {
            expired += f->size();
        } else if (i + 1 == _count) {
            newest_droppable = true;  // the newcomer: planned on its own
        } else {
            by_priority[f->priority()] += f->size();
        }
    }
    const SharedFrame* newest = _tail->items[_tail_idx - 1]->frame;
    ShedPlan plan = plan_shed(by_priority, newest_droppable, newest->priority(), newest->size(),
                              _bytes - expired, target, limit);

    // Pass 2: drop what the plan says, pack the rest towards the front.
    uint64_t dropped[kLevels] = {};
    Cursor read = start, write = start;
    uint8_t min_kept = min_fixed;
    const uint32_t count = _count;
    uint32_t kept = fixed;
    for (uint32_t i = fixed; i < count; ++i) {
        LocalFrame* lf = read.next();
        const SharedFrame* f = lf->frame;
        bool keep = true;
        if (!f->keep()) {
            if (f->expired(now_wall_ms)) {
                out->expired.push_back(lf);
                keep = false;
            } else if (i + 1 == count ? plan.drop_newest
                                      : dropped[f->priority()] < plan.budget[f->priority()]) {
                dropped[f->priority()] += f->size();
                out->dropped.push_back(lf);
                keep = false;
            }
        }
        if (!keep) {
            _bytes -= f->size();
            continue;
        }
        if (!f->keep()) min_kept = std::min(min_kept, f->priority());
        write.next() = lf;
        ++kept;
    }
    _count = kept;
    _min_priority = min_kept;

    // Chunks past the new tail go back to the pool.
    if (kept == 0) {
        for (OutChunk* c = _head; c;) {
            OutChunk* n = c->next;
            pool.put(c);
            c = n;
        }
        _head = _tail = nullptr;
        _head_idx = _tail_idx = 0;
        _min_priority = SharedFrame::kKeepPriority;
        return;
    }
    for (OutChunk* c = write.chunk->next; c;) {
        OutChunk* n = c->next;
        pool.put(c);
        c = n;
    }
    write.chunk->next = nullptr;
    _tail = write.chunk;
    _tail_idx = uint16_t(write.idx);
}

}  // namespace ringcast

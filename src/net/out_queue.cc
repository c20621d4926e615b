#include "net/out_queue.h"

#include <algorithm>
#include <cassert>

namespace ringcast {

namespace {
// Chunks kept for reuse beyond this are returned to the allocator: a fan-out
// burst should not pin its peak memory forever.
constexpr size_t kMaxFreeChunks = 4096;
}  // namespace

OutChunkPool::~OutChunkPool() {
    while (_free) {
        OutChunk* n = _free->next;
        delete _free;
        _free = n;
    }
}

OutChunk* OutChunkPool::get() {
    ++_live;
    if (_free) {
        OutChunk* c = _free;
        _free = c->next;
        --_free_count;
        c->next = nullptr;
        return c;
    }
    return new OutChunk;
}

void OutChunkPool::put(OutChunk* c) {
    --_live;
    if (_free_count >= kMaxFreeChunks) {
        delete c;
        return;
    }
    c->next = _free;
    _free = c;
    ++_free_count;
}

void OutQueue::push(LocalFrame* lf, OutChunkPool& pool) {
    if (!_tail) {
        _head = _tail = pool.get();
        _head_idx = _tail_idx = 0;
    } else if (_tail_idx == OutChunk::kItems) {
        OutChunk* c = pool.get();
        _tail->next = c;
        _tail = c;
        _tail_idx = 0;
    }
    _tail->items[_tail_idx++] = lf;
    ++_count;
    _bytes += lf->frame->size();
    // Kept frames have the highest priority value, so they never lower the bound.
    _min_priority = std::min(_min_priority, lf->frame->priority());
}

unsigned OutQueue::gather(iovec* iov, unsigned max, size_t* total, int64_t now_wall_ms,
                          size_t max_bytes) const {
    unsigned n = 0;
    size_t sum = 0;
    const OutChunk* c = _head;
    unsigned idx = _head_idx;
    uint32_t offset = _offset;
    for (uint32_t seen = 0; seen < _count && n < max; ++seen) {
        if (idx == OutChunk::kItems) {
            c = c->next;
            idx = 0;
        }
        const SharedFrame* f = c->items[idx++]->frame;
        if (n > 0 && (f->expired(now_wall_ms) || sum + f->size() > max_bytes)) break;
        iov[n].iov_base = const_cast<char*>(f->data() + offset);
        iov[n].iov_len = f->size() - offset;
        sum += iov[n].iov_len;
        offset = 0;
        ++n;
    }
    *total = sum;
    return n;
}

// Inlined by force: it is the per-frame step of consume(), on every completed
// send, and a call there measurably slows BM_FanoutQueue's drain.
[[gnu::always_inline]] inline LocalFrame* OutQueue::unlink_front(OutChunkPool& pool) {
    LocalFrame* lf = front();
    ++_head_idx;
    --_count;
    _offset = 0;
    if (_count == 0) {
        pool.put(_head);
        _head = _tail = nullptr;
        _head_idx = _tail_idx = 0;
        _min_priority = SharedFrame::kKeepPriority;
    } else if (_head_idx == OutChunk::kItems) {
        OutChunk* next = _head->next;
        pool.put(_head);
        _head = next;
        _head_idx = 0;
    }
    return lf;
}

void OutQueue::pop_front(LocalFramePool& frames, OutChunkPool& pool) {
    frames.drop_user(unlink_front(pool));
}

uint64_t OutQueue::take_expired_front(int64_t now_wall_ms, RemovedFrames* out, OutChunkPool& pool) {
    uint64_t freed = 0;
    while (front_expired(now_wall_ms)) {
        uint32_t size = front()->frame->size();
        out->expired.push_back(unlink_front(pool));
        _bytes -= size;
        freed += size;
    }
    return freed;
}

void OutQueue::consume(size_t n, LocalFramePool& frames, OutChunkPool& pool) {
    assert(n <= _bytes);
    _in_flight = 0;  // the send completed: the kernel is done with its iovecs
    _bytes -= n;
    while (n > 0) {
        uint32_t left = front()->frame->size() - _offset;
        if (n < left) {
            _offset += uint32_t(n);
            return;
        }
        n -= left;
        pop_front(frames, pool);
    }
}

void OutQueue::clear(LocalFramePool& frames, OutChunkPool& pool) {
    // Chunk by chunk: no per-frame bookkeeping for a queue that goes away whole.
    unsigned idx = _head_idx;
    for (OutChunk* c = _head; c;) {
        unsigned end = c == _tail ? _tail_idx : OutChunk::kItems;
        for (; idx < end; ++idx)
            frames.drop_user(c->items[idx]);
        OutChunk* next = c->next;
        pool.put(c);
        c = next;
        idx = 0;
    }
    _head = _tail = nullptr;
    _head_idx = _tail_idx = 0;
    _count = 0;
    _offset = 0;
    _bytes = 0;
    _in_flight = 0;
    _min_priority = SharedFrame::kKeepPriority;
}

// --- moves between queues, for a virtual connection's host (net/mux_host.h):
// what an HTTP/2 stream has queued goes to its connection's queue behind a
// DATA frame header, by pointer where it can.
uint64_t OutQueue::ready_bytes(int64_t now_wall_ms, uint64_t max) const {
    uint64_t sum = 0;
    const OutChunk* c = _head;
    unsigned idx = _head_idx;
    uint32_t offset = _offset;
    for (uint32_t seen = 0; seen < _count && sum < max; ++seen) {
        if (idx == OutChunk::kItems) {
            c = c->next;
            idx = 0;
        }
        const SharedFrame* f = c->items[idx++]->frame;
        if (seen > 0 && f->expired(now_wall_ms)) break;
        sum += f->size() - offset;
        offset = 0;
    }
    return std::min(sum, max);
}

unsigned OutQueue::move_front(OutQueue& dst, uint64_t n, LocalFramePool& frames,
                              OutChunkPool& pool) {
    unsigned copies = 0;
    while (n > 0 && _count > 0) {
        LocalFrame* lf = front();
        const uint32_t left = lf->frame->size() - _offset;
        if (_offset == 0 && left <= n) {
            // The whole frame: the pointer and this queue's user go to dst.
            unlink_front(pool);
            _bytes -= left;
            dst.push(lf, pool);
            n -= left;
            continue;
        }
        // Cut by the window or the frame size, or cut before: the slice alone.
        const uint32_t take = uint32_t(std::min<uint64_t>(left, n));
        LocalFrame* slice =
            frames.wrap(SharedFrame::copy_of(lf->frame->view().substr(_offset, take)));
        frames.add_user(slice);
        dst.push(slice, pool);
        ++copies;
        _bytes -= take;
        n -= take;
        if (take == left) {
            pop_front(frames, pool);
        } else {
            _offset += take;
        }
    }
    return copies;
}

}  // namespace ringcast

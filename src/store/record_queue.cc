#include "store/record_queue.h"

#include <algorithm>

namespace ringcast {

RecordQueue::RecordQueue(uint32_t capacity, uint64_t max_pending)
    : _ring(capacity), _max_pending(std::max<uint64_t>(1, max_pending)) {}

RecordQueue::~RecordQueue() {
    _ring.consume([](const StoreRecord& r) {
        StoreRecord copy = r;
        free_record(copy);
    });
    for (StoreRecord& r : _overflow)
        free_record(r);
}

// Cold: the ring is full, or records already wait (order must hold).
void RecordQueue::wait(const StoreRecord& r) {
    if (_overflow.size() >= _max_pending) {
        free_record(_overflow.front());
        _overflow.pop_front();
        _log.given_up.store(_log.given_up.load(std::memory_order_relaxed) + 1,
                            std::memory_order_relaxed);
        // Everything numbered so far may have lost a record: the writer raises the
        // history floor to this, so that a resume from before it is told so.
        _log.lost_high.store(_log.high.load(std::memory_order_relaxed), std::memory_order_relaxed);
    }
    _overflow.push_back(r);
    _log.waiting.store(_overflow.size(), std::memory_order_relaxed);
}

void RecordQueue::refill() {
    while (!_overflow.empty() && _ring.try_push(_overflow.front()))
        _overflow.pop_front();
    _ring.publish();
    _log.waiting.store(_overflow.size(), std::memory_order_relaxed);
}

size_t RecordQueue::drain(std::deque<StoreRecord>* out) {
    // consume() stops at the tail it last saw; a second call sees the newer one.
    // Bounded, so that a log shard publishing without pause cannot keep the
    // writer here.
    size_t n = 0, got;
    do {
        got = _ring.consume([out](const StoreRecord& r) { out->push_back(r); });
        n += got;
    } while (got > 0 && n < 2 * _ring.capacity());
    return n;
}

size_t RecordQueue::take_all(std::deque<StoreRecord>* out) {
    size_t n = drain(out) + _overflow.size();
    out->insert(out->end(), _overflow.begin(), _overflow.end());
    _overflow.clear();
    _log.waiting.store(0, std::memory_order_relaxed);
    return n;
}

}  // namespace ringcast

#pragma once
// A hierarchical timer wheel with millisecond ticks, one per shard.
//
// Every connection has at most one pending deadline (heartbeat, request timeout,
// stalled write, maximum lifetime: whichever comes first), so a shard with 100k
// connections holds 100k timers. Kernel timers per connection would cost a syscall
// and kernel memory each; instead the wheel keeps intrusive nodes (embedded in the
// connection, no allocation) and the shard arms a single wait timeout for the
// earliest slot.
//
// Shape: 11 levels of 64 slots cover the whole 64-bit millisecond range, so any
// deadline can be placed without clamping. A timer lives at the level of the
// highest 6-bit digit in which its deadline differs from the wheel's current time;
// when the current time reaches that slot the timer cascades to a lower level,
// and at level 0 it fires. An occupancy bitmap per level lets advance() jump
// straight to the next slot with work instead of stepping tick by tick.
//
// Not thread-safe: a wheel belongs to one shard.
#include <cstddef>
#include <cstdint>

namespace ringcast {

struct TimerNode {
    TimerNode* prev = nullptr;
    TimerNode* next = nullptr;
    uint64_t expiry = 0;  // absolute deadline, ms on the wheel's clock
    uint16_t where = 0;   // level * 64 + slot, or kDueList; meaningful while linked
    bool linked() const { return next != nullptr; }
};

class TimerWheel {
public:
    static constexpr unsigned kBits = 6;
    static constexpr unsigned kSlots = 1u << kBits;
    static constexpr unsigned kLevels = 11;  // 66 bits >= 64
    static constexpr uint64_t kNever = UINT64_MAX;

    explicit TimerWheel(uint64_t now_ms);
    TimerWheel(const TimerWheel&) = delete;
    TimerWheel& operator=(const TimerWheel&) = delete;

    // (Re)arms t to fire at `at` (absolute ms). A deadline in the past fires on
    // the next advance().
    void schedule(TimerNode* t, uint64_t at);
    void cancel(TimerNode* t);

    size_t size() const { return _count; }
    uint64_t now() const { return _cur; }

    // The earliest time at which advance() has something to do (fire or cascade),
    // kNever when the wheel is empty. Never later than the earliest deadline, so
    // it is safe as a sleep bound.
    uint64_t next_due() const;

    // Moves the wheel to `now_ms`, calling fire(TimerNode*) for every timer whose
    // deadline is <= now_ms. A fired node is unlinked before the call, so the
    // callback may schedule it again (or anything else). Returns how many fired.
    template <typename F>
    size_t advance(uint64_t now_ms, F&& fire);

private:
    static constexpr uint16_t kDueList = kLevels * kSlots;

    TimerNode* list(uint16_t where) { return where == kDueList ? &_due : &_wheel[where]; }
    void place(TimerNode* t);
    void link(TimerNode* t, uint16_t where);
    void unlink(TimerNode* t);
    // Moves every node of `where` into a private list headed by `out`.
    void detach(uint16_t where, TimerNode* out);
    void cascade_and_collect();

    TimerNode _wheel[kLevels * kSlots];  // list heads (sentinels)
    TimerNode _due;                      // deadlines already reached
    uint64_t _occupied[kLevels] = {};
    uint64_t _cur;
    size_t _count = 0;
};

template <typename F>
size_t TimerWheel::advance(uint64_t now_ms, F&& fire) {
    size_t fired = 0;
    for (;;) {
        uint64_t t = next_due();
        // An empty wheel reports kNever, which is not > now_ms when now_ms is
        // kNever itself: without the size check, advance(kNever) would spin.
        if (t > now_ms || _count == 0) break;
        if (t > _cur) _cur = t;
        cascade_and_collect();  // moves everything due at _cur into _due
        TimerNode batch;
        detach(kDueList, &batch);
        while (batch.next != &batch) {
            TimerNode* n = batch.next;
            n->prev->next = n->next;
            n->next->prev = n->prev;
            n->prev = n->next = nullptr;
            --_count;
            if (n->expiry > _cur) {  // cascaded but not yet due: place lower
                ++_count;
                place(n);
                continue;
            }
            ++fired;
            fire(n);
        }
    }
    if (now_ms > _cur) _cur = now_ms;
    return fired;
}

}  // namespace ringcast

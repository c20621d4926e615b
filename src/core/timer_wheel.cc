#include "core/timer_wheel.h"

namespace ringcast {

namespace {

void make_empty(TimerNode* head) {
    head->prev = head->next = head;
}

// Bits of the time below `level`'s digit.
uint64_t low_mask(unsigned level) {
    unsigned shift = level * TimerWheel::kBits;
    return shift >= 64 ? ~uint64_t(0) : (uint64_t(1) << shift) - 1;
}

// Bits of the time above `level`'s digit.
uint64_t high_mask(unsigned level) {
    unsigned shift = (level + 1) * TimerWheel::kBits;
    return shift >= 64 ? 0 : ~((uint64_t(1) << shift) - 1);
}

unsigned digit(uint64_t t, unsigned level) {
    unsigned shift = level * TimerWheel::kBits;
    return shift >= 64 ? 0 : unsigned(t >> shift) & (TimerWheel::kSlots - 1);
}

}  // namespace

TimerWheel::TimerWheel(uint64_t now_ms) : _cur(now_ms) {
    for (auto& head : _wheel)
        make_empty(&head);
    make_empty(&_due);
}

void TimerWheel::link(TimerNode* t, uint16_t where) {
    TimerNode* head = list(where);
    t->where = where;
    t->prev = head->prev;
    t->next = head;
    head->prev->next = t;
    head->prev = t;
    if (where != kDueList) _occupied[where / kSlots] |= uint64_t(1) << (where % kSlots);
}

void TimerWheel::unlink(TimerNode* t) {
    t->prev->next = t->next;
    t->next->prev = t->prev;
    TimerNode* head = list(t->where);
    if (t->where != kDueList && head->next == head)
        _occupied[t->where / kSlots] &= ~(uint64_t(1) << (t->where % kSlots));
    t->prev = t->next = nullptr;
}

void TimerWheel::detach(uint16_t where, TimerNode* out) {
    TimerNode* head = list(where);
    if (head->next == head) {
        make_empty(out);
    } else {
        out->next = head->next;
        out->prev = head->prev;
        out->next->prev = out;
        out->prev->next = out;
        make_empty(head);
    }
    if (where != kDueList) _occupied[where / kSlots] &= ~(uint64_t(1) << (where % kSlots));
}

// Invariant kept by place(): a timer at level L agrees with _cur on every digit
// above L and has a larger digit at L. So each occupied slot lies in the future
// and next_due() only has to look at slots after the current digit.
void TimerWheel::place(TimerNode* t) {
    if (t->expiry <= _cur) {
        link(t, kDueList);
        return;
    }
    uint64_t diff = t->expiry ^ _cur;
    unsigned level = unsigned(63 - __builtin_clzll(diff)) / kBits;
    link(t, uint16_t(level * kSlots + digit(t->expiry, level)));
}

void TimerWheel::schedule(TimerNode* t, uint64_t at) {
    if (t->linked()) {
        unlink(t);
        --_count;
    }
    t->expiry = at;
    place(t);
    ++_count;
}

void TimerWheel::cancel(TimerNode* t) {
    if (!t->linked()) return;
    unlink(t);
    --_count;
}

uint64_t TimerWheel::next_due() const {
    if (_due.next != &_due) return _cur;
    uint64_t best = kNever;
    for (unsigned level = 0; level < kLevels; ++level) {
        uint64_t bits = _occupied[level];
        if (!bits) continue;
        unsigned cur_digit = digit(_cur, level);
        // Only slots after the current digit can be occupied (see place()).
        uint64_t later = cur_digit >= 63 ? 0 : bits & (~uint64_t(0) << (cur_digit + 1));
        if (!later) continue;
        unsigned slot = unsigned(__builtin_ctzll(later));
        uint64_t at = (_cur & high_mask(level)) | (uint64_t(slot) << (level * kBits));
        if (at < best) best = at;
    }
    return best;
}

// At _cur, cascade every slot whose time has come (highest level first, so a
// cascaded timer can land in a lower slot that is due now too), then move the
// level-0 slot for _cur to the due list.
void TimerWheel::cascade_and_collect() {
    for (unsigned level = kLevels - 1; level >= 1; --level) {
        if (_cur & low_mask(level)) continue;
        uint16_t where = uint16_t(level * kSlots + digit(_cur, level));
        if (!(_occupied[level] & (uint64_t(1) << digit(_cur, level)))) continue;
        TimerNode moved;
        detach(where, &moved);
        while (moved.next != &moved) {
            TimerNode* n = moved.next;
            n->prev->next = n->next;
            n->next->prev = n->prev;
            place(n);
        }
    }
    uint16_t where0 = uint16_t(digit(_cur, 0));
    if (_occupied[0] & (uint64_t(1) << where0)) {
        TimerNode moved;
        detach(where0, &moved);
        while (moved.next != &moved) {
            TimerNode* n = moved.next;
            n->prev->next = n->next;
            n->next->prev = n->prev;
            link(n, kDueList);
        }
    }
}

}  // namespace ringcast

#pragma once
// Per-stream delivery accounting: for one (connection, publisher) pair, the
// next expected sequence number plus a 64-event window of what arrived below
// it, as in IPsec's anti-replay check. That is enough to tell an event that
// fills an earlier gap (out of order, and no longer lost) from one seen twice
// (duplicate), at 16 bytes per stream, so 100k subscribers cost nothing.
//
// Sequence numbers here are local to a publisher: publisher p sends global
// events p, p+K, p+2K, ... as local 0, 1, 2, ... The daemon orders events per
// publishing connection (it answers pipelined requests in order), not across
// connections, so order can only be checked per publisher.
#include <cstdint>

namespace ringcast::load {

// Counters a worker sums over all its streams. "Measured" events are those
// after the warmup; the warmup ones are counted apart so that the figures cover
// the measurement window only, but a warmup loss still fails the run.
struct DeliveryCounters {
    uint64_t received = 0;         // distinct measured events received
    uint64_t received_warmup = 0;  // distinct warmup events received
    uint64_t lost = 0;             // measured events missing (gaps not filled, tail)
    uint64_t lost_warmup = 0;
    uint64_t duplicates = 0;    // an event received again
    uint64_t out_of_order = 0;  // arrived after a later one of the same publisher
    uint64_t too_late = 0;      // arrived > 64 events late: cannot tell dup from reorder
    uint64_t unexpected = 0;    // a sequence number beyond what was published
};

class SeqTracker {
public:
    enum class Outcome : uint8_t { fresh, duplicate, too_late };

    // `first_measured` is the first local number after the warmup for this
    // publisher. Returns whether the event is counted as a new delivery.
    Outcome on_event(uint64_t s, uint64_t first_measured, DeliveryCounters& c) {
        if (s == _next) {
            _window = (_window << 1) | 1;
            ++_next;
            count_received(s, first_measured, c);
            return Outcome::fresh;
        }
        if (s > _next) {
            // Everything in [_next, s) is missing for now; a late arrival may
            // still fill it (then it is taken back from `lost`).
            add_lost(_next, s, first_measured, c, +1);
            uint64_t shift = s - _next + 1;
            _window = shift >= 64 ? 1 : ((_window << shift) | 1);
            _next = s + 1;
            count_received(s, first_measured, c);
            return Outcome::fresh;
        }
        uint64_t back = _next - 1 - s;  // 0 is the newest seen
        if (back >= 64) {
            ++c.too_late;
            return Outcome::too_late;
        }
        uint64_t bit = uint64_t(1) << back;
        if (_window & bit) {
            ++c.duplicates;
            return Outcome::duplicate;
        }
        _window |= bit;
        ++c.out_of_order;
        add_lost(s, s + 1, first_measured, c, -1);
        count_received(s, first_measured, c);
        return Outcome::fresh;
    }

    // At the end: events [_next, total) never came.
    void finish(uint64_t total, uint64_t first_measured, DeliveryCounters& c) {
        if (_next < total) add_lost(_next, total, first_measured, c, +1);
        _next = total > _next ? total : _next;
    }

    uint64_t next() const { return _next; }

private:
    static void count_received(uint64_t s, uint64_t first_measured, DeliveryCounters& c) {
        if (s >= first_measured) {
            ++c.received;
        } else {
            ++c.received_warmup;
        }
    }

    // Adds sign * |[from, to)| to the lost counters, split at first_measured.
    static void add_lost(uint64_t from, uint64_t to, uint64_t first_measured, DeliveryCounters& c,
                         int sign) {
        uint64_t split = from > first_measured ? from : (to < first_measured ? to : first_measured);
        uint64_t warm = split - from, measured = to - split;
        if (sign > 0) {
            c.lost_warmup += warm;
            c.lost += measured;
        } else {
            c.lost_warmup -= warm;
            c.lost -= measured;
        }
    }

    uint64_t _next = 0;
    uint64_t _window = 0;  // bit i: event _next-1-i arrived
};

}  // namespace ringcast::load

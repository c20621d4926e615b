// TimerWheel: targeted cases, then a randomized differential test against a
// plain std::multimap of deadlines. The reference knows nothing of levels or
// slots; the wheel must agree with it on which timers are pending, which fire in
// each advance(), in what order, and must keep next_due() a safe sleep bound.
#include "core/timer_wheel.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include <gtest/gtest.h>

#include "support/random.h"

namespace ringcast {
namespace {

constexpr uint64_t kMs = 1;
constexpr uint64_t kSecond = 1000 * kMs;
constexpr uint64_t kDay = 86'400 * kSecond;
constexpr uint64_t kYear = 365 * kDay;

std::vector<TimerNode*> advance_collect(TimerWheel& w, uint64_t to) {
    std::vector<TimerNode*> fired;
    size_t n = w.advance(to, [&](TimerNode* t) {
        EXPECT_FALSE(t->linked()) << "a fired node is unlinked before the callback";
        fired.push_back(t);
    });
    EXPECT_EQ(n, fired.size());
    return fired;
}

TEST(TimerWheel, EmptyWheel) {
    TimerWheel w(1000);
    EXPECT_EQ(w.size(), 0u);
    EXPECT_EQ(w.now(), 1000u);
    EXPECT_EQ(w.next_due(), TimerWheel::kNever);
    EXPECT_TRUE(advance_collect(w, 5000).empty());
    EXPECT_EQ(w.now(), 5000u);
    EXPECT_EQ(w.next_due(), TimerWheel::kNever);
}

TEST(TimerWheel, FiresAtTheDeadlineNotBefore) {
    TimerWheel w(0);
    TimerNode t;
    w.schedule(&t, 100);
    EXPECT_TRUE(t.linked());
    EXPECT_EQ(w.size(), 1u);
    EXPECT_LE(w.next_due(), 100u);
    EXPECT_TRUE(advance_collect(w, 99).empty());
    EXPECT_EQ(advance_collect(w, 100), std::vector<TimerNode*>{&t});
    EXPECT_FALSE(t.linked());
    EXPECT_EQ(w.size(), 0u);
    EXPECT_TRUE(advance_collect(w, 10'000).empty()) << "fires once";
}

TEST(TimerWheel, DeadlineInThePastFiresOnTheNextAdvance) {
    TimerWheel w(50'000);
    TimerNode past, now;
    w.schedule(&past, 10);
    w.schedule(&now, 50'000);
    EXPECT_LE(w.next_due(), 50'000u);
    auto fired = advance_collect(w, 50'000);
    EXPECT_EQ(fired.size(), 2u);
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, RescheduleReplacesTheDeadline) {
    TimerWheel w(0);
    TimerNode t;
    w.schedule(&t, 1000);
    w.schedule(&t, 10);  // earlier
    EXPECT_EQ(w.size(), 1u);
    EXPECT_EQ(advance_collect(w, 10), std::vector<TimerNode*>{&t});
    w.schedule(&t, 20);
    w.schedule(&t, 5 * kYear);  // later
    EXPECT_TRUE(advance_collect(w, 4 * kYear).empty());
    EXPECT_EQ(advance_collect(w, 5 * kYear), std::vector<TimerNode*>{&t});
}

TEST(TimerWheel, CancelPreventsFiringAndIsIdempotent) {
    TimerWheel w(0);
    TimerNode a, b;
    w.schedule(&a, 10);
    w.schedule(&b, 10);
    w.cancel(&a);
    w.cancel(&a);
    EXPECT_FALSE(a.linked());
    EXPECT_EQ(w.size(), 1u);
    EXPECT_EQ(advance_collect(w, 100), std::vector<TimerNode*>{&b});
    TimerNode never;
    w.cancel(&never);  // never scheduled
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, ManyTimersOnTheSameDeadlineAllFire) {
    TimerWheel w(7);
    std::vector<TimerNode> nodes(500);
    for (auto& n : nodes)
        w.schedule(&n, 7 + 3 * kDay);
    auto fired = advance_collect(w, 7 + 3 * kDay);
    EXPECT_EQ(fired.size(), nodes.size());
    std::sort(fired.begin(), fired.end());
    EXPECT_EQ(std::adjacent_find(fired.begin(), fired.end()), fired.end()) << "no node fires twice";
}

TEST(TimerWheel, FollowingNextDueReachesAFarDeadlineInFewSteps) {
    // next_due() may name an earlier time (a cascade), but following it must get
    // to the deadline without ever passing it and without stepping tick by tick.
    const uint64_t start = 123'456'789, deadline = start + 7 * kYear + 12'345;
    TimerWheel w(start);
    TimerNode t;
    w.schedule(&t, deadline);
    int steps = 0;
    size_t fired = 0;
    while (fired == 0) {
        uint64_t due = w.next_due();
        ASSERT_LE(due, deadline);
        ASSERT_GE(due, w.now());
        fired = w.advance(due, [](TimerNode*) {});
        ASSERT_LT(++steps, 2 * int(TimerWheel::kLevels) + 2);
    }
    EXPECT_EQ(w.now(), deadline);
}

TEST(TimerWheel, CallbackMayRescheduleItselfAndCancelOthers) {
    TimerWheel w(0);
    TimerNode a, b, c;
    w.schedule(&a, 10);
    w.schedule(&b, 10);
    w.schedule(&c, 10);
    std::vector<TimerNode*> fired;
    w.advance(10, [&](TimerNode* t) {
        fired.push_back(t);
        // Whichever fires first cancels the other two (both already due).
        if (fired.size() == 1) {
            for (TimerNode* o : {&a, &b, &c})
                if (o != t) w.cancel(o);
            w.schedule(t, 25);
        }
    });
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_TRUE(fired[0]->linked());
    EXPECT_EQ(w.size(), 1u);
    EXPECT_EQ(advance_collect(w, 25), std::vector<TimerNode*>{fired[0]});
}

TEST(TimerWheel, CallbackSchedulingIntoTheAdvancedRangeFiresInTheSameAdvance) {
    TimerWheel w(0);
    TimerNode a, b;
    w.schedule(&a, 10);
    std::vector<TimerNode*> fired;
    w.advance(100, [&](TimerNode* t) {
        fired.push_back(t);
        if (t == &a && fired.size() == 1) w.schedule(&b, 50);  // still within this advance
        if (t == &b) w.schedule(&a, 5);                        // already past: fires now too
    });
    EXPECT_EQ(fired, (std::vector<TimerNode*>{&a, &b, &a}));
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, ExtremeDeadlines) {
    TimerWheel w(0);
    TimerNode a, b, c;
    w.schedule(&a, uint64_t(1) << 63);
    w.schedule(&b, UINT64_MAX - 1);
    w.schedule(&c, UINT64_MAX);
    EXPECT_LE(w.next_due(), uint64_t(1) << 63);
    EXPECT_EQ(advance_collect(w, (uint64_t(1) << 63) - 1).size(), 0u);
    EXPECT_EQ(advance_collect(w, uint64_t(1) << 63), std::vector<TimerNode*>{&a});
    EXPECT_EQ(advance_collect(w, UINT64_MAX - 1), std::vector<TimerNode*>{&b});
    EXPECT_EQ(advance_collect(w, UINT64_MAX), std::vector<TimerNode*>{&c});
    EXPECT_EQ(w.now(), UINT64_MAX);
    EXPECT_EQ(w.size(), 0u);
}

TEST(TimerWheel, AdvanceToTheEndOfTimeOnAnEmptyWheelReturns) {
    TimerWheel w(5);
    EXPECT_EQ(w.advance(UINT64_MAX, [](TimerNode*) {}), 0u);
    EXPECT_EQ(w.now(), UINT64_MAX);
}

// --- differential test ---------------------------------------------------------

// How far ahead deadlines and advances reach in one scenario.
struct Horizon {
    const char* name;
    uint64_t start;
    uint64_t max_delay;  // schedule: now + [0, max_delay] (log-uniform)
    uint64_t max_step;   // advance: now + [0, max_step] (log-uniform)
    uint64_t max_past;   // schedule sometimes lands up to this far in the past
};

class Differential {
public:
    Differential(test::Rng& rng, const Horizon& h, size_t timers)
        : _rng(rng), _h(h), _wheel(h.start), _nodes(timers), _ref(timers) {}

    void run(int operations) {
        for (int op = 0; op < operations && !::testing::Test::HasFatalFailure(); ++op) {
            _op = op;
            uint64_t r = _rng.below(100);
            if (r < 45) {
                schedule(pick(), deadline_from(_wheel.now()), _wheel.now());
            } else if (r < 60) {
                cancel(pick());
            } else {
                advance(step_target());
            }
            check_state();
        }
        // Finally run everything out in one advance: each remaining timer fires
        // exactly once (callbacks no longer re-arm anything).
        _callback_actions = false;
        if (!_by_deadline.empty() && !::testing::Test::HasFatalFailure())
            advance(std::max(_wheel.now(), _by_deadline.rbegin()->first));
        check_state();
        EXPECT_EQ(_wheel.size(), 0u);
    }

    uint64_t fired() const { return _fired; }

private:
    struct Ref {
        bool pending = false;
        uint64_t deadline = 0;
        uint64_t effective = 0;  // max(deadline, wheel time when scheduled)
        std::multimap<uint64_t, size_t>::iterator it;
    };

    size_t pick() { return size_t(_rng.below(_nodes.size())); }
    size_t id_of(const TimerNode* t) const { return size_t(t - _nodes.data()); }

    // Log-uniform, so that both 3 ms and 3 years are common.
    uint64_t log_uniform(uint64_t max) {
        if (max == 0) return 0;
        unsigned bits = 64 - unsigned(__builtin_clzll(max));
        unsigned b = unsigned(_rng.below(bits + 1));
        uint64_t cap = b >= 64 ? UINT64_MAX : (uint64_t(1) << b) - 1;
        return _rng.between(0, std::min(cap, max));
    }
    uint64_t deadline_from(uint64_t now) {
        if (_h.max_past && _rng.chance(0.05)) return now - std::min(now, log_uniform(_h.max_past));
        return now + log_uniform(_h.max_delay);
    }
    uint64_t step_target() { return _wheel.now() + log_uniform(_h.max_step); }

    void schedule(size_t id, uint64_t at, uint64_t now) {
        Ref& r = _ref[id];
        if (r.pending) _by_deadline.erase(r.it);
        r.pending = true;
        r.deadline = at;
        r.effective = std::max(at, now);
        r.it = _by_deadline.emplace(at, id);
        _wheel.schedule(&_nodes[id], at);
    }

    void cancel(size_t id) {
        Ref& r = _ref[id];
        if (r.pending) _by_deadline.erase(r.it);
        r.pending = false;
        _wheel.cancel(&_nodes[id]);
    }

    void advance(uint64_t to) {
        _advance_to = to;
        _last_effective = 0;
        size_t calls = 0;
        size_t n = _wheel.advance(to, [&](TimerNode* t) {
            ++calls;
            on_fire(t);
        });
        ASSERT_EQ(n, calls) << "op " << _op;
        EXPECT_EQ(_wheel.now(), to) << "op " << _op;
        // Nothing whose deadline has been passed may still be pending.
        if (!_by_deadline.empty()) {
            ASSERT_GT(_by_deadline.begin()->first, to)
                << "op " << _op << ": timer " << _by_deadline.begin()->second << " due at "
                << _by_deadline.begin()->first << " did not fire by " << to;
        }
    }

    void on_fire(TimerNode* t) {
        size_t id = id_of(t);
        ASSERT_LT(id, _nodes.size());
        Ref& r = _ref[id];
        ASSERT_TRUE(r.pending) << "op " << _op << ": timer " << id << " fired but was not pending";
        ASSERT_FALSE(t->linked());
        ASSERT_LE(r.deadline, _advance_to) << "op " << _op << ": timer " << id << " fired early";
        ASSERT_GE(r.effective, _last_effective)
            << "op " << _op << ": timer " << id << " fired out of deadline order";
        _last_effective = r.effective;
        _by_deadline.erase(r.it);
        r.pending = false;
        ++_fired;
        if (!_callback_actions) return;

        // What connection code does from a timer callback: re-arm itself, move or
        // cancel other timers (including ones due in this very advance).
        const uint64_t now = r.effective;
        uint64_t a = _rng.below(100);
        if (a < 30) {
            // Rarely at "now" or in the past: it must then fire again in this advance.
            uint64_t at =
                _rng.chance(0.05) ? now - std::min(now, _rng.below(1000)) : deadline_from(now) + 1;
            schedule(id, at, now);
        }
        if (a >= 20 && a < 45) schedule(pick(), deadline_from(now), now);
        if (a >= 40 && a < 60) cancel(pick());
    }

    void check_state() {
        ASSERT_EQ(_wheel.size(), _by_deadline.size()) << "op " << _op;
        for (size_t i = 0; i < _nodes.size(); ++i)
            ASSERT_EQ(_nodes[i].linked(), _ref[i].pending) << "op " << _op << " timer " << i;
        uint64_t due = _wheel.next_due();
        if (_by_deadline.empty()) {
            ASSERT_EQ(due, TimerWheel::kNever) << "op " << _op;
        } else {
            // A safe sleep bound: never later than the earliest deadline (or now,
            // for a deadline already passed).
            uint64_t earliest = std::max(_by_deadline.begin()->first, _wheel.now());
            ASSERT_LE(due, earliest) << "op " << _op;
        }
    }

    test::Rng& _rng;
    Horizon _h;
    TimerWheel _wheel;
    std::vector<TimerNode> _nodes;
    std::vector<Ref> _ref;
    std::multimap<uint64_t, size_t> _by_deadline;
    uint64_t _advance_to = 0;
    uint64_t _last_effective = 0;
    uint64_t _fired = 0;
    bool _callback_actions = true;
    int _op = 0;
};

void PrintTo(const Horizon& h, std::ostream* os) {
    *os << h.name;
}

class TimerWheelDifferential : public ::testing::TestWithParam<Horizon> {};

TEST_P(TimerWheelDifferential, AgreesWithAMultimap) {
    RINGCAST_SEEDED_RNG(rng);
    Differential d(rng, GetParam(), 500);
    d.run(60'000);
    EXPECT_GT(d.fired(), 5'000u) << "the scenario should make timers fire";
}

INSTANTIATE_TEST_SUITE_P(
    Horizons, TimerWheelDifferential,
    ::testing::Values(
        // Heartbeats and request timeouts: milliseconds to a minute, small steps.
        Horizon{"ms", 0, 60 * kSecond, 2 * kSecond, 5 * kSecond},
        // A monotonic clock far from zero, deadlines minutes to days away.
        Horizon{"days", 987'654'321'000, 10 * kDay, kDay, kDay},
        // Anything up to decades, with advances that jump years at once.
        Horizon{"years", 1'700'000'000'000, 30 * kYear, 5 * kYear, kYear},
        // Near the top of the 64-bit range, where the highest level is used.
        // (Steps stay small enough that 60k operations cannot run past 2^64.)
        Horizon{"top", UINT64_MAX / 2, UINT64_MAX / 8, UINT64_MAX >> 20, 0}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace ringcast

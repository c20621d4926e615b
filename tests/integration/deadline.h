#pragma once
// A point in time by which a wait must end. Every blocking helper of the
// integration harness takes one, so no test can hang: a missed event becomes a
// failed assertion when its deadline passes.
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace ringcast::itest {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class Deadline {
public:
    explicit Deadline(Clock::duration d) : _at(Clock::now() + d) {}

    bool expired() const { return Clock::now() >= _at; }
    Clock::time_point at() const { return _at; }

    // Milliseconds left, rounded up, as a poll() timeout; 0 once expired.
    int poll_ms() const {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(_at - Clock::now()).count();
        return int(std::clamp<int64_t>(left, 0, 1'000'000));
    }
    // The sooner of this deadline and `ms` from now, as a poll() timeout.
    int poll_ms(int ms) const { return std::min(poll_ms(), ms); }

private:
    Clock::time_point _at;
};

// The default bound for one request/response exchange with the daemon.
inline constexpr Clock::duration kIoTimeout = 10s;

// Milliseconds elapsed since `t`.
inline int64_t ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

}  // namespace ringcast::itest

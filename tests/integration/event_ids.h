#pragma once
// Event ids the daemon assigns: "<epoch>-<sequence>", e.g. "mk3l0qab-17".
//
// One shard (the log) numbers every event of every channel with one sequence,
// starting at 1 with the first event published to the daemon, whatever its
// channel; the epoch (base 36 of the daemon's start time in ms, [0-9a-z]) is the
// same for every id of one daemon run. A publisher's own ids ("order-42") are
// sent unchanged, but their events still take a number in the sequence.
#include <cstdint>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace ringcast::itest {

// Whether `id` is "<[0-9a-z]+>-<digits>" (a sequence of 1 or more, no leading
// zero, fitting 64 bits): an id the daemon assigned.
inline bool is_daemon_id(std::string_view id) {
    size_t dash = id.rfind('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == id.size()) return false;
    for (char c : id.substr(0, dash))
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
    std::string_view digits = id.substr(dash + 1);
    if (digits[0] == '0' || digits.size() > 20) return false;
    uint64_t n = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
        uint64_t d = uint64_t(c - '0');
        if (n > (UINT64_MAX - d) / 10) return false;
        n = n * 10 + d;
    }
    return true;
}

// The sequence of a daemon-assigned id; 0, and a failed expectation, for
// anything that is not one.
inline uint64_t id_sequence(std::string_view id) {
    if (!is_daemon_id(id)) {
        ADD_FAILURE() << "not a daemon-assigned event id \"<epoch>-<sequence>\": \"" << id << "\"";
        return 0;
    }
    uint64_t n = 0;
    for (char c : id.substr(id.rfind('-') + 1))
        n = n * 10 + uint64_t(c - '0');
    return n;
}

// The epoch of a daemon-assigned id; empty, and a failed expectation, for
// anything that is not one.
inline std::string id_epoch(std::string_view id) {
    if (!is_daemon_id(id)) {
        ADD_FAILURE() << "not a daemon-assigned event id \"<epoch>-<sequence>\": \"" << id << "\"";
        return {};
    }
    return std::string(id.substr(0, id.rfind('-')));
}

// The id the daemon gives event number `sequence` in the run of `epoch`.
inline std::string event_id(std::string_view epoch, uint64_t sequence) {
    return std::string(epoch) + "-" + std::to_string(sequence);
}

}  // namespace ringcast::itest

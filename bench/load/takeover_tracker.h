#pragma once
// The takeover mode's per-stream accounting (takeover.cc): beside the stream's
// SeqTracker, which counts lost, duplicated and reordered events, a StreamWatch
// keeps what an upgrade costs one stream: the longest pause between two of its
// events, the longest publish -> arrival delay before the takeover request and
// from it on, and which event numbers it lost, so that the report can say where
// a loss fell against the request and the old daemon's exit. LossLog gathers
// the lost numbers of all streams of a worker (and, merged, of the run).
//
// Event numbers are the publisher's (one publisher in this mode); the sent time
// is the one in the event's data: its first publish attempt, so a publish sent
// again during the handover is timed from when it was first due.
#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "seq_tracker.h"

namespace ringcast::load {

struct LossLog {
    // Streams named in the report: the first ones, by global index.
    static constexpr size_t kNamedStreams = 10;

    std::map<uint64_t, uint64_t> events;  // event number -> streams that lost it
    uint64_t streams = 0;                 // streams that lost at least one event
    std::vector<uint64_t> named;          // the lowest global indices of those, sorted

    void add_stream(uint64_t index) {
        ++streams;
        named.insert(std::upper_bound(named.begin(), named.end(), index), index);
        if (named.size() > kNamedStreams) named.pop_back();
    }
    void merge(const LossLog& o) {
        for (const auto& [event, count] : o.events)
            events[event] += count;
        streams += o.streams;
        for (uint64_t i : o.named) {
            named.insert(std::upper_bound(named.begin(), named.end(), i), i);
            if (named.size() > kNamedStreams) named.pop_back();
        }
    }
};

class StreamWatch {
public:
    // One of our events, number `seq`, arrived at `now`; `next_before` is the
    // stream's SeqTracker::next() before it took the event and `outcome` what
    // it made of it. Every arrival counts for the pause and the delay (a
    // duplicate is bytes on the wire too); only fresh ones change the losses.
    void on_event(uint64_t seq, uint64_t next_before, SeqTracker::Outcome outcome, uint64_t sent_ns,
                  uint64_t now, LossLog& log) {
        if (_last_ns && now > _last_ns) _longest_ns = std::max(_longest_ns, now - _last_ns);
        _last_ns = now;
        if (now > sent_ns) _delay_ns = std::max(_delay_ns, now - sent_ns);
        if (outcome != SeqTracker::Outcome::fresh) return;
        if (seq > next_before) {
            for (uint64_t n = next_before; n < seq; ++n)
                ++log.events[n];
            _lost += seq - next_before;
        } else if (seq < next_before) {
            // It fills a gap counted as lost when a later event came first.
            auto it = log.events.find(seq);
            if (it != log.events.end() && --it->second == 0) log.events.erase(it);
            --_lost;
        }
    }

    // The takeover request: what was measured so far is the baseline delay;
    // the pause is measured afresh (from the last event before the request, so
    // a pause spanning the request counts whole).
    void mark() {
        _warm_delay_ns = _delay_ns;
        _delay_ns = 0;
        _longest_ns = 0;
    }

    // At the end: events [next, total) never came. Names the stream in the log
    // if it lost anything.
    void finish(uint64_t next, uint64_t total, uint64_t index, LossLog& log) {
        for (uint64_t n = next; n < total; ++n)
            ++log.events[n];
        if (total > next) _lost += total - next;
        if (_lost) log.add_stream(index);
    }

    uint64_t longest_ns() const { return _longest_ns; }
    uint64_t delay_ns() const { return _delay_ns; }
    uint64_t warm_delay_ns() const { return _warm_delay_ns; }
    uint64_t lost() const { return _lost; }

private:
    uint64_t _last_ns = 0;
    uint64_t _longest_ns = 0;
    uint64_t _delay_ns = 0;
    uint64_t _warm_delay_ns = 0;
    uint64_t _lost = 0;
};

}  // namespace ringcast::load

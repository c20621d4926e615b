// A subscriber stream's events, whichever protocol carries them: the
// text/event-stream scanning, the accounting of every event (sequence checks,
// latency, arrival), a stream's end, and the figures at the end of the run.
// The connections are in subscriber_pool.cc (HTTP/1.1) and
// subscriber_pool_h2.cc (HTTP/2).
#include <fmt/format.h>

#include "payload.h"
#include "stream_scan.h"
#include "subscriber_pool.h"

namespace ringcast::load {

namespace {

constexpr size_t kMaxCarry = 4u << 20;  // a larger incomplete event is a protocol error

}  // namespace

// How many of the global events 0..total-1 publisher p sends (p, p+K, ...).
uint64_t SubscriberPool::local_count(uint64_t total, uint32_t p) const {
    return total > p ? (total - p + _cfg.publishers - 1) / _cfg.publishers : 0;
}

void SubscriberPool::end_stream(uint32_t i, const std::string& why) {
    Conn& c = _conns[i];
    _done_streams += _cfg.publishers - streams_done_of(i);  // nothing more will come
    if (_cfg.replay_events && !c.replayed) {
        c.replayed = true;
        ++_replayed_streams;
    }
    c.state = State::closed;
    ++_result.disconnects;
    _last_error = why;
}

void SubscriberPool::drop_stream(uint32_t i, const std::string& why, uint64_t now) {
    Conn& c = _conns[i];
    if (!_cfg.h2_streams) {
        on_closed(i, why, now);
        return;
    }
    Link& k = _links[link_of(i)];
    if (k.session) k.session->cancel(c.h2_id);  // its close callback finds it closed
    if (c.connected) {
        end_stream(i, why);
    } else {
        fail_for_good(i, why);
    }
}

void SubscriberPool::on_stream_bytes(uint32_t i, const char* data, size_t len, uint64_t now) {
    Conn& c = _conns[i];
    auto handler = [&](std::string_view name, std::string_view payload) {
        on_event(i, name, payload, now);
    };
    if (c.carry.empty()) {
        // Fast path: whole events straight from the read buffer.
        size_t used = scan_events({data, len}, _scratch, _comments, handler);
        if (used < len) c.carry.assign(data + used, len - used);
    } else {
        c.carry.append(data, len);
        size_t used = scan_events(c.carry, _scratch, _comments, handler);
        c.carry.erase(0, used);
    }
    if (c.carry.size() > kMaxCarry && c.state == State::stream) {
        drop_stream(i, "an event larger than 4 MiB (protocol error?)", now);
        return;
    }
    if (c.carry.empty() && c.carry.capacity() > 4096) std::string().swap(c.carry);
}

void SubscriberPool::on_event(uint32_t i, std::string_view name, std::string_view data,
                              uint64_t now) {
    Conn& c = _conns[i];
    if (name == _cfg.event_name) {
        // A stream's events come after its `connected` event, replayed or live.
        if (!c.connected) ++_result.before_connected;
        on_our_event(i, data, now);
    } else if (name == "connected") {
        if (c.connected) return;
        c.connected = true;
        --_inflight_count;
        ++_result.connected;
        _result.last_connected_ns = now;
        if (_cfg.h2_streams) {
            Link& k = _links[link_of(i)];
            if (--k.waiting == 0) k.state = State::stream;
        }
    } else if (name == "heartbeat") {
        ++_result.heartbeats;
    } else if (name == "refresh") {
        ++_result.refreshes;  // the daemon could not replay what a resume asked for
    } else {
        ++_result.other_events;
    }
}

void SubscriberPool::on_our_event(uint32_t i, std::string_view data, uint64_t now) {
    uint64_t seq, ts;
    if (!decode_payload(data, &seq, &ts)) {
        ++_result.malformed;
        return;
    }
    if (ts < _cfg.run_start_ns) {
        ++_result.earlier_runs;
        return;
    }
    if (seq < _cfg.seq_base || seq - _cfg.seq_base >= _cfg.planned_events) {
        ++_result.delivery.unexpected;
        return;
    }
    seq -= _cfg.seq_base;
    const uint32_t k = _cfg.publishers;
    uint32_t p = uint32_t(seq % k);
    SeqTracker& t = _trackers[size_t(i) * k + p];
    const uint64_t next_before = t.next();
    auto outcome = t.on_event(seq / k, _first_measured[p], _result.delivery);
    if (_cfg.watch) _watches[i].on_event(seq, next_before, outcome, ts, now, _result.losses);
    if (outcome != SeqTracker::Outcome::fresh) return;
    if (t.next() == _final[p] && _conns[i].state == State::stream) ++_done_streams;
    if (seq < _cfg.warmup_events) return;
    Conn& c = _conns[i];
    if (_cfg.replay_events && !c.replayed && t.next() >= _cfg.replay_events) {
        // The stream is past its replay (whole, or with a loss the tracker
        // counted). Its time runs from the start of the attempt that got it.
        c.replayed = true;
        ++_replayed_streams;
        _result.replay_us.record(now > c.started_ns ? (now - c.started_ns) / 1000 : 0);
        if (now > _result.last_replayed_ns) _result.last_replayed_ns = now;
    }
    if (seq < _cfg.replay_events) return;  // its timestamp is from before the stream
    _result.latency_us.record(now > ts ? (now - ts) / 1000 : 0);
    if (_cfg.arrival) _result.arrival_us.record(_arrival_ns > ts ? (_arrival_ns - ts) / 1000 : 0);
    if (now > _result.last_rx_ns) _result.last_rx_ns = now;
}

// --- end of the run --------------------------------------------------------------------

uint64_t SubscriberPool::streams_done_of(uint32_t i) const {
    uint64_t done = 0;
    for (uint32_t p = 0; p < _cfg.publishers; ++p)
        if (_trackers[size_t(i) * _cfg.publishers + p].next() >= _final[p]) ++done;
    return done;
}

void SubscriberPool::set_published(uint64_t total) {
    for (uint32_t p = 0; p < _cfg.publishers; ++p)
        _final[p] = local_count(total, p);
    _done_streams = 0;
    for (uint32_t i = 0; i < _cfg.count; ++i)
        _done_streams += _conns[i].state == State::stream ? streams_done_of(i) : _cfg.publishers;
}

void SubscriberPool::mark_request() {
    for (StreamWatch& w : _watches)
        w.mark();
}

void SubscriberPool::finish() {
    for (uint32_t i = 0; i < _cfg.count; ++i) {
        // The watch first: it needs where the tracker stopped (one publisher
        // in the takeover mode, so the local numbers are the global ones).
        if (_cfg.watch) {
            StreamWatch& w = _watches[i];
            w.finish(_trackers[i * size_t(_cfg.publishers)].next(), _final[0], _cfg.first_index + i,
                     _result.losses);
            _result.pause_us.record(w.longest_ns() / 1000);
            _result.delay_us.record(w.delay_ns() / 1000);
            _result.warm_delay_us.record(w.warm_delay_ns() / 1000);
        }
        for (uint32_t p = 0; p < _cfg.publishers; ++p)
            _trackers[size_t(i) * _cfg.publishers + p].finish(_final[p], _first_measured[p],
                                                              _result.delivery);
    }
}

}  // namespace ringcast::load

#pragma once
// The publishing side of a run: events on an absolute schedule (event i is due
// at start + i/rate, so a late wake-up is caught up, never accumulated as
// drift) over K keep-alive connections with HTTP pipelining. Event i always
// travels on connection i % K: the daemon keeps the order of one connection's
// requests, and the subscribers check order per publisher on that basis.
//
// Each event's data carries its global sequence number and the CLOCK_MONOTONIC
// time at which its request was written. How late that was against the
// schedule (publisher lag) and how long the reply took (ack time) are
// recorded too, so a run where the generator itself fell behind is visible
// as such.
#include <cstdint>
#include <string>

#include "endpoint.h"
#include "histogram.h"

namespace ringcast::load {

struct PublisherConfig {
    Endpoint target;
    std::string path;
    std::string api_key;  // X-API-Key header when non-empty
    std::string channel;
    std::string event;
    unsigned payload = 256;
    bool persistent = false;  // "persistent": true in every event
    // Each event changes one alert (created in setup) instead of a publish;
    // `subscribers` then stands for the daemon's `sent`: every stream is targeted.
    bool alerts = false;
    uint64_t subscribers = 0;
    uint64_t first_seq = 0;  // event i carries seq first_seq + i in its data
    unsigned connections = 1;
    unsigned pipeline = 16;
    double rate = 100;
    uint64_t warmup_events = 0;
    uint64_t total_events = 0;
    uint64_t start_ns = 0;          // when event 0 is due
    uint64_t ack_timeout_ns = 0;    // after the last event is written
    uint64_t send_deadline_ns = 0;  // all events must be written by then
};

struct PublishResult {
    uint64_t written = 0;         // requests written (events 0..written-1)
    uint64_t acked = 0;           // 200 replies
    uint64_t ack_failures = 0;    // other replies, or none before the deadline
    uint64_t acked_measured = 0;  // 200 replies for measured events
    uint64_t daemon_sent = 0;     // sum of "sent" in replies to measured events
    uint64_t daemon_failed = 0;   // sum of "failed" in replies to measured events
    uint64_t last_write_ns = 0;
    std::string first_id;  // the id the daemon gave event 0 (if it said)
    Histogram lag_us;      // write time - scheduled time
    Histogram ack_us;      // reply time - write time
    std::string error;     // first error, empty if none
};

uint64_t scheduled_ns(uint64_t start_ns, double rate, uint64_t index);

PublishResult run_publisher(const PublisherConfig& cfg);

}  // namespace ringcast::load

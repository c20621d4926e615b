#pragma once
// What a subscriber worker reports to the parent at the end of a run, how it
// travels over the control channel, and how the parent adds them up.
#include <cstdint>
#include <string>
#include <vector>

#include "histogram.h"
#include "seq_tracker.h"

namespace ringcast::load {

struct WorkerResult {
    uint64_t connections = 0;        // assigned to this worker
    uint64_t connected = 0;          // that received their `connected` event
    uint64_t first_attempt_ns = 0;   // first connect() of the worker
    uint64_t last_connected_ns = 0;  // last `connected` event
    uint64_t retries = 0;            // connection attempts repeated
    uint64_t disconnects = 0;        // streams the server ended after they connected
    uint64_t heartbeats = 0;
    uint64_t other_events = 0;  // events with an unknown name
    uint64_t malformed = 0;     // our events whose data we could not decode
    uint64_t last_rx_ns = 0;    // latest arrival of a measured event
    uint64_t cpu_us = 0;        // the worker's own user+system CPU time
    DeliveryCounters delivery;
    Histogram latency_us;  // publish -> read by this process, measured events only
    Histogram arrival_us;  // publish -> arrival at the socket (kernel timestamp)

    // Lines to send: "result k=v ..." and "hist ...".
    std::vector<std::string> encode() const;
    // Applies one received line; false if it is not a result line.
    bool decode_line(const std::string& line);

    void merge(const WorkerResult& other);
};

}  // namespace ringcast::load

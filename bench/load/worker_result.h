#pragma once
// What a subscriber worker reports to the parent at the end of a run, how it
// travels over the control channel, and how the parent adds them up.
#include <cstdint>
#include <string>
#include <vector>

#include "histogram.h"
#include "seq_tracker.h"
#include "takeover_tracker.h"

namespace ringcast::load {

struct WorkerResult {
    uint64_t connections = 0;        // assigned to this worker
    uint64_t connected = 0;          // that received their `connected` event
    uint64_t first_attempt_ns = 0;   // first connect() of the worker
    uint64_t last_connected_ns = 0;  // last `connected` event
    uint64_t retries = 0;            // connection attempts repeated
    uint64_t disconnects = 0;        // streams the server ended after they connected
    uint64_t heartbeats = 0;
    uint64_t other_events = 0;      // events with an unknown name
    uint64_t malformed = 0;         // our events whose data we could not decode
    uint64_t last_rx_ns = 0;        // latest arrival of a measured event
    uint64_t cpu_us = 0;            // the worker's own user+system CPU time
    uint64_t refreshes = 0;         // `refresh` events (a resume the daemon could not serve)
    uint64_t before_connected = 0;  // our events that came before the stream's `connected`
    uint64_t earlier_runs = 0;      // events published before this run (a daemon not fresh)
    uint64_t last_replayed_ns = 0;  // resume-burst mode: the last stream past its replay
    uint64_t tls_handshakes = 0;    // --tls-target: handshakes completed
    uint64_t tls_resumed = 0;       // of which resumed a session (--tls-resume)
    DeliveryCounters delivery;
    Histogram latency_us;  // publish -> read by this process, measured events only
    Histogram arrival_us;  // publish -> arrival at the socket (kernel timestamp)
    Histogram replay_us;   // resume-burst mode: per stream, connect start -> whole replay
    // Takeover mode, one value per stream: its longest pause between two events
    // from the request on, its longest publish -> arrival delay from the request
    // on and before it; and the event numbers the streams lost.
    Histogram pause_us;
    Histogram delay_us;
    Histogram warm_delay_us;
    LossLog losses;

    // Lines to send: "result k=v ...", "hist ...", "arrival ...", "replay ...",
    // "pause ...", "delay ...", "warmdelay ...", "losses ...".
    std::vector<std::string> encode() const;
    // Applies one received line; false if it is not a result line.
    bool decode_line(const std::string& line);

    void merge(const WorkerResult& other);
};

}  // namespace ringcast::load

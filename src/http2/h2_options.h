#pragma once
// [http2] (docs/configuration.md): HTTP/2 with prior knowledge on the HTTP
// listeners, and its limits against the known HTTP/2 attacks.
#include <cstdint>

namespace ringcast {

struct H2Options {
    bool enabled = true;
    uint32_t max_concurrent_streams = 128;  // SETTINGS_MAX_CONCURRENT_STREAMS
    uint32_t max_header_list_size = 16384;  // SETTINGS_MAX_HEADER_LIST_SIZE, enforced
    uint32_t initial_window_size = 65535;   // SETTINGS_INITIAL_WINDOW_SIZE (request bodies)
    // Rapid reset (CVE-2023-44487): RST_STREAMs a client may send at once, and
    // per second after that; past it the connection gets GOAWAY.
    uint32_t reset_burst = 1000;
    uint32_t reset_rate = 33;
    uint32_t max_continuations = 8;    // CONTINUATION frames after one HEADERS
    uint32_t max_settings = 32;        // entries in one SETTINGS frame
    uint32_t max_outbound_ack = 1000;  // SETTINGS/PING ACKs waiting to be written
    // Bytes queued on the connection past which no stream's data is taken
    // from it: the rest waits in the streams' own queues, where the
    // slow-reader policy (delivery.queue_limit) applies.
    uint64_t connection_queue = 256 * 1024;
};

// What a shard's HTTP/2 connections did (/api/stats, /metrics).
struct H2Stats {
    uint64_t connections = 0;        // open now
    uint64_t streams = 0;            // open now
    uint64_t connections_total = 0;  // since start
    uint64_t streams_total = 0;
    uint64_t streams_reset = 0;      // ended by RST_STREAM from this side
    uint64_t streams_refused = 0;    // malformed or over a limit
    uint64_t connection_errors = 0;  // closed with a GOAWAY carrying an error (floods...)
};

}  // namespace ringcast

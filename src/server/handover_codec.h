#pragma once
// The bodies of handover messages (server/handover_socket.h): plain
// length-prefixed fields, little-endian, read back with every length checked.
// Both daemons are ringcastd builds on the same machine, so the format only
// has to be exact, not portable; the hello names its version.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http/handed_stream.h"

namespace ringcast {

// What the listeners message says about its fds: the first `http` are the
// HTTP listeners (shard order), then the publishing socket if `has_unix`.
struct HandedListeners {
    uint32_t http = 0;
    bool has_unix = false;
    bool has_metrics = false;  // [metrics] listen, after the socket
    // [tls] listen: the HTTPS listeners, last (shard order); encoded only when
    // not 0, so that a body without them is the one daemons before [tls] use.
    uint32_t https = 0;
};

// Where the handed streams resume: the old daemon's numbering when it stopped.
struct HandedPosition {
    std::string epoch;
    uint64_t last_sequence = 0;
};

std::string encode_listeners(const HandedListeners& l);
bool decode_listeners(std::string_view body, HandedListeners* out);

// The streams' state, in the order of the message's fds (HandedStream::fd is
// not encoded).
std::string encode_streams(std::span<const HandedStream> streams);
bool decode_streams(std::string_view body, std::vector<HandedStream>* out);

std::string encode_position(const HandedPosition& p);
bool decode_position(std::string_view body, HandedPosition* out);

}  // namespace ringcast

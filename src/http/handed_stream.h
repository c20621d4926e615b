#pragma once
// An SSE stream as one daemon hands it to the next during an upgrade
// (docs/operations.md, "Upgrade without a reconnect"): its socket, and what
// the new daemon needs to serve it exactly as before without asking the client
// anything. The position it resumes from is not here: every stream of one
// handover resumes from the same one, the log's last event (the old daemon
// stops numbering before it hands streams over).
#include <cstdint>
#include <string>
#include <vector>

namespace ringcast {

struct HandedStream {
    int fd = -1;                        // the socket (the holder closes it)
    std::string endpoint;               // the endpoint's path
    std::vector<std::string> channels;  // as admitted
    // Who the stream is: its token's claims as admitted ("" and false: anonymous).
    std::string user;
    bool authenticated = false;
    bool subscriber = false;
    std::vector<std::string> roles;
    std::vector<std::string> permissions;
    int64_t connected_at_ms = 0;   // wall clock: when the stream opened
    int64_t ends_at_ms = 0;        // wall clock: end of its lifetime; 0: none
    bool ends_with_token = false;  // the end is its token's (token-expired is sent)
    std::string client;            // the client a trusted proxy named; "": the peer
    // Its counts under the connection limits (per IP, per user: ops/limiter.h),
    // counted again by the new daemon's limiter.
    std::vector<std::string> limit_holds;
};

}  // namespace ringcast

#pragma once
// One request line of the socket protocol as its reply needs it: its "req" (echoed
// back) or, without one, its line number (named by an error line).
#include <cstdint>
#include <string>

namespace ringcast {

struct SocketRequest {
    std::string req;  // "req" as compact JSON; empty: fire-and-forget
    uint64_t line = 0;
    bool answered() const { return !req.empty(); }
};

}  // namespace ringcast

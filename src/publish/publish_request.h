#pragma once
// PublishServer's per-request record, shared by its parts (publish_server.cc,
// socket_publish.cc, socket_queries.cc).
#include <cstdint>
#include <string>

#include "publish/publish_server.h"

namespace ringcast {

struct PublishServer::Request {
    std::string req;  // "req" as compact JSON; empty: fire-and-forget
    uint64_t line = 0;
    bool answered() const { return !req.empty(); }
};

}  // namespace ringcast

#pragma once
// Publishing over the daemon's Unix socket (docs/protocol.md) instead of HTTP,
// with the project's C++ client (include/ringcast/client.h): the same schedule,
// payloads, ordering (event i on connection i % K) and result as run_publisher(),
// so a run can compare the two publish paths side by side.
#include <string>

#include "publisher.h"

namespace ringcast::load {

PublishResult run_unix_publisher(const PublisherConfig& cfg, const std::string& socket_path);

}  // namespace ringcast::load

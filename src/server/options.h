#pragma once
// Turns the operator's Config into each layer's options.
#include "config/config.h"
#include "server/shard.h"

namespace ringcast {

// `direct_files` is the per-shard connection table size the daemon settled on.
ShardOptions shard_options(const Config& cfg, unsigned direct_files);

}  // namespace ringcast

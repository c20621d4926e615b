#pragma once
// Turns the operator's Config into each layer's options.
#include <memory>

#include "auth/token_verifier.h"
#include "config/config.h"
#include "server/shard.h"
#include "store/store_options.h"

namespace ringcast {

// `direct_files` is the per-shard connection table size the daemon settled on;
// `verifier` (make_token_verifier) is shared by every shard.
ShardOptions shard_options(const Config& cfg, unsigned direct_files,
                           std::shared_ptr<const TokenVerifier> verifier);

// [store], with a relative path resolved against server.data_dir (path "" stays
// "": no store).
StoreOptions store_options(const Config& cfg);

}  // namespace ringcast

#pragma once
// Turns the operator's Config into each layer's options.
#include <memory>

#include "auth/token_verifier.h"
#include "config/config.h"
#include "server/auth_setup.h"
#include "server/shard.h"
#include "store/store_options.h"
#include "web/web_pages.h"

namespace ringcast {

// `direct_files` is the per-shard connection table size the daemon settled on;
// `auth` (make_auth: the verifier, the stream-token signer) is shared by every
// shard. The TLS context (server/tls_setup.h) is set by the caller:
// transport.tls.
ShardOptions shard_options(const Config& cfg, unsigned direct_files, const AuthSetup& auth);

// Streams allowed at once (server.max_connections, capped by what the
// shards' connection tables hold; logs when it caps).
uint64_t stream_limit(uint64_t configured, unsigned table, unsigned shards);

// [web], serving `embedded` unless web.root names a folder (made absolute here,
// against the working directory).
WebOptions web_options(const Config& cfg, std::span<const EmbeddedFile> embedded);

// [store], with a relative path resolved against server.data_dir (path "" stays
// "": no store).
StoreOptions store_options(const Config& cfg);

}  // namespace ringcast

#pragma once
// Pages read from a folder at each request ([web] root), for developers who
// rebuild pages (node web/build.mjs --watch --outdir DIR) and reload the
// browser without rebuilding or restarting the daemon. Reading blocks on the
// disk, so the blocking worker does it (core/blocking_worker.h), never a shard.
//
// Every name is opened with openat2(RESOLVE_BENEATH): whatever a path holds
// (the path rules of web_path.h already refuse "..") and whatever symlinks the
// folder holds, nothing outside the root is ever opened. A symlink that leads
// out is not found, and logged.
#include <cstdint>
#include <string>

#include "web/web_lookup.h"
#include "web/web_path.h"

namespace ringcast {

// A file larger than this is not served from a web root (500, logged).
inline constexpr uint64_t kMaxWebRootFile = 64ull << 20;

// Whether `root` can serve pages: an existing folder this process may read and
// search. False with *why saying which and why ("no such directory"...).
bool check_web_root(const std::string& root, std::string* why);

// Resolves `path` under `root` (web_lookup.h) and reads the file it names, with
// its gzip form when `want_gzip`. Blocks: for the worker.
WebLookup read_web_root(const std::string& root, const WebPath& path, bool want_gzip);

}  // namespace ringcast

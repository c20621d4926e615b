#pragma once
// The pages on one shard ([web]): the embedded files (embedded_files.h),
// looked up at once, or a web root (web_root.h), read on the blocking worker
// with the answer back on this shard. HttpServer routes to them the paths the
// API does not know (web_path.h says which are the pages') and writes the
// answer (web_response.h).
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/blocking_worker.h"
#include "web/embedded_files.h"
#include "web/web_lookup.h"
#include "web/web_path.h"

namespace ringcast {

struct WebOptions {
    bool enabled = true;  // false: no pages; their paths are 404 like any unknown path
    // A folder read at each request instead of the embedded files; "" = the
    // embedded ones. Absolute (the daemon resolves it at start).
    std::string root;
    std::span<const EmbeddedFile> files;  // the embedded pages, sorted by path
};

// The pages the embedded files hold (each <page>/ with an index.html), sorted.
std::vector<std::string> embedded_pages(std::span<const EmbeddedFile> files);

class WebPages {
public:
    // `worker` reads a web root (it may be null without one); `shard` is the
    // caller's, where answers complete.
    WebPages(const WebOptions& opts, BlockingWorker* worker, unsigned shard);

    bool enabled() const { return _opts.enabled; }
    // A reload: [web] enabled and root, for the next request.
    void apply(const WebOptions& next) { _opts = next; }
    // Whether resolving `path` means reading the disk: read() then, else find().
    bool reads_disk(const WebPath& path) const;
    WebLookup find(const WebPath& path) const;
    // On the worker; `done` runs on this shard, in its loop.
    void read(const WebPath& path, bool want_gzip, std::function<void(WebLookup&&)> done);

private:
    WebOptions _opts;
    BlockingWorker* _worker;
    unsigned _shard;
};

}  // namespace ringcast

#include "web/web_pages.h"

#include <algorithm>

#include "web/content_type.h"
#include "web/web_root.h"

namespace ringcast {

namespace {

// One read of a web root: on the worker, then its answer on the shard.
class RootRead final : public BlockingJob {
public:
    RootRead(std::string root, WebPath path, bool want_gzip, std::function<void(WebLookup&&)> done)
        : _root(std::move(root))
        , _path(std::move(path))
        , _want_gzip(want_gzip)
        , _done(std::move(done)) {}
    void work() override { _found = read_web_root(_root, _path, _want_gzip); }
    void complete() override { _done(std::move(_found)); }

private:
    std::string _root;
    WebPath _path;
    bool _want_gzip;
    std::function<void(WebLookup&&)> _done;
    WebLookup _found;
};

}  // namespace

std::vector<std::string> embedded_pages(std::span<const EmbeddedFile> files) {
    std::vector<std::string> pages;
    for (const EmbeddedFile& f : files) {
        const size_t slash = f.path.find('/');
        if (slash != std::string_view::npos && f.path.substr(slash) == "/index.html")
            pages.emplace_back(f.path.substr(0, slash));
    }
    std::sort(pages.begin(), pages.end());
    return pages;
}

WebPages::WebPages(const WebOptions& opts, BlockingWorker* worker, unsigned shard)
    : _opts(opts), _worker(worker), _shard(shard) {}

bool WebPages::reads_disk(const WebPath& path) const {
    return !_opts.root.empty() &&
           (path.kind == WebPath::Kind::page || path.kind == WebPath::Kind::page_file);
}

WebLookup WebPages::find(const WebPath& path) const {
    return resolve_web_path(path, [this](const std::string& rel, WebLookup* out) {
        if (!_opts.root.empty()) return false;  // (reads_disk() sends those to read())
        auto it = std::lower_bound(
            _opts.files.begin(), _opts.files.end(), rel,
            [](const EmbeddedFile& f, const std::string& key) { return f.path < key; });
        if (it == _opts.files.end() || it->path != rel) return false;
        if (out) {
            out->kind = WebLookup::Kind::file;
            out->file = {content_type_for(it->path), it->bytes, it->gzip, it->hash};
        }
        return true;
    });
}

void WebPages::read(const WebPath& path, bool want_gzip, std::function<void(WebLookup&&)> done) {
    _worker->submit(_shard,
                    std::make_unique<RootRead>(_opts.root, path, want_gzip, std::move(done)));
}

}  // namespace ringcast

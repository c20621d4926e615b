#include "ops/directory.h"

#include <charconv>

#include "core/shard_gather.h"

namespace ringcast {

bool parse_connection_id(std::string_view id, unsigned* shard, uint64_t* serial) {
    if (id.size() < 4 || id[0] != 'c') return false;
    size_t dash = id.find('-');
    if (dash == std::string_view::npos) return false;
    auto [p1, e1] = std::from_chars(id.data() + 1, id.data() + dash, *shard);
    auto [p2, e2] = std::from_chars(id.data() + dash + 1, id.data() + id.size(), *serial);
    return e1 == std::errc() && p1 == id.data() + dash && e2 == std::errc() &&
           p2 == id.data() + id.size();
}

void Directory::query(DirectoryRequest r, unsigned shard, Done done) {
    const bool one = r.kind == DirectoryRequest::Kind::connection ||
                     r.kind == DirectoryRequest::Kind::disconnect_connection;
    // What each shard reads of the question travels by value with its call.
    std::vector<ShardAsk<DirectoryPart>> asks;
    auto ask = [q = r](Reactor& s) { return s.local<Directory>().answer(q); };
    if (one) {
        asks.push_back({shard, ask});
    } else {
        for (unsigned s = 0; s < _reactor.shards(); ++s)
            asks.push_back({s, ask});
    }
    gather<DirectoryPart>(
        _reactor, std::move(asks),
        [r = std::move(r), done = std::move(done)](std::vector<DirectoryPart>& parts) mutable {
            for (DirectoryPart& part : parts) {
                for (std::string& c : part.connections)
                    r.result.connections.push_back(std::move(c));
                r.result.closed += part.closed;
            }
            done(r);
        });
}

// Runs on the shard that holds the connections.
DirectoryPart Directory::answer(const DirectoryRequest& r) {
    DirectoryPart part;
    if (!_catalog) return part;
    _transport.for_each_connection([&](Connection& c) {
        bool hit = false;
        switch (r.kind) {
            case DirectoryRequest::Kind::connection:
            case DirectoryRequest::Kind::disconnect_connection: hit = c.serial() == r.serial; break;
            case DirectoryRequest::Kind::user:
            case DirectoryRequest::Kind::disconnect_user:
                hit = !r.user.empty() && _catalog->user_of(c) == r.user;
                break;
        }
        if (!hit || !c.is_open()) return;
        std::string json;
        JsonWriter w(json);
        if (!_catalog->describe(c, w)) return;  // not a stream (an API request, say)
        if (r.kind == DirectoryRequest::Kind::disconnect_connection ||
            r.kind == DirectoryRequest::Kind::disconnect_user) {
            _transport.close(c, true);  // flush what is queued, then close
            ++part.closed;
        } else {
            part.connections.push_back(std::move(json));
        }
    });
    return part;
}

}  // namespace ringcast

#include "ops/directory.h"

#include <algorithm>
#include <charconv>
#include <queue>

#include <fmt/format.h>

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

namespace {

// The shards' pages, in shard order, made one: the first r.limit streams of
// them, and the id of the last one as `next` when any stream follows it.
void merge_list(DirectoryRequest& r, std::vector<DirectoryPart>& parts) {
    bool more = false;
    for (unsigned s = 0; s < parts.size(); ++s) {
        DirectoryPart& part = parts[s];
        r.result.total += part.total;
        for (size_t i = 0; i < part.connections.size(); ++i) {
            if (r.result.connections.size() == r.limit) {
                more = true;
                break;
            }
            r.result.connections.push_back(std::move(part.connections[i]));
            r.next = fmt::format("c{}-{}", s, part.serials[i]);
        }
        more = more || part.more;
    }
    if (!more) r.next.clear();
}

}  // namespace

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
            if (r.kind == DirectoryRequest::Kind::list) {
                merge_list(r, parts);
            } else {
                for (DirectoryPart& part : parts) {
                    for (std::string& c : part.connections)
                        r.result.connections.push_back(std::move(c));
                    r.result.closed += part.closed;
                }
            }
            done(r);
        });
}

// Runs on the shard that holds the connections.
DirectoryPart Directory::answer(const DirectoryRequest& r) {
    DirectoryPart part;
    if (!_catalog) return part;
    if (r.kind == DirectoryRequest::Kind::list) return list_part(r);
    _transport.for_each_connection([&](Connection& c) {
        bool hit = false;
        switch (r.kind) {
            case DirectoryRequest::Kind::connection:
            case DirectoryRequest::Kind::disconnect_connection: hit = c.serial() == r.serial; break;
            case DirectoryRequest::Kind::list: break;  // list_part()
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

// The shard's list is in no useful order (newest first, with holes), so the
// page is chosen in one walk: a max-heap keeps the `limit` smallest serials
// after the cursor, and only those are described. Work is one pass over the
// shard's connections and memory O(limit), whatever the shard holds.
DirectoryPart Directory::list_part(const DirectoryRequest& r) {
    DirectoryPart part;
    const unsigned here = _reactor.id();
    // Shards before the cursor's have nothing on this page; on the cursor's,
    // the page starts after its serial.
    const bool skip_all = r.after.set && here < r.after.shard;
    const uint64_t after = r.after.set && here == r.after.shard ? r.after.serial : 0;
    const bool from_start = !r.after.set || here > r.after.shard;
    std::priority_queue<std::pair<uint64_t, Connection*>> page;  // largest serial on top
    _transport.for_each_connection([&](Connection& c) {
        if (!c.is_open() || !_catalog->is_stream(c)) return;
        ++part.total;
        if (skip_all || (!from_start && c.serial() <= after)) return;
        if (page.size() < r.limit) {
            page.emplace(c.serial(), &c);
        } else if (r.limit > 0 && c.serial() < page.top().first) {
            page.pop();
            page.emplace(c.serial(), &c);
            part.more = true;
        } else {
            part.more = true;
        }
    });
    std::vector<std::pair<uint64_t, Connection*>> chosen;
    chosen.reserve(page.size());
    for (; !page.empty(); page.pop())
        chosen.push_back(page.top());
    std::reverse(chosen.begin(), chosen.end());
    for (auto& [serial, c] : chosen) {
        std::string json;
        JsonWriter w(json);
        if (!_catalog->describe(*c, w)) continue;
        part.connections.push_back(std::move(json));
        part.serials.push_back(serial);
    }
    return part;
}

}  // namespace ringcast

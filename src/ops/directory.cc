#include "ops/directory.h"

#include <charconv>

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

void Directory::query(DirectoryRequest* r, unsigned shard) {
    bool one = r->kind == DirectoryRequest::Kind::connection ||
               r->kind == DirectoryRequest::Kind::disconnect_connection;
    if (one) {
        r->pending = 1;
        if (shard == _reactor.id()) {
            add_part(r, answer(*r));
        } else {
            _reactor.send(shard, MeshMsg{kDirQuery, 0, 0, to_word(r), 0});
        }
        return;
    }
    r->pending = _reactor.shards();
    for (unsigned s = 0; s < _reactor.shards(); ++s)
        if (s != _reactor.id()) _reactor.send(s, MeshMsg{kDirQuery, 0, 0, to_word(r), 0});
    add_part(r, answer(*r));
}

// Runs on the shard that holds the connections. Reads only immutable fields of
// the request (kind, user, serial), which the asker wrote before sending it.
DirectoryPart* Directory::answer(const DirectoryRequest& r) {
    auto* part = new DirectoryPart;
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
            ++part->closed;
        } else {
            part->connections.push_back(std::move(json));
        }
    });
    return part;
}

void Directory::add_part(DirectoryRequest* r, DirectoryPart* part) {
    for (auto& c : part->connections)
        r->result.connections.push_back(std::move(c));
    r->result.closed += part->closed;
    delete part;
    if (--r->pending > 0) return;
    if (r->done) r->done(*r, r->ctx);
    delete r;
}

bool Directory::on_message(const MeshMsg& m) {
    switch (m.kind) {
        case kDirQuery: {
            auto* r = from_word<DirectoryRequest>(m.a);
            _reactor.send(m.from, MeshMsg{kDirReply, 0, 0, m.a, to_word(answer(*r))});
            return true;
        }
        case kDirReply:
            add_part(from_word<DirectoryRequest>(m.a), from_word<DirectoryPart>(m.b));
            return true;
        default: return false;
    }
}

}  // namespace ringcast

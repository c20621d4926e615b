#pragma once
// Finding SSE connections across shards: by connection id, by user, all of them
// a page at a time, and closing them (the socket protocol's connection, user,
// connections and disconnect ops).
//
// Like stats, a query is answered by message: the asking shard sends it to the
// shard that holds the connection (its id names the shard: "c<shard>-<serial>") or
// to every shard (user queries), each answers from its own connections, and the
// asking shard assembles the reply. Connections are found by walking the shard's
// list rather than through an index: these are operator queries, rare next to
// events, and an index would cost memory on every idle connection.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.h"
#include "core/reactor.h"
#include "net/transport.h"

namespace ringcast {

// What the protocol layer that owns streams tells the directory about them.
class StreamCatalog {
public:
    virtual ~StreamCatalog() = default;
    // Writes the connection's description as a JSON object if it is a stream.
    virtual bool describe(const Connection& c, JsonWriter& w) const = 0;
    // The user on a stream ("" if anonymous or not a stream).
    virtual std::string_view user_of(const Connection& c) const = 0;
    // Whether the connection is a stream (describe() would write it).
    virtual bool is_stream(const Connection& c) const = 0;
};

struct DirectoryPart {
    std::vector<std::string> connections;  // JSON objects
    uint64_t closed = 0;
    // A list: the serials of `connections` (ascending), the shard's streams in
    // all, and whether streams beyond the page's limit follow the last one.
    std::vector<uint64_t> serials;
    uint64_t total = 0;
    bool more = false;
};

// Where a page of the connection list starts: after this connection, in the
// order of shard, then serial. The connection need not exist any more.
struct ListCursor {
    bool set = false;  // false: from the first stream
    unsigned shard = 0;
    uint64_t serial = 0;
};

// The limits of a page of the connection list (GET /api/connections, the
// connections op): documented in docs/protocol.md.
inline constexpr uint32_t kListDefaultLimit = 100;
inline constexpr uint32_t kListMaxLimit = 1000;

// A question and, once the shards answered, its answer.
struct DirectoryRequest {
    enum class Kind : uint8_t { connection, user, list, disconnect_connection, disconnect_user };
    Kind kind = Kind::connection;
    std::string user;                    // user queries
    uint64_t serial = 0;                 // connection queries
    std::string label;                   // the asker's own note (the id it was asked for, say)
    ListCursor after;                    // list: the page starts after it
    uint32_t limit = kListDefaultLimit;  // list: at most this many
    // The answer. A list: the page (at most `limit`, in order), `total` the
    // streams on every shard, `next` the id to ask after ("" on the last page).
    DirectoryPart result;
    std::string next;
};

// "c<shard>-<serial>" -> shard and serial; false if it is not such an id.
bool parse_connection_id(std::string_view id, unsigned* shard, uint64_t* serial);

class Directory {
public:
    using Done = std::function<void(DirectoryRequest& r)>;

    Directory(Reactor& reactor, Transport& transport) : _reactor(reactor), _transport(transport) {}
    void set_catalog(const StreamCatalog* catalog) { _catalog = catalog; }

    // Asks the shard `shard` (a connection kind: the one that holds it) or every
    // shard (a user or list kind), with shard calls; `done` runs on this shard with the
    // parts merged into r.result, never inside query().
    void query(DirectoryRequest r, unsigned shard, Done done);
    // This shard's part of the answer (on its own thread): the streams it holds
    // that match, described, or closed for a disconnect.
    DirectoryPart answer(const DirectoryRequest& r);

private:
    // This shard's part of a list: at most r.limit streams after the cursor.
    DirectoryPart list_part(const DirectoryRequest& r);

    Reactor& _reactor;
    Transport& _transport;
    const StreamCatalog* _catalog = nullptr;
};

}  // namespace ringcast

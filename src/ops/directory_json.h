#pragma once
// The directory's requests and answers as JSON, one reading and one writing for
// both protocols: the socket's connection / user / connections / disconnect ops
// and the HTTP API's GET /api/connections/{id}, GET /api/users/{id}, GET
// /api/connections, POST /api/disconnect.
#include <string>
#include <string_view>

#include <simdjson.h>

#include "ops/directory.h"

namespace ringcast {

enum class DirectoryAsk : uint8_t {
    ok,             // *q and *shard are set: query it
    invalid_field,  // *error says which field
    not_found,      // a connection op naming no connection: *error says so
};

// Reads a request object for `op` ("connection", "user", "connections" or
// "disconnect"): connection: "id" or "connectionId"; user: "userId";
// connections: optional "limit" and "after"; disconnect: exactly one of
// "connectionId" and "userId". `here` is the asking shard, `shards` how many
// there are; *shard is where to send the query. A disconnect of an id that
// names no connection asks nothing of anyone (*shard = here, serial 0: it
// answers 0).
DirectoryAsk read_directory_request(std::string_view op, simdjson::dom::object obj, unsigned here,
                                    unsigned shards, DirectoryRequest* q, unsigned* shard,
                                    std::string* error);

// A list's page size: "limit" text (an HTTP query parameter) must be an
// integer from 1 to kListMaxLimit; absent: kListDefaultLimit. False with *error
// naming the field otherwise.
bool read_list_limit(std::string_view text, DirectoryRequest* q, std::string* error);
// A list's cursor: "after" must be a connection id of one of `shards` shards
// (the connection itself may be gone). False with *error otherwise.
bool read_list_after(std::string_view id, unsigned shards, DirectoryRequest* q, std::string* error);

// A connection query for the id `id` ("c<shard>-<serial>"); false if it names
// no shard of `shards` (not_found).
bool connection_request(std::string_view id, unsigned shards, DirectoryRequest* q, unsigned* shard);

// The answer's members, each after a comma (`,"connection":{...}`), ready to
// follow the socket's `"ok":true`, or to become an object of their own. False
// when a connection query found nothing (not_found, q.label names the id).
bool write_directory_answer(const DirectoryRequest& q, std::string* members);

}  // namespace ringcast

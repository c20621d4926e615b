#include "ops/directory_json.h"

#include <fmt/format.h>

#include "core/json_writer.h"
#include "pubsub/message_json.h"

namespace ringcast {

bool connection_request(std::string_view id, unsigned shards, DirectoryRequest* q,
                        unsigned* shard) {
    q->kind = DirectoryRequest::Kind::connection;
    q->label.assign(id);  // quoted by a not_found answer
    return parse_connection_id(id, shard, &q->serial) && *shard < shards;
}

DirectoryAsk read_directory_request(std::string_view op, simdjson::dom::object obj, unsigned here,
                                    unsigned shards, DirectoryRequest* q, unsigned* shard,
                                    std::string* error) {
    *shard = here;
    // A member is given when it is there and not null (null counts as absent, as
    // in every request); a connection id given must be a string.
    auto given = [&](std::string_view key, simdjson::dom::element* out) {
        return obj[key].get(*out) == simdjson::SUCCESS && !out->is_null();
    };
    simdjson::dom::element id_value, user;
    const char* id_key = "connectionId";
    bool has_id = given("connectionId", &id_value);
    if (!has_id && op == "connection" && given("id", &id_value)) {
        has_id = true;
        id_key = "id";
    }
    std::string_view id;
    if (has_id && id_value.get_string().get(id) != simdjson::SUCCESS) {
        *error = fmt::format("\"{}\" must be a connection id string, like \"c1-42\"", id_key);
        return DirectoryAsk::invalid_field;
    }
    const bool has_user = given("userId", &user);
    if (op == "connection") {
        if (!has_id) {
            *error = "\"id\" (the connection id, like \"c1-42\") is required";
            return DirectoryAsk::invalid_field;
        }
        if (!connection_request(id, shards, q, shard)) {
            *error = fmt::format("no connection \"{}\"", id);
            return DirectoryAsk::not_found;
        }
        return DirectoryAsk::ok;
    }
    if (op == "user") {
        q->kind = DirectoryRequest::Kind::user;
        if (!has_user || !read_user_id(user, &q->user)) {
            *error = "\"userId\" (a non-empty string or an integer) is required";
            return DirectoryAsk::invalid_field;
        }
        return DirectoryAsk::ok;
    }
    if (has_id == has_user) {
        *error = "give exactly one of \"connectionId\" and \"userId\"";
        return DirectoryAsk::invalid_field;
    }
    if (has_user) {
        q->kind = DirectoryRequest::Kind::disconnect_user;
        if (!read_user_id(user, &q->user)) {
            *error = "\"userId\" must be a non-empty string or an integer";
            return DirectoryAsk::invalid_field;
        }
        return DirectoryAsk::ok;
    }
    q->kind = DirectoryRequest::Kind::disconnect_connection;
    q->label.assign(id);
    if (!parse_connection_id(id, shard, &q->serial) || *shard >= shards) {
        q->serial = 0;  // no such connection: answers 0
        *shard = here;
    }
    return DirectoryAsk::ok;
}

bool write_directory_answer(const DirectoryRequest& q, std::string* members) {
    std::string& out = *members;
    switch (q.kind) {
        case DirectoryRequest::Kind::connection:
            if (q.result.connections.empty()) return false;
            out = ",\"connection\":" + q.result.connections.front();
            return true;
        case DirectoryRequest::Kind::user: {
            out = ",\"userId\":";
            JsonWriter(out).value(q.user);
            out += ",\"connected\":";
            out += q.result.connections.empty() ? "false" : "true";
            out += ",\"connections\":[";
            for (size_t i = 0; i < q.result.connections.size(); ++i) {
                if (i) out += ',';
                out += q.result.connections[i];
            }
            out += ']';
            return true;
        }
        case DirectoryRequest::Kind::disconnect_connection:
        case DirectoryRequest::Kind::disconnect_user:
            out = fmt::format(",\"disconnected\":{}", q.result.closed);
            return true;
    }
    return true;
}

}  // namespace ringcast

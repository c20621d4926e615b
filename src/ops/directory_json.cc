#include "ops/directory_json.h"

#include <charconv>

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

namespace {

std::string limit_error() {
    return fmt::format("\"limit\" must be an integer from 1 to {} (default {})", kListMaxLimit,
                       kListDefaultLimit);
}

bool set_limit(uint64_t n, DirectoryRequest* q, std::string* error) {
    if (n < 1 || n > kListMaxLimit) {
        *error = limit_error();
        return false;
    }
    q->limit = uint32_t(n);
    return true;
}

}  // namespace

bool read_list_limit(std::string_view text, DirectoryRequest* q, std::string* error) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || p != text.data() + text.size()) {
        *error = limit_error();
        return false;
    }
    return set_limit(n, q, error);
}

bool read_list_after(std::string_view id, unsigned shards, DirectoryRequest* q,
                     std::string* error) {
    if (!parse_connection_id(id, &q->after.shard, &q->after.serial) || q->after.shard >= shards) {
        *error = "\"after\" must be a connection id from a page's \"next\", like \"c1-42\"";
        return false;
    }
    q->after.set = true;
    return true;
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
    if (op == "connections") {
        q->kind = DirectoryRequest::Kind::list;
        simdjson::dom::element limit, after;
        if (given("limit", &limit)) {
            uint64_t n = 0;
            if (limit.get_uint64().get(n) != simdjson::SUCCESS) {
                *error = limit_error();
                return DirectoryAsk::invalid_field;
            }
            if (!set_limit(n, q, error)) return DirectoryAsk::invalid_field;
        }
        if (given("after", &after)) {
            std::string_view id;
            if (after.get_string().get(id) != simdjson::SUCCESS ||
                !read_list_after(id, shards, q, error)) {
                if (error->empty())
                    *error =
                        "\"after\" must be a connection id from a page's \"next\", like "
                        "\"c1-42\"";
                return DirectoryAsk::invalid_field;
            }
        }
        return DirectoryAsk::ok;
    }
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
        case DirectoryRequest::Kind::list: {
            out = fmt::format(",\"total\":{},\"connections\":[", q.result.total);
            for (size_t i = 0; i < q.result.connections.size(); ++i) {
                if (i) out += ',';
                out += q.result.connections[i];
            }
            out += "],\"next\":";
            if (q.next.empty()) {
                out += "null";
            } else {
                JsonWriter(out).value(q.next);
            }
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

#include "client/reply_reader.h"

#include "client/request_writer.h"

namespace ringcast::client {

namespace {

using simdjson::SUCCESS;
using simdjson::dom::element;
using simdjson::dom::object;

// The "error" member of a failed reply: {"code": ..., "message": ..., "field"?}.
bool read_error(object obj, std::string& code, std::string& message, std::string* field = nullptr) {
    object err;
    std::string_view c, m, f;
    if (obj["error"].get_object().get(err) != SUCCESS) return false;
    if (err["code"].get_string().get(c) != SUCCESS) return false;
    if (err["message"].get_string().get(m) != SUCCESS) m = {};
    code.assign(c);
    message.assign(m);
    if (field && err["field"].get_string().get(f) == SUCCESS) field->assign(f);
    return true;
}

// The reply's members but "req" and "ok", as one compact object.
void read_members(object obj, std::string& out) {
    out = "{";
    for (auto member : obj) {
        if (member.key == "req" || member.key == "ok") continue;
        if (out.size() > 1) out += ',';
        append_json_string(out, member.key);
        out += ':';
        out += simdjson::minify(member.value);
    }
    out += '}';
}

uint64_t read_count(object obj, std::string_view key) {
    uint64_t n = 0;
    if (obj[key].get_uint64().get(n) != SUCCESS) n = 0;
    return n;
}

void read_id(object obj, std::string& id) {
    std::string_view s;
    if (obj["id"].get_string().get(s) == SUCCESS) id.assign(s);
}

void read_json(object obj, std::string_view key, std::string& out) {
    element v;
    if (obj[key].get(v) == SUCCESS) out = simdjson::minify(v);
}

bool read_batch(object obj, Result& out) {
    simdjson::dom::array results;
    if (obj["results"].get_array().get(results) != SUCCESS) return false;
    out.items.reserve(results.size());
    for (element e : results) {
        object item;
        if (e.get_object().get(item) != SUCCESS) return false;
        ItemResult& r = out.items.emplace_back();
        if (item["ok"].get_bool().get(r.ok) != SUCCESS) return false;
        if (r.ok) {
            read_id(item, r.id);
            r.sent = read_count(item, "sent");
            r.failed = read_count(item, "failed");
        } else if (!read_error(item, r.code, r.message)) {
            return false;
        }
    }
    return true;
}

// The op-specific members of a successful answer.
bool read_success(object obj, Op op, Result& out) {
    switch (op) {
        case Op::ping: {
            std::string_view v;
            if (obj["version"].get_string().get(v) == SUCCESS) out.version.assign(v);
            if (obj["time"].get_int64().get(out.time_ms) != SUCCESS) out.time_ms = 0;
            return true;
        }
        case Op::publish:
            read_id(obj, out.id);
            out.sent = read_count(obj, "sent");
            out.failed = read_count(obj, "failed");
            return true;
        case Op::publish_batch:
            out.sent = read_count(obj, "sent");
            out.failed = read_count(obj, "failed");
            return read_batch(obj, out);
        case Op::stats: read_json(obj, "stats", out.json); return !out.json.empty();
        case Op::connection: read_json(obj, "connection", out.json); return !out.json.empty();
        case Op::connections: read_members(obj, out.json); return true;
        case Op::user:
            if (obj["connected"].get_bool().get(out.connected) != SUCCESS) return false;
            read_json(obj, "connections", out.json);
            return true;
        case Op::disconnect: out.disconnected = read_count(obj, "disconnected"); return true;
        case Op::invalidate: return obj["removed"].get_uint64().get(out.removed) == SUCCESS;
        case Op::token: {
            std::string_view token;
            if (obj["token"].get_string().get(token) != SUCCESS ||
                obj["expiresAt"].get_int64().get(out.expires_at_ms) != SUCCESS)
                return false;
            out.token.assign(token);
            return true;
        }
        case Op::alerts:
        case Op::log_level: read_members(obj, out.json); return true;
    }
    return false;
}

ReplyKind malformed(Result& out, std::string_view why, std::string_view line) {
    constexpr size_t kQuote = 200;  // enough to recognize the line, not a whole stats reply
    out.message.assign(why);
    out.message += ": ";
    out.message.append(line.substr(0, kQuote));
    if (line.size() > kQuote) out.message += "...";
    return ReplyKind::malformed;
}

}  // namespace

void reset_result(Result& r, Op op) {
    r.op = op;
    r.answered = false;
    r.ok = false;
    r.code.clear();
    r.message.clear();
    r.field.clear();
    r.id.clear();
    r.sent = 0;
    r.failed = 0;
    r.items.clear();
    r.version.clear();
    r.time_ms = 0;
    r.json.clear();
    r.connected = false;
    r.disconnected = 0;
    r.removed = 0;
    r.token.clear();
    r.expires_at_ms = 0;
}

ReplyKind ReplyReader::parse(std::string_view line, bool padded, Op op, Result& out, uint64_t* req,
                             LineError* line_error) {
    reset_result(out, op);
    element root;
    if (auto err = _parser.parse(line.data(), line.size(), !padded).get(root))
        return malformed(
            out, std::string("reply is not JSON (") + simdjson::error_message(err) + ")", line);
    object obj;
    if (root.get_object().get(obj) != SUCCESS)
        return malformed(out, "reply is not an object", line);
    bool ok = false;
    if (obj["ok"].get_bool().get(ok) != SUCCESS) return malformed(out, "reply has no \"ok\"", line);

    element r;
    if (obj["req"].get(r) != SUCCESS) {
        uint64_t n = 0;
        if (obj["line"].get_uint64().get(n) == SUCCESS) {
            line_error->line = n;
            if (!read_error(obj, line_error->code, line_error->message))
                return malformed(out, "failure without an \"error\"", line);
            return ReplyKind::line_error;
        }
        if (ok || !read_error(obj, out.code, out.message))
            return malformed(out, "reply without \"req\" or \"line\"", line);
        return ReplyKind::connection_error;
    }
    if (r.get_uint64().get(*req) != SUCCESS) return malformed(out, "\"req\" is not ours", line);
    out.ok = ok;
    if (!ok) {
        if (!read_error(obj, out.code, out.message, &out.field))
            return malformed(out, "failure without an \"error\"", line);
        if (op == Op::alerts) read_json(obj, "current", out.json);
    } else if (!read_success(obj, op, out)) {
        return malformed(out, std::string("not an answer to ") + op_name(op), line);
    }
    out.answered = true;
    return ReplyKind::answer;
}

}  // namespace ringcast::client

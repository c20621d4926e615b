#include "client/request_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/json_writer.h"

namespace ringcast::client {

namespace {

// Most strings (channel and event names, ids) need no escaping: one scan, one
// append, instead of JsonWriter's character-by-character copy.
bool needs_escape(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == '"' || c == '\\') return true;
    return false;
}

template <typename T>
void append_number(std::string& out, T n) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    out.append(buf, end);
}

void key(std::string& out, std::string_view k) {
    // Keys are our own literals: no escaping needed.
    out += ",\"";
    out += k;
    out += "\":";
}

void string_list(std::string& out, std::string_view k, std::span<const std::string> list) {
    if (list.empty()) return;
    key(out, k);
    out += '[';
    for (size_t i = 0; i < list.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, list[i]);
    }
    out += ']';
}

// The payload goes out as the caller wrote it, but on one line: a line break in
// valid JSON is whitespace between tokens, so a space means the same.
void append_data(std::string& out, std::string_view data) {
    size_t at = out.size();
    out += data;
    if (std::memchr(data.data(), '\n', data.size()) || std::memchr(data.data(), '\r', data.size()))
        for (size_t i = at; i < out.size(); ++i)
            if (out[i] == '\n' || out[i] == '\r') out[i] = ' ';
}

// The members of a message object, each preceded by a comma unless `first`
// (the batch's message objects start with them; a publish request has "op").
void message_members(std::string& out, const Message& m, bool first) {
    out += first ? "\"channel\":" : ",\"channel\":";
    append_json_string(out, m.channel);
    key(out, "event");
    append_json_string(out, m.event);
    if (!m.data.empty()) {
        key(out, "data");
        append_data(out, m.data);
    }
    if (!m.id.empty()) {
        key(out, "id");
        append_json_string(out, m.id);
    }
    if (m.timestamp_ms) {
        key(out, "timestamp");
        append_number(out, *m.timestamp_ms);
    }
    if (m.target) {
        key(out, "target");
        append_json_string(out, target_name(*m.target));
    }
    string_list(out, "targetUsers", m.target_users);
    string_list(out, "targetRoles", m.target_roles);
    string_list(out, "targetPermissions", m.target_permissions);
    string_list(out, "excludeUsers", m.exclude_users);
    if (m.require_auth) out += ",\"requireAuth\":true";
    if (m.priority) {
        key(out, "priority");
        append_number(out, *m.priority);
    }
    if (m.ttl_seconds) {
        key(out, "ttl");
        // JSON has no NaN or infinity; a string makes the daemon name the field.
        if (std::isfinite(*m.ttl_seconds))
            append_number(out, *m.ttl_seconds);
        else
            out += "\"not a finite number\"";
    }
    if (m.persistent) out += ",\"persistent\":true";
    if (m.retryable) out += ",\"retryable\":true";
}

void open_request(std::string& out, std::string_view op, uint64_t req) {
    out += "{\"op\":\"";
    out += op;
    out += '"';
    if (req) {
        out += ",\"req\":";
        append_number(out, req);
    }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    if (needs_escape(s))
        JsonWriter::escape_into(out, s);
    else
        out += s;
    out += '"';
}

void append_publish(std::string& out, const Message& m, uint64_t req) {
    open_request(out, "publish", req);
    message_members(out, m, false);
    out += "}\n";
}

void append_publish_batch(std::string& out, std::span<const Message> messages, uint64_t req) {
    open_request(out, "publish", req);
    out += ",\"messages\":[";
    for (size_t i = 0; i < messages.size(); ++i) {
        if (i) out += ',';
        out += '{';
        message_members(out, messages[i], true);
        out += '}';
    }
    out += "]}\n";
}

void append_invalidate(std::string& out, std::span<const std::string> channels,
                       std::span<const std::string> users, uint64_t req) {
    open_request(out, "invalidate", req);
    string_list(out, "channels", channels);
    string_list(out, "users", users);
    out += "}\n";
}

void append_token(std::string& out, const TokenRequest& t, uint64_t req) {
    open_request(out, "token", req);
    key(out, "userId");
    append_json_string(out, t.user_id);
    string_list(out, "roles", t.roles);
    string_list(out, "permissions", t.permissions);
    if (t.subscriber) out += ",\"subscriber\":true";
    if (t.ttl_s) {
        key(out, "ttl");
        append_number(out, t.ttl_s);
    }
    out += "}\n";
}

void append_object_op(std::string& out, std::string_view op, uint64_t req,
                      std::string_view members) {
    open_request(out, op, req);
    // The object's members follow "op" and "req": its braces are dropped.
    size_t open = members.find('{'), close = members.rfind('}');
    if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
        std::string_view inner = members.substr(open + 1, close - open - 1);
        if (inner.find_first_not_of(" \t\r\n") != std::string_view::npos) {
            out += ',';
            append_data(out, inner);
        }
    }
    out += "}\n";
}

void append_op(std::string& out, std::string_view op, uint64_t req, std::string_view k,
               std::string_view value) {
    open_request(out, op, req);
    if (!k.empty()) {
        key(out, k);
        append_json_string(out, value);
    }
    out += "}\n";
}

}  // namespace ringcast::client

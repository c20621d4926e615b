#pragma once
// Serializing requests of the Unix socket protocol into the client's output
// buffer: one line each, appended in place (no temporary strings), with only the
// message fields the caller set. The line framing is guaranteed here: every
// string is escaped, and line breaks in a raw `data` payload become spaces (in
// valid JSON they can only be whitespace between tokens).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ringcast/client_message.h"

namespace ringcast::client {

// `req` 0: no "req" member (fire-and-forget).
void append_publish(std::string& out, const Message& m, uint64_t req);
void append_publish_batch(std::string& out, std::span<const Message> messages, uint64_t req);
// {"op":"invalidate","req":<req>[,"channels":[...]][,"users":[...]]}: an empty
// list is left out (the daemon refuses a request with neither).
void append_invalidate(std::string& out, std::span<const std::string> channels,
                       std::span<const std::string> users, uint64_t req);
// {"op":"token","req":<req>,"userId":...[,"roles":[...]][,"permissions":[...]]
//  [,"subscriber":true][,"ttl":<s>]}: what the request leaves unset is left out.
void append_token(std::string& out, const TokenRequest& t, uint64_t req);
// {"op":<op>,"req":<req>[,<key>:<value as a JSON string>]}
void append_op(std::string& out, std::string_view op, uint64_t req, std::string_view key = {},
               std::string_view value = {});

// {"op":<op>,"req":<req>,<the members of the JSON object `members`>}: the object
// goes out as the caller wrote it, on one line (see append_publish's data).
void append_object_op(std::string& out, std::string_view op, uint64_t req,
                      std::string_view members);

// `s` as a JSON string literal appended to `out`.
void append_json_string(std::string& out, std::string_view s);

}  // namespace ringcast::client

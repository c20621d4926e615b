#pragma once
// Reading a stream-token request (the socket's "token" op, POST /api/tokens):
//
//   {"userId": "42" | 42, "roles"?: [names], "permissions"?: [names],
//    "subscriber"?: bool, "ttl"?: seconds}
//
// Errors name the field and what is expected; unknown fields are refused, and a
// null field counts as absent. The first of a repeated key counts, as in every
// request (docs/protocol.md).
#include <initializer_list>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "auth/stream_token.h"

namespace ringcast {

// Names a role or permission may have, and how many of each a token carries.
inline constexpr size_t kMaxTokenNameBytes = 128;
inline constexpr size_t kMaxTokenNames = 256;

// `ignore` names keys of the enclosing request to skip ("op", "req").
bool read_token_request(simdjson::dom::object obj, StreamTokenRequest* out, std::string* error,
                        std::initializer_list<std::string_view> ignore = {});

}  // namespace ringcast

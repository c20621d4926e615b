#pragma once
// Where a request carries its token, looked for in a fixed order:
//   1. "Authorization: Bearer <token>"     (when AuthOptions::header)
//   2. the cookie named AuthOptions::cookie (when not "")
//   3. the query parameter AuthOptions::query (when not ""), percent-decoded —
//      EventSource cannot set headers, so browsers use this or the cookie.
// Finding is kept apart from verifying: the HTTP layer also reads the Bearer
// value of an API request as an API key.
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth_options.h"
#include "http/request_parser.h"

namespace ringcast {

struct FoundToken {
    std::string token;
    enum class Where { header, cookie, query } where;
};

// "header", "cookie", "query".
std::string_view token_where_name(FoundToken::Where w);

// The first token the request carries, or nullopt. nullopt with *error set when
// what the request carries cannot be a token: an Authorization header that is not
// "Bearer <token>" (e.g. "Basic ...", or "Bearer" alone), or a query value with a
// malformed percent-escape. The caller answers 401 then, rather than treating the
// request as anonymous. An empty cookie or query value counts as absent.
std::optional<FoundToken> find_token(const HttpRequest& req, const AuthOptions& options,
                                     std::string* error);

// The credentials of an Authorization header value of the Bearer scheme: the
// scheme name case-insensitive (RFC 7235 §2.1), then spaces, then one non-empty
// word without whitespace (RFC 6750's b64token, not checked character by
// character: the verifier or the API-key lookup judges the value). nullopt with
// *error set for any other scheme or shape.
std::optional<std::string_view> bearer_credentials(std::string_view authorization,
                                                   std::string* error);

// The value of cookie `name` in a Cookie header value ("a=b; c=d", RFC 6265
// §4.2.1; a value in double quotes loses them), or nullopt. The first of equal
// names wins, as browsers send the most specific one first.
std::optional<std::string_view> cookie_value(std::string_view cookie_header, std::string_view name);

}  // namespace ringcast

#pragma once
// The answer to a request for a page's path, once the path is resolved
// (web_lookup.h): a pure function of the request and the lookup, the same for
// the embedded pages and a web root.
//
// A file answers GET and HEAD (200, or 304 when If-None-Match names its ETag),
// any other method 405 with "Allow: GET, HEAD". Every file answer carries the
// strict Content-Security-Policy below, nosniff, no-referrer and
// "Cache-Control: no-cache" (a browser revalidates with the ETag; nothing is
// fingerprinted, so nothing may be kept unasked). With "Accept-Encoding: gzip"
// a file that has a gzip form is sent as that, "Content-Encoding: gzip"; the
// two forms have their own strong ETags ("<hash>" and "<hash>-gzip"), as RFC
// 9110 asks of representations that differ, and every file answer says
// "Vary: Accept-Encoding". A redirect is 308 to the path with a slash (query
// kept); the rest are the daemon's JSON errors. A HEAD answer is the GET
// answer's head.
#include <string>
#include <string_view>

#include "http/request_parser.h"
#include "web/web_lookup.h"

namespace ringcast {

inline constexpr std::string_view kWebContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

// Whether an Accept-Encoding value takes gzip (RFC 9110 §12.5.3): "gzip" or
// "x-gzip" with a q above 0, or "*" with a q above 0 when gzip is not named.
bool accepts_gzip(std::string_view accept_encoding);

// Whether an If-None-Match value names `etag` (quoted), by the weak comparison
// RFC 9110 §13.1.2 asks for, or is "*".
bool etag_matches(std::string_view if_none_match, std::string_view etag);

std::string web_response(const HttpRequest& req, const WebLookup& found, bool keep_alive);

}  // namespace ringcast

#pragma once
// Cross-origin access ([cors]): which web origins may open streams and call the
// API from a browser, as the Fetch standard's CORS protocol asks.
//
// A request with an Origin header from an allowed origin gets, on every response
// (stream handshake, API answer or error):
//   Access-Control-Allow-Origin: <that origin>   ("*" when any origin is allowed
//                                                 and credentials are not)
//   Access-Control-Allow-Credentials: true       (allow_credentials)
//   Vary: Origin
// A preflight (OPTIONS with Access-Control-Request-Method) is answered 204 with
// the methods and headers ringcast reads, or 403 when the origin is not allowed.
// Nothing is added for requests without Origin (same-origin, curl, backends).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast {

struct CorsOptions {
    std::vector<std::string> allowed_origins;  // [] = CORS off; ["*"] = any origin
    bool allow_credentials = false;
    uint64_t max_age_s = 600;

    bool enabled() const { return !allowed_origins.empty(); }
};

// Whether `origin` (the request's Origin value) may use the service.
bool cors_origin_allowed(const CorsOptions& o, std::string_view origin);

// The header lines ("Name: value\r\n"...) for a response to a request from
// `origin`; empty when CORS is off, the origin is absent or not allowed.
std::string cors_response_headers(const CorsOptions& o, std::string_view origin);

// A complete preflight answer for `path` ("GET" for streams and stats, "POST" for
// publish) from `origin`.
std::string cors_preflight_response(const CorsOptions& o, std::string_view origin,
                                    std::string_view allow_methods, bool keep_alive);

// `response` with `header_lines` added at the end of its head.
std::string with_headers(std::string response, std::string_view header_lines);

}  // namespace ringcast

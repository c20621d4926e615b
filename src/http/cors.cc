#include "http/cors.h"

#include <algorithm>

#include <fmt/format.h>

#include "http/response.h"

namespace ringcast {

namespace {

bool any_origin(const CorsOptions& o) {
    return std::find(o.allowed_origins.begin(), o.allowed_origins.end(), "*") !=
           o.allowed_origins.end();
}

}  // namespace

bool cors_origin_allowed(const CorsOptions& o, std::string_view origin) {
    if (!o.enabled() || origin.empty()) return false;
    return any_origin(o) || std::find(o.allowed_origins.begin(), o.allowed_origins.end(), origin) !=
                                o.allowed_origins.end();
}

std::string cors_response_headers(const CorsOptions& o, std::string_view origin) {
    if (!cors_origin_allowed(o, origin)) return {};
    std::string h = "Access-Control-Allow-Origin: ";
    // "*" cannot carry credentials (Fetch standard): echo the origin then.
    h += any_origin(o) && !o.allow_credentials ? std::string_view("*") : origin;
    h += "\r\n";
    if (o.allow_credentials) h += "Access-Control-Allow-Credentials: true\r\n";
    h += "Vary: Origin\r\n";
    return h;
}

std::string cors_preflight_response(const CorsOptions& o, std::string_view origin,
                                    std::string_view allow_methods, bool keep_alive) {
    if (!cors_origin_allowed(o, origin))
        return http_error(403, "forbidden",
                          fmt::format("origin {} is not in cors.allowed_origins",
                                      origin.empty() ? "(none)" : origin),
                          keep_alive);
    std::string head = cors_response_headers(o, origin);
    head += fmt::format(
        "Access-Control-Allow-Methods: {}, OPTIONS\r\n"
        "Access-Control-Allow-Headers: Authorization, Content-Type, X-API-Key, Last-Event-ID, "
        "Cache-Control\r\n"
        "Access-Control-Max-Age: {}\r\n",
        allow_methods, o.max_age_s);
    return with_headers(http_response(204, "text/plain", {}, keep_alive), head);
}

std::string with_headers(std::string response, std::string_view header_lines) {
    if (header_lines.empty()) return response;
    size_t end = response.find("\r\n\r\n");
    if (end == std::string::npos) return response;
    response.insert(end + 2, header_lines);
    return response;
}

}  // namespace ringcast

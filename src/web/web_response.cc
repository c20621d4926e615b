#include "web/web_response.h"

#include <fmt/format.h>

#include "http/header_text.h"
#include "http/response.h"

namespace ringcast {

namespace {

// Calls f(item) for each comma-separated item, trimmed, empty ones skipped.
template <class F>
void for_each_item(std::string_view list, F f) {
    while (!list.empty()) {
        const size_t comma = list.find(',');
        std::string_view item = trim_ows(list.substr(0, comma));
        if (!item.empty()) f(item);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
}

// Whether the parameters after a coding (";q=0") give it a q of 0: "0", or
// "0." and zeros (RFC 9110 §12.4.2).
bool q_is_zero(std::string_view params) {
    while (!params.empty()) {
        const size_t semi = params.find(';');
        std::string_view p = trim_ows(params.substr(0, semi));
        if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            std::string_view v = trim_ows(p.substr(2));
            return !v.empty() && v.find_first_not_of("0.") == std::string_view::npos;
        }
        if (semi == std::string_view::npos) break;
        params.remove_prefix(semi + 1);
    }
    return false;
}

bool is_get_or_head(const HttpRequest& req) {
    return req.method == HTTP_GET || req.method == HTTP_HEAD;
}

// A HEAD answer is the GET answer without its body (Content-Length unchanged).
std::string for_method(const HttpRequest& req, std::string response) {
    if (req.method == HTTP_HEAD) {
        const size_t end = response.find("\r\n\r\n");
        if (end != std::string::npos) response.resize(end + 4);
    }
    return response;
}

// The headers of every file answer, 200 and 304 alike.
void file_headers(std::string* r, std::string_view etag) {
    *r += "ETag: ";
    *r += etag;
    *r += "\r\nCache-Control: no-cache\r\nVary: Accept-Encoding\r\nContent-Security-Policy: ";
    *r += kWebContentSecurityPolicy;
    *r += "\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n";
}

std::string file_response(const HttpRequest& req, const WebFile& f, bool keep_alive) {
    const bool gzip = !f.gzip.empty() && accepts_gzip(req.header("accept-encoding"));
    const std::string etag = fmt::format("\"{}{}\"", f.hash, gzip ? "-gzip" : "");
    const std::string_view connection =
        keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    std::string r;
    if (etag_matches(req.header("if-none-match"), etag)) {
        r += "HTTP/1.1 304 Not Modified\r\nServer: ringcast\r\n";
        r += connection;
        file_headers(&r, etag);
        r += "\r\n";
        return r;
    }
    const std::string_view body = gzip ? f.gzip : f.bytes;
    r.reserve(512 + body.size());
    r += "HTTP/1.1 200 OK\r\nServer: ringcast\r\nContent-Type: ";
    r += f.content_type;
    r += "\r\nContent-Length: ";
    r += std::to_string(body.size());
    r += "\r\n";
    if (gzip) r += "Content-Encoding: gzip\r\n";
    r += connection;
    file_headers(&r, etag);
    r += "\r\n";
    if (req.method != HTTP_HEAD) r += body;
    return r;
}

std::string not_allowed(const HttpRequest& req, bool keep_alive) {
    return http_error(
        405, fmt::format("{} is not allowed on {}; use GET or HEAD", req.method_name(), req.path()),
        keep_alive, {{"Allow", "GET, HEAD"}});
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
    int gzip = -1, any = -1;  // -1: not named; else whether accepted
    for_each_item(accept_encoding, [&](std::string_view item) {
        const size_t semi = item.find(';');
        const std::string_view coding = trim_ows(item.substr(0, semi));
        const bool accepted = semi == std::string_view::npos || !q_is_zero(item.substr(semi + 1));
        if (equals_nocase(coding, "gzip") || equals_nocase(coding, "x-gzip")) {
            gzip = accepted;
        } else if (coding == "*") {
            any = accepted;
        }
    });
    return gzip >= 0 ? gzip == 1 : any == 1;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    bool match = false;
    for_each_item(if_none_match, [&](std::string_view tag) {
        if (tag == "*") match = true;
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        if (tag == etag) match = true;
    });
    return match;
}

std::string web_response(const HttpRequest& req, const WebLookup& found, bool keep_alive) {
    switch (found.kind) {
        case WebLookup::Kind::file:
            if (!is_get_or_head(req)) return not_allowed(req, keep_alive);
            return file_response(req, found.file, keep_alive);
        case WebLookup::Kind::redirect: {
            if (!is_get_or_head(req)) return not_allowed(req, keep_alive);
            std::string location = std::string(req.path()) + "/";
            if (std::string_view q = req.query(); !q.empty()) location += "?" + std::string(q);
            return for_method(req, http_response(308, "text/plain; charset=utf-8", {}, keep_alive,
                                                 {{"Location", location}}));
        }
        case WebLookup::Kind::invalid:
            return for_method(
                req, http_error(400, fmt::format("{}: {}", found.problem, req.path()), keep_alive));
        case WebLookup::Kind::failed:
            return for_method(req, http_error(500,
                                              fmt::format("{} could not be read (the daemon's "
                                                          "log says why)",
                                                          req.path()),
                                              keep_alive));
        case WebLookup::Kind::not_found: break;
    }
    return for_method(
        req, http_error(404, fmt::format("no page or file at {}", req.path()), keep_alive));
}

}  // namespace ringcast

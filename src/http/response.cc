#include "http/response.h"

#include "core/json_writer.h"

namespace ringcast {

const char* status_reason(int status) {
    switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 304: return "Not Modified";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        default: return "Unknown";
    }
}

const char* status_code_name(int status) {
    switch (status) {
        case 400: return "bad_request";
        case 401: return "unauthorized";
        case 403: return "forbidden";
        case 404: return "not_found";
        case 405: return "method_not_allowed";
        case 408: return "request_timeout";
        case 409: return "conflict";
        case 411: return "length_required";
        case 413: return "payload_too_large";
        case 414: return "uri_too_long";
        case 415: return "unsupported_media_type";
        case 429: return "rate_limited";
        case 431: return "headers_too_large";
        case 503: return "unavailable";
        default: return "internal_error";
    }
}

std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, std::initializer_list<HttpHeader> extra) {
    std::string r;
    r.reserve(160 + body.size());
    r += "HTTP/1.1 ";
    r += std::to_string(status);
    r += ' ';
    r += status_reason(status);
    r += "\r\nServer: ringcast\r\nContent-Type: ";
    r += content_type;
    r += "\r\nContent-Length: ";
    r += std::to_string(body.size());
    r += keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close";
    r += "\r\nCache-Control: no-store";
    for (const HttpHeader& h : extra) {
        r += "\r\n";
        r += h.name;
        r += ": ";
        r += h.value;
    }
    r += "\r\n\r\n";
    r += body;
    return r;
}

std::string json_error_body(std::string_view code, std::string_view message,
                            std::string_view reason) {
    std::string body;
    JsonWriter w(body);
    w.begin_object().key("error").begin_object().key("code").value(code);
    if (!reason.empty()) w.key("reason").value(reason);
    w.key("message").value(message).end_object().end_object();
    return body;
}

std::string http_error(int status, std::string_view message, bool keep_alive,
                       std::initializer_list<HttpHeader> extra) {
    return http_error(status, status_code_name(status), message, keep_alive, extra);
}

std::string http_error(int status, std::string_view code, std::string_view message, bool keep_alive,
                       std::initializer_list<HttpHeader> extra) {
    return http_response(status, "application/json", json_error_body(code, message), keep_alive,
                         extra);
}

}  // namespace ringcast

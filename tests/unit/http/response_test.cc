// Responses: a well-formed HTTP/1.1 head whose Content-Length matches the body,
// and every error body shaped {"error":{"code":...,"message":...}} as valid JSON.
#include "http/response.h"

#include <map>
#include <string>

#include <gtest/gtest.h>
#include <simdjson.h>

namespace ringcast {
namespace {

struct Parsed {
    std::string status_line;
    std::multimap<std::string, std::string> headers;
    std::string body;
};

Parsed parse_response(const std::string& r) {
    Parsed p;
    size_t end = r.find("\r\n\r\n");
    EXPECT_NE(end, std::string::npos);
    if (end == std::string::npos) return p;
    std::string head = r.substr(0, end);
    p.body = r.substr(end + 4);
    size_t line_end = head.find("\r\n");
    p.status_line = head.substr(0, line_end);
    while (line_end != std::string::npos) {
        size_t start = line_end + 2;
        line_end = head.find("\r\n", start);
        std::string line = head.substr(
            start, line_end == std::string::npos ? std::string::npos : line_end - start);
        size_t colon = line.find(": ");
        EXPECT_NE(colon, std::string::npos) << line;
        if (colon != std::string::npos)
            p.headers.emplace(line.substr(0, colon), line.substr(colon + 2));
    }
    return p;
}

std::string header(const Parsed& p, const std::string& name) {
    EXPECT_EQ(p.headers.count(name), 1u) << name;
    auto it = p.headers.find(name);
    return it == p.headers.end() ? "" : it->second;
}

TEST(HttpResponse, HeadAndBody) {
    std::string r =
        http_response(200, "text/plain", "hello", true, {{"X-Extra", "1"}, {"Allow", "GET"}});
    Parsed p = parse_response(r);
    EXPECT_EQ(p.status_line, "HTTP/1.1 200 OK");
    EXPECT_EQ(header(p, "Content-Type"), "text/plain");
    EXPECT_EQ(header(p, "Content-Length"), "5");
    EXPECT_EQ(header(p, "Connection"), "keep-alive");
    EXPECT_EQ(header(p, "X-Extra"), "1");
    EXPECT_EQ(header(p, "Allow"), "GET");
    EXPECT_EQ(p.body, "hello");
}

TEST(HttpResponse, CloseAndEmptyBody) {
    Parsed p = parse_response(http_response(204, "text/plain", "", false));
    EXPECT_EQ(p.status_line, "HTTP/1.1 204 No Content");
    EXPECT_EQ(header(p, "Connection"), "close");
    EXPECT_EQ(header(p, "Content-Length"), "0");
    EXPECT_EQ(p.body, "");
}

TEST(HttpResponse, ContentLengthCountsBytesNotCharacters) {
    std::string body = "caf\xC3\xA9 \xF0\x9F\x98\x80\r\n\r\nafter a blank line";
    Parsed p = parse_response(http_response(200, "text/plain", body, true));
    EXPECT_EQ(header(p, "Content-Length"), std::to_string(body.size()));
    EXPECT_EQ(p.body, body);
}

TEST(HttpResponse, StatusReasonsAndCodes) {
    const std::tuple<int, const char*, const char*> table[] = {
        {400, "Bad Request", "bad_request"},
        {401, "Unauthorized", "unauthorized"},
        {403, "Forbidden", "forbidden"},
        {404, "Not Found", "not_found"},
        {405, "Method Not Allowed", "method_not_allowed"},
        {408, "Request Timeout", "request_timeout"},
        {411, "Length Required", "length_required"},
        {413, "Content Too Large", "payload_too_large"},
        {414, "URI Too Long", "uri_too_long"},
        {415, "Unsupported Media Type", "unsupported_media_type"},
        {429, "Too Many Requests", "rate_limited"},
        {431, "Request Header Fields Too Large", "headers_too_large"},
        {500, "Internal Server Error", "internal_error"},
        {503, "Service Unavailable", "unavailable"},
    };
    for (auto [status, reason, code] : table) {
        EXPECT_STREQ(status_reason(status), reason) << status;
        EXPECT_STREQ(status_code_name(status), code) << status;
    }
    EXPECT_STREQ(status_reason(200), "OK");
    EXPECT_STREQ(status_reason(100), "Continue");
    EXPECT_STREQ(status_reason(599), "Unknown");
}

// Parses an error body and returns {code, message}.
std::pair<std::string, std::string> error_fields(const std::string& body) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    EXPECT_EQ(parser.parse(body).get(root), simdjson::SUCCESS) << body;
    simdjson::dom::object outer;
    EXPECT_EQ(root.get_object().get(outer), simdjson::SUCCESS) << body;
    EXPECT_EQ(outer.size(), 1u) << "only \"error\" at the top: " << body;
    simdjson::dom::object err;
    EXPECT_EQ(outer["error"].get_object().get(err), simdjson::SUCCESS) << body;
    EXPECT_EQ(err.size(), 2u) << body;
    std::string_view code, message;
    EXPECT_EQ(err["code"].get_string().get(code), simdjson::SUCCESS) << body;
    EXPECT_EQ(err["message"].get_string().get(message), simdjson::SUCCESS) << body;
    return {std::string(code), std::string(message)};
}

TEST(HttpResponse, JsonErrorBodyShape) {
    EXPECT_EQ(json_error_body("not_found", "no such route"),
              R"({"error":{"code":"not_found","message":"no such route"}})");
    // Messages quote user input; it must stay valid JSON.
    std::string nasty = "bad \"channel\" \\ name\nwith\tcontrol \x01 and caf\xC3\xA9";
    auto [code, message] = error_fields(json_error_body("bad_request", nasty));
    EXPECT_EQ(code, "bad_request");
    EXPECT_EQ(message, nasty);
}

TEST(HttpResponse, HttpErrorUsesTheStatusCodeName) {
    Parsed p = parse_response(http_error(404, "no route for /x", true));
    EXPECT_EQ(p.status_line, "HTTP/1.1 404 Not Found");
    EXPECT_EQ(header(p, "Content-Type"), "application/json");
    EXPECT_EQ(header(p, "Content-Length"), std::to_string(p.body.size()));
    auto [code, message] = error_fields(p.body);
    EXPECT_EQ(code, "not_found");
    EXPECT_EQ(message, "no route for /x");
}

TEST(HttpResponse, HttpErrorWithExplicitCodeAndExtraHeaders) {
    Parsed p = parse_response(
        http_error(503, "too_many_streams", "try again later", false, {{"Retry-After", "5"}}));
    EXPECT_EQ(p.status_line, "HTTP/1.1 503 Service Unavailable");
    EXPECT_EQ(header(p, "Retry-After"), "5");
    EXPECT_EQ(header(p, "Connection"), "close");
    auto [code, message] = error_fields(p.body);
    EXPECT_EQ(code, "too_many_streams");
    EXPECT_EQ(message, "try again later");
}

}  // namespace
}  // namespace ringcast

#pragma once
// Building HTTP responses. Every error the daemon sends is JSON:
//   {"error": {"code": "<machine-readable>", "message": "<for people>"}}
// with a "reason" member too where a code has finer causes (401 invalid_token:
// "expired", "bad_signature"...).
#include <initializer_list>
#include <string>
#include <string_view>

namespace ringcast {

struct HttpHeader {
    std::string_view name;
    std::string_view value;
};

const char* status_reason(int status);
// A stable machine-readable code for each error status ("not_found", ...).
const char* status_code_name(int status);

std::string http_response(int status, std::string_view content_type, std::string_view body,
                          bool keep_alive, std::initializer_list<HttpHeader> extra = {});

std::string json_error_body(std::string_view code, std::string_view message,
                            std::string_view reason = {});

// A complete error response with a JSON body.
std::string http_error(int status, std::string_view message, bool keep_alive,
                       std::initializer_list<HttpHeader> extra = {});
std::string http_error(int status, std::string_view code, std::string_view message, bool keep_alive,
                       std::initializer_list<HttpHeader> extra = {});

}  // namespace ringcast

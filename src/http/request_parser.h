#pragma once
// One HTTP/1.x request at a time, parsed by llhttp, with the limits that keep a
// hostile client from making us buffer without bound.
//
// feed() stops at the end of each request (llhttp pause), so pipelined requests
// are handled strictly one after the other; next() resumes for the following one.
// Every limit maps to the status code a client should see:
//   request target too long -> 414, header section too big or too many -> 431,
//   body too big -> 413, anything llhttp rejects -> 400.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <llhttp.h>

namespace ringcast {

struct HttpLimits {
    uint32_t max_target = 8192;         // bytes of the request target (path + query)
    uint32_t max_header_bytes = 16384;  // names + values of all header fields
    uint32_t max_headers = 64;
    uint64_t max_body = 1 << 20;
};

struct HttpRequest {
    llhttp_method_t method = HTTP_GET;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;
    uint8_t version_major = 1;
    uint8_t version_minor = 1;
    bool keep_alive = true;

    std::string_view path() const;
    std::string_view query() const;
    // First value of a header (name in lower case), or empty.
    std::string_view header(std::string_view lower_name) const;
    bool has_header(std::string_view lower_name) const;
    const char* method_name() const { return llhttp_method_name(method); }
};

class RequestParser {
public:
    enum class Result { need_more, complete, error };

    explicit RequestParser(const HttpLimits& limits);
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    // Parses as much of data as belongs to the current request. On `complete`,
    // *consumed tells where the next request starts.
    Result feed(const char* data, size_t len, size_t* consumed);

    HttpRequest& request() { return _req; }
    // After `error`: the status to answer with and why.
    int error_status() const { return _error_status; }
    const std::string& error_message() const { return _error_message; }

    // True once the current request's header section is complete (before its
    // body): the moment to answer "Expect: 100-continue".
    bool headers_complete() const { return _headers_complete; }
    // True if any byte of a request has been seen since the last next().
    bool started() const { return _started; }

    // Prepares for the next request on the same connection.
    void next();

private:
    static int on_message_begin(llhttp_t* p);
    static int on_url(llhttp_t* p, const char* at, size_t len);
    static int on_header_field(llhttp_t* p, const char* at, size_t len);
    static int on_header_value(llhttp_t* p, const char* at, size_t len);
    static int on_header_value_complete(llhttp_t* p);
    static int on_headers_complete(llhttp_t* p);
    static int on_body(llhttp_t* p, const char* at, size_t len);
    static int on_message_complete(llhttp_t* p);
    static const llhttp_settings_t& settings();
    static RequestParser& self(llhttp_t* p) { return *static_cast<RequestParser*>(p->data); }

    int fail(int status, std::string message);
    int count_header_bytes(size_t len);

    llhttp_t _parser;
    HttpLimits _limits;
    HttpRequest _req;
    std::string _field;
    std::string _value;
    uint32_t _header_bytes = 0;
    int _error_status = 0;
    std::string _error_message;
    bool _complete = false;
    bool _headers_complete = false;
    bool _started = false;
};

}  // namespace ringcast

#pragma once
// An HTTP/2 request as the HTTP/1.1 bytes the HTTP layer reads (src/http): the
// request line from :method and :path, Host from :authority, the other fields
// as they came; the body as it came after a content-length, else chunked (the
// chunks of the DATA frames, the last one at END_STREAM). So llhttp, the
// router, auth, CORS and every limit apply to an h2 stream unchanged.
//
// What RFC 9113 §8.2 forbids is refused as a stream error: connection-specific
// fields (Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding,
// Upgrade), a TE other than "trailers", upper-case names, CR/LF/NUL anywhere,
// unknown, repeated, missing or late pseudo-header fields. Cookie fields split
// in crumbs (§8.2.3) are joined again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast {

class H2Request {
public:
    // max_header_list: the bound on the field section (each field's name and
    // value plus 32, as SETTINGS_MAX_HEADER_LIST_SIZE counts it).
    explicit H2Request(uint32_t max_header_list) : _max_list(max_header_list) {}

    enum class Error : uint8_t { none, malformed, too_large };

    // One field of the request's HEADERS (and CONTINUATION), in order. After an
    // error the rest is ignored: error() says which.
    void add(std::string_view name, std::string_view value);
    Error error() const { return _error; }
    const std::string& error_text() const { return _error_text; }

    // The request head as HTTP/1.1 (false on an error). end_stream: the
    // HEADERS ended the stream, no body follows. Once: the fields are let go.
    bool head(bool end_stream, std::string* out);
    // A DATA frame's bytes as body bytes, appended to out.
    void body(std::string_view data, std::string* out) const;
    // END_STREAM after a body: the last chunk, if chunked.
    void end(std::string* out) const;

    std::string_view method() const { return _method; }
    bool is_head() const { return _method == "HEAD"; }

private:
    void fail(Error e, std::string text);

    uint32_t _max_list;
    uint64_t _list_size = 0;
    std::string _method;
    std::string _path;
    std::string _authority;
    std::string _scheme;
    std::string _host;
    std::string _fields;  // "Name: value\r\n" for the regular fields
    std::string _cookie;
    std::string _content_length;
    bool _regular_seen = false;
    bool _chunked = false;
    Error _error = Error::none;
    std::string _error_text;
};

}  // namespace ringcast

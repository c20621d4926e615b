#pragma once
// The HTTP/1.1 response head the HTTP layer writes first on an h2 stream's
// connection, read back into what an HTTP/2 HEADERS frame carries: the status,
// the fields with lower-case names, without the hop-by-hop ones (Connection,
// Keep-Alive, Transfer-Encoding, Upgrade, Proxy-Connection: RFC 9113 §8.2.2),
// and the Content-Length that says where the body ends. Bytes come in pieces
// (the head may span frames); the head is bounded.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringcast {

class ResponseHead {
public:
    static constexpr size_t kMaxBytes = 16 * 1024;

    enum class State : uint8_t { need_more, done, error };

    // Takes bytes of the head; *used says how many were the head's (the rest
    // is body). After done, the head is read; after error, it never will be.
    State feed(std::string_view data, size_t* used);
    // Forgets a head read (an interim 1xx answer, or one sent), for the next
    // one; its memory goes too.
    void reset();

    int status() const { return _status; }
    // -1: none (the body ends when the stream does).
    int64_t content_length() const { return _content_length; }
    const std::vector<std::pair<std::string, std::string>>& fields() const { return _fields; }

private:
    bool parse();

    std::string _buf;
    std::vector<std::pair<std::string, std::string>> _fields;
    int64_t _content_length = -1;
    int _status = 0;
};

}  // namespace ringcast

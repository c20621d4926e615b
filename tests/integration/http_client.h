#pragma once
// HTTP/1.1 client side for the tests: build requests (well-formed or not), read
// responses framed by Content-Length (several may arrive in one read when
// requests are pipelined), and the API calls the tests make all the time:
// publish, stats, and "poll stats until a condition holds".
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deadline.h"
#include "json.h"
#include "tcp.h"

namespace ringcast::itest {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
    std::string version;  // "HTTP/1.1"
    int status = 0;
    std::string reason;
    Headers headers;  // names lower-cased, in order
    std::string body;

    std::optional<std::string> header(std::string_view lower_name) const;
    // The body as JSON (nullopt if it is not).
    std::optional<Json> json() const { return Json::parse(body); }
    // A one-line summary for assertion messages.
    std::string describe() const;
};

// Parses the head of a response from `head` (status line and header lines, no
// final blank line). False if it is not a status line followed by header fields.
bool parse_response_head(std::string_view head, HttpResponse* out);

// "METHOD target HTTP/1.1\r\nHost: ...\r\n" + headers + Content-Length (when
// there is a body) + "\r\n" + body.
std::string build_request(std::string_view method, std::string_view target,
                          std::string_view body = {}, const Headers& headers = {});
// {"channel":..,"event":..,"data":<data_json>[,"id":..]}
std::string publish_body(std::string_view channel, std::string_view event,
                         std::string_view data_json, std::optional<std::string> id = std::nullopt);

class HttpClient {
public:
    // `source`: the IPv4 loopback address to connect from (TcpConnection::connect).
    explicit HttpClient(uint16_t port, std::string source = {})
        : _port(port), _source(std::move(source)) {}

    bool connect(const Deadline& d = Deadline(kIoTimeout), int rcvbuf = 0);
    bool connected() const { return _conn.valid(); }
    TcpConnection& conn() { return _conn; }

    bool send(std::string_view raw, const Deadline& d = Deadline(kIoTimeout));
    // The next complete response; nullopt on EOF, timeout or a malformed
    // response (error() says which).
    std::optional<HttpResponse> read_response(const Deadline& d = Deadline(kIoTimeout));
    // send(build_request(...)) + read_response().
    std::optional<HttpResponse> request(std::string_view method, std::string_view target,
                                        std::string_view body = {}, const Headers& headers = {},
                                        const Deadline& d = Deadline(kIoTimeout));
    // Awaits the server closing the connection. True on EOF or reset; bytes that
    // arrived before it (beyond responses already read) go to *extra.
    bool await_close(const Deadline& d, std::string* extra = nullptr);
    // Bytes received but not yet consumed as a response.
    const std::string& pending() const { return _buf; }
    const std::string& error() const { return _error; }

private:
    uint16_t _port;
    std::string _source;
    TcpConnection _conn;
    std::string _buf;
    std::string _error;
};

struct PublishReply {
    HttpResponse response;
    std::string id;
    int64_t sent = -1;
    int64_t failed = -1;
};

// POST /api/publish on `c`; nullopt only if no response arrived.
std::optional<PublishReply> publish(HttpClient& c, std::string_view channel, std::string_view event,
                                    std::string_view data_json,
                                    std::optional<std::string> id = std::nullopt,
                                    const Deadline& d = Deadline(kIoTimeout));

// GET /api/stats on `c` (with `headers`, e.g. an API key), parsed; nullopt if
// the exchange or the JSON failed.
std::optional<Json> fetch_stats(HttpClient& c, const Deadline& d = Deadline(kIoTimeout),
                                const Headers& headers = {});

// Polls GET /api/stats on `c` until pred(stats) holds or the deadline passes.
// Between polls `idle(ms)` runs (default: wait `ms` in poll()); tests that hold
// streams pass their reader's pump so the streams keep being read. The last
// stats seen go to *last. Returns whether pred held.
// `headers` go with every poll.
bool await_stats(HttpClient& c, const std::function<bool(const Json&)>& pred, const Deadline& d,
                 Json* last = nullptr, const std::function<void(int)>& idle = {},
                 const Headers& headers = {});

// Checks that `r` is an error answer as the daemon promises: the status, a
// JSON content type and a body {"error":{"code": <code>, "message": <non-empty>}}.
// Returns an empty string when it is, else what is wrong.
std::string check_json_error(const HttpResponse& r, int status, std::string_view code);

}  // namespace ringcast::itest

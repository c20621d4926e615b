#pragma once
// An HTTP/2 client for the tests (nghttp2's client session over a TcpConnection,
// prior knowledge: h2c). Many streams on one connection, each stream's status,
// headers, body and how it ended; a stream's window can be held closed (its
// DATA never acknowledged) to make it a slow reader; raw frames can be written
// for hostile tests.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deadline.h"
#include "tcp.h"

struct nghttp2_session;

namespace ringcast::itest {

class H2Client {
public:
    struct Stream {
        int status = 0;
        std::vector<std::pair<std::string, std::string>> headers;
        std::string body;
        bool closed = false;
        uint32_t error_code = 0;  // RST_STREAM's, when closed by one
        std::string header(std::string_view name) const;
    };

    // initial_window: the client's SETTINGS_INITIAL_WINDOW_SIZE (how much a
    // stream may receive before acknowledging).
    explicit H2Client(uint16_t port, uint32_t initial_window = 65535);
    ~H2Client();
    H2Client(const H2Client&) = delete;
    H2Client& operator=(const H2Client&) = delete;

    // TCP connect, then the preface and SETTINGS (written by the next pump).
    bool connect(const Deadline& d = Deadline(kIoTimeout));
    // Submits a request; returns its stream id (< 0 on error). body_length:
    // send a content-length field for a body (else the body has none).
    int32_t request(std::string_view method, std::string_view path,
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    std::optional<std::string> body = std::nullopt, bool body_length = true);
    int32_t get(std::string_view path) { return request("GET", path); }
    // The stream's DATA is never acknowledged: its window closes.
    void hold_window(int32_t id) { _held.emplace(id, true); }
    void reset(int32_t id, uint32_t error_code = 8 /* CANCEL */);

    // Writes what is pending and reads what arrives, until pred() holds, the
    // connection ends or the deadline passes. Returns pred().
    bool run_until(const std::function<bool()>& pred, const Deadline& d);
    // One round of writing and reading, waiting up to `ms` for bytes.
    bool pump(int ms);

    Stream& stream(int32_t id) { return _streams[id]; }
    bool goaway() const { return _goaway; }
    uint32_t goaway_error() const { return _goaway_error; }
    bool eof() const { return _eof; }
    const std::string& error() const { return _error; }
    TcpConnection& conn() { return _conn; }
    nghttp2_session* session() { return _session; }

private:
    friend struct H2ClientCallbacks;
    uint16_t _port;
    uint32_t _initial_window;
    TcpConnection _conn;
    nghttp2_session* _session = nullptr;
    std::map<int32_t, Stream> _streams;
    std::map<int32_t, bool> _held;
    std::map<int32_t, std::string> _bodies;  // request bodies being sent
    std::map<int32_t, size_t> _body_sent;
    bool _goaway = false;
    uint32_t _goaway_error = 0;
    bool _eof = false;
    std::string _error;
};

// HTTP/2 frames written by hand, for what a well-behaved client never sends.
std::string h2_frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload);
inline constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace ringcast::itest

#pragma once
// The HTTP side of `ringcast tail`: parse ADDR:PORT, connect with a bound on the
// wait, send GET, and read the response head. Every wait is a ppoll() that lets
// SIGINT/SIGTERM through (they are blocked elsewhere), so Ctrl-C interrupts any
// of them at once and without a race.
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringcast::cli {

using SteadyClock = std::chrono::steady_clock;

struct HttpAddress {
    std::string host;
    std::string port;
    std::string text() const;  // "host:port", brackets around an IPv6 host
};

// "127.0.0.1:8080", "localhost:8080", "[::1]:8080", with or without "http://".
std::optional<HttpAddress> parse_http_address(std::string_view s);

struct ResponseHead {
    int status = 0;
    std::string reason;
    std::optional<size_t> content_length;
};

enum class WaitResult { ready, timeout, interrupted, error };

class HttpStream {
public:
    // `wait_mask`: the signal mask while waiting (SIGINT/SIGTERM unblocked).
    explicit HttpStream(const sigset_t& wait_mask) : _wait_mask(wait_mask) {}
    ~HttpStream();
    HttpStream(const HttpStream&) = delete;
    HttpStream& operator=(const HttpStream&) = delete;

    // Connects to the first address of `a` that answers. On failure error() says
    // which address and why; interrupted() tells a signal from a failure.
    bool connect(const HttpAddress& a, SteadyClock::time_point deadline);
    bool send_all(std::string_view bytes, SteadyClock::time_point deadline);
    // Reads the response head; bytes after it stay in body().
    bool read_head(ResponseHead* head, SteadyClock::time_point deadline);
    // Waits for bytes (or the deadline, or a signal) and appends them to body():
    // ready with n > 0, ready with 0 at EOF.
    WaitResult read_some(SteadyClock::time_point deadline, size_t* n);

    std::string& body() { return _buf; }
    const std::string& error() const { return _error; }
    bool interrupted() const { return _interrupted; }

private:
    WaitResult wait(short events, SteadyClock::time_point deadline);

    int _fd = -1;
    sigset_t _wait_mask;
    std::string _buf;
    std::string _error;
    bool _interrupted = false;
};

}  // namespace ringcast::cli

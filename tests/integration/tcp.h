#pragma once
// A client TCP connection to the daemon on 127.0.0.1, non-blocking underneath,
// with every wait bounded by a Deadline (poll()). The HTTP and SSE helpers are
// built on it; tests use it directly to send raw or hostile bytes.
#include <cstdint>
#include <string>
#include <string_view>

#include "deadline.h"

namespace ringcast::itest {

enum class IoStatus { ok, eof, reset, timeout, error };
const char* to_string(IoStatus s);

// A loopback port nobody listens on right now (bound to port 0, then
// released), for a server the test starts on it; 0 if none could be had.
// Another process could take it in between: such tests say so, or try again.
uint16_t free_port();

struct RecvResult {
    IoStatus status = IoStatus::ok;
    std::string bytes;
    int error = 0;  // errno for IoStatus::error
};

class TcpConnection {
public:
    TcpConnection() = default;
    ~TcpConnection() { close(); }
    TcpConnection(TcpConnection&& o) noexcept : _fd(o._fd) { o._fd = -1; }
    TcpConnection& operator=(TcpConnection&& o) noexcept;
    TcpConnection(const TcpConnection&) = delete;
    TcpConnection& operator=(const TcpConnection&) = delete;

    // Connects to 127.0.0.1:port. `rcvbuf` > 0 shrinks the receive buffer
    // before connecting (a reader that falls behind quickly). `source`, an IPv4
    // loopback address ("127.0.0.5"), is bound first, so that the server sees the
    // client coming from it. On failure the connection is invalid and errno is set.
    bool connect(uint16_t port, const Deadline& d, int rcvbuf = 0, const std::string& source = {});
    bool valid() const { return _fd >= 0; }
    int fd() const { return _fd; }

    // Sends every byte; false on error or deadline.
    bool send_all(std::string_view bytes, const Deadline& d);
    // Awaits readable data and returns one read's worth (ok), or eof/reset/timeout.
    RecvResult recv_some(const Deadline& d, size_t max = 65536);
    // Reads until the peer closes (eof or reset) or the deadline; everything read
    // is returned with the final status.
    RecvResult read_to_eof(const Deadline& d);
    // True if bytes or an EOF are waiting right now (no wait).
    bool readable_now() const;

    // Plain close (FIN, or RST if unread data remains).
    void close();
    // Abortive close: SO_LINGER {1, 0} makes close() send a RST.
    void close_abortive();
    void shutdown_write();

private:
    int _fd = -1;
};

}  // namespace ringcast::itest

#pragma once
// A client of the daemon's Unix publishing socket: send request lines, read reply
// lines, every wait bounded by a Deadline. Tests of the socket protocol and of
// anything that publishes through it build on this.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deadline.h"

namespace ringcast::itest {

class UnixClient {
public:
    UnixClient() = default;
    ~UnixClient() { close(); }
    UnixClient(const UnixClient&) = delete;
    UnixClient& operator=(const UnixClient&) = delete;

    bool connect(const std::string& path, const Deadline& d = Deadline(kIoTimeout));
    bool connected() const { return _fd >= 0; }
    int fd() const { return _fd; }

    // Sends bytes as they are (lines must carry their own "\n").
    bool send(std::string_view bytes, const Deadline& d = Deadline(kIoTimeout));
    // The next reply line, without its "\n"; nullopt on EOF, error or deadline
    // (error() says which).
    std::optional<std::string> read_line(const Deadline& d = Deadline(kIoTimeout));
    // send(line + "\n"), then read_line().
    std::optional<std::string> request(std::string_view line,
                                       const Deadline& d = Deadline(kIoTimeout));
    // Awaits the daemon closing the connection; lines that arrive first go to *lines.
    bool await_close(const Deadline& d, std::vector<std::string>* lines = nullptr);

    void shutdown_write();
    void close();
    const std::string& error() const { return _error; }

private:
    bool fill(const Deadline& d);  // reads more into _buf; false on EOF/error/deadline

    int _fd = -1;
    std::string _buf;
    std::string _error;
    bool _eof = false;
};

}  // namespace ringcast::itest

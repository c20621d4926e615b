#pragma once
// The control channel between the parent and a worker process: one end of a
// socketpair carrying text lines. Text keeps the protocol readable in strace
// and trivially debuggable; the volume is a few lines per run (plus one sparse
// histogram), so compactness does not matter.
#include <string>

namespace ringcast::load {

class LineChannel {
public:
    LineChannel() = default;
    explicit LineChannel(int fd) : _fd(fd) {}
    LineChannel(const LineChannel&) = delete;
    LineChannel& operator=(const LineChannel&) = delete;
    LineChannel(LineChannel&& o) noexcept : _fd(o._fd), _in(std::move(o._in)), _eof(o._eof) {
        o._fd = -1;
    }
    LineChannel& operator=(LineChannel&& o) noexcept {
        if (this != &o) {
            close_fd();
            _fd = o._fd;
            _in = std::move(o._in);
            _eof = o._eof;
            o._fd = -1;
        }
        return *this;
    }
    ~LineChannel();

    int fd() const { return _fd; }
    bool eof() const { return _eof; }

    // Writes a whole line (a '\n' is added). Blocks until written; false if the
    // peer is gone.
    bool send_line(const std::string& line);

    // Reads what is available without blocking (the fd is non-blocking);
    // false once the peer closed and nothing is left to read.
    bool read_available();

    // Takes the next complete line, if any.
    bool next_line(std::string* line);

    void close_fd();

private:
    int _fd = -1;
    std::string _in;
    bool _eof = false;
};

// Splits "key=value key=value" into calls of f(key, value).
template <typename F>
void for_each_field(const std::string& line, F&& f) {
    size_t pos = 0;
    while (pos < line.size()) {
        size_t end = line.find(' ', pos);
        if (end == std::string::npos) end = line.size();
        size_t eq = line.find('=', pos);
        if (eq != std::string::npos && eq < end)
            f(std::string_view(line).substr(pos, eq - pos),
              std::string_view(line).substr(eq + 1, end - eq - 1));
        pos = end + 1;
    }
}

}  // namespace ringcast::load

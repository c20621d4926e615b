#include "control.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ringcast::load {

LineChannel::~LineChannel() {
    close_fd();
}

void LineChannel::close_fd() {
    if (_fd >= 0) ::close(_fd);
    _fd = -1;
}

bool LineChannel::send_line(const std::string& line) {
    std::string out = line + '\n';
    size_t off = 0;
    while (off < out.size()) {
        ssize_t n = ::send(_fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += size_t(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            // The peer reads its control channel in its loop; give it a moment.
            pollfd p{_fd, POLLOUT, 0};
            if (poll(&p, 1, 5000) <= 0) return false;
            continue;
        }
        return false;
    }
    return true;
}

bool LineChannel::read_available() {
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(_fd, buf, sizeof buf, 0);
        if (n > 0) {
            _in.append(buf, size_t(n));
            continue;
        }
        if (n == 0) {
            _eof = true;
            break;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN) _eof = true;
        break;
    }
    return !_eof || !_in.empty();
}

bool LineChannel::next_line(std::string* line) {
    size_t nl = _in.find('\n');
    if (nl == std::string::npos) return false;
    line->assign(_in, 0, nl);
    _in.erase(0, nl + 1);
    return true;
}

}  // namespace ringcast::load

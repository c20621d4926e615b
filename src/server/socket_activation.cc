#include "server/socket_activation.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <systemd/sd-daemon.h>

namespace ringcast {

namespace {

// What a passed descriptor is, for an error that says why it does not fit.
std::string describe(int fd) {
    if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) > 0) return "a listening Unix socket";
    if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) > 0) return "a listening TCP socket";
    if (sd_is_socket(fd, AF_UNSPEC, SOCK_DGRAM, -1) > 0) return "a datagram socket";
    if (sd_is_socket(fd, AF_UNSPEC, 0, 0) > 0) return "a socket that does not listen";
    if (sd_is_fifo(fd, nullptr) > 0) return "a FIFO";
    return "not a socket";
}

}  // namespace

bool take_activated_sockets(ActivatedSockets* out, std::string* error) {
    *out = {};
    char** names = nullptr;
    int n = sd_listen_fds_with_names(1, &names);
    if (n < 0) {
        *error = fmt::format("socket activation: LISTEN_FDS is unusable: {}", std::strerror(-n));
        return false;
    }
    std::vector<std::string> problems;
    for (int i = 0; i < n; ++i) {
        const int fd = SD_LISTEN_FDS_START + i;
        const std::string name = names && names[i] ? names[i] : "unknown";
        int* slot = nullptr;
        bool fits = false;
        const char* wanted = "";
        if (name == "http") {
            slot = &out->http;
            fits = sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) > 0;
            wanted = "a listening TCP socket (ListenStream=ADDR:PORT)";
        } else if (name == "https") {
            slot = &out->https;
            fits = sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) > 0;
            wanted = "a listening TCP socket (ListenStream=ADDR:PORT)";
        } else if (name == "publish") {
            slot = &out->publish;
            fits = sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) > 0;
            wanted = "a listening Unix stream socket (ListenStream=/path)";
        }
        if (!slot)
            problems.push_back(fmt::format(
                "socket activation: descriptor {} is named \"{}\"; ringcastd takes \"http\", "
                "\"https\" and \"publish\" (FileDescriptorName= in the socket unit)",
                fd, name));
        else if (*slot >= 0)
            problems.push_back(fmt::format(
                "socket activation: more than one socket is named \"{}\" (descriptors {} and "
                "{}); ringcastd takes one of each",
                name, *slot, fd));
        else if (!fits)
            problems.push_back(
                fmt::format("socket activation: \"{}\" (descriptor {}) must be {}, "
                            "but it is {}",
                            name, fd, wanted, describe(fd)));
        else
            *slot = fd;
    }
    if (names) {
        for (int i = 0; i < n; ++i)
            std::free(names[i]);
        std::free(names);
    }
    if (!problems.empty()) {
        for (int i = 0; i < n; ++i)
            close(SD_LISTEN_FDS_START + i);
        *out = {};
        *error = fmt::format("{}", fmt::join(problems, "\n"));
        return false;
    }
    for (int fd : {out->http, out->publish, out->https})
        if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
    for (int fd : {out->http, out->https}) {
        if (fd < 0) continue;
        // As open_listener does: accepted sockets inherit it (net/listener.cc).
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return true;
}

}  // namespace ringcast

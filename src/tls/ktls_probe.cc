#include "tls/ktls_probe.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

namespace ringcast {

KtlsProbe probe_ktls() {
    KtlsProbe p;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        p.detail = fmt::format("cannot probe: socket: {}", std::strerror(errno));
        return p;
    }
    static const char kUlp[] = "tls";
    const int r = setsockopt(fd, IPPROTO_TCP, TCP_ULP, kUlp, sizeof kUlp - 1);
    const int err = r == 0 ? 0 : errno;
    close(fd);
    // The kernel looks the module up before it checks the socket's state: a
    // socket that is not connected fails with ENOTCONN when "tls" exists.
    if (err == 0 || err == ENOTCONN) {
        p.kernel_tls = true;
        p.detail = "kernel has the tls ULP";
    } else if (err == ENOENT) {
        p.detail = "kernel has no tls ULP (ENOENT)";
    } else {
        p.detail = fmt::format("kernel tls ULP unusable: {}", std::strerror(err));
    }
    return p;
}

const KtlsProbe& kernel_tls() {
    static const KtlsProbe probe = probe_ktls();
    return probe;
}

}  // namespace ringcast

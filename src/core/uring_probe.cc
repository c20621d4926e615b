#include "core/uring_probe.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "core/buf_ring.h"
#include "core/ring.h"
#include "core/uring_cmd.h"

namespace ringcast {

namespace {

std::string read_sysctl(const char* path) {
    std::ifstream f(path);
    std::string v;
    if (f) std::getline(f, v);
    return v;
}

std::string explain_setup_error(int err) {
    std::string disabled = read_sysctl("/proc/sys/kernel/io_uring_disabled");
    switch (err) {
        case ENOSYS:
            return "io_uring_setup(2) returned ENOSYS: this kernel was built without io_uring "
                   "(CONFIG_IO_URING) or a seccomp filter answers ENOSYS for it. Use a kernel "
                   "with io_uring (6.1 or newer) or allow the io_uring_* syscalls.";
        case EPERM:
            if (disabled == "2")
                return "io_uring is disabled by sysctl (kernel.io_uring_disabled=2). Enable it: "
                       "sysctl -w kernel.io_uring_disabled=0 (persist in /etc/sysctl.d/).";
            if (disabled == "1")
                return "io_uring is restricted by sysctl (kernel.io_uring_disabled=1) to root and "
                       "the group in kernel.io_uring_group. Run ringcastd in that group, or set "
                       "kernel.io_uring_disabled=0.";
            return "io_uring_setup(2) was refused with EPERM, most likely by a seccomp policy "
                   "(container runtimes block io_uring by default; systemd SystemCallFilter= may "
                   "too). Allow io_uring_setup, io_uring_enter and io_uring_register.";
        case ENOMEM:
            return "io_uring_setup(2) failed with ENOMEM: on kernels before 5.12 rings count "
                   "against RLIMIT_MEMLOCK. Raise it (LimitMEMLOCK=infinity in the unit) or use a "
                   "newer kernel.";
        default: return fmt::format("io_uring_setup(2) failed: {}", std::strerror(err));
    }
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

// Waits for one CQE with the given user_data; returns its res, or -ETIME.
int wait_for(Ring& ring, uint64_t user_data, unsigned* flags) {
    for (int tries = 0; tries < 20; ++tries) {
        ring.enter(1, 50'000'000);
        int found = -ETIME;
        bool hit = false;
        ring.drain([&](const io_uring_cqe& cqe) {
            if (!hit && cqe.user_data == user_data) {
                hit = true;
                found = cqe.res;
                if (flags) *flags = cqe.flags;
            }
        });
        if (hit) return found;
    }
    return -ETIME;
}

}  // namespace

ProbeReport probe_io_uring() {
    ProbeReport rep;
    utsname u;
    if (uname(&u) == 0) rep.kernel = u.release;
    auto fail = [&](std::string msg) {
        rep.ok = false;
        rep.problems.push_back(std::move(msg));
    };

    Ring ring;
    int r = ring.init(RingOptions{64, 256});
    if (r < 0) {
        fail(explain_setup_error(-r));
        return rep;
    }
    rep.mode = ring.mode();
    if (std::string(ring.mode()) != "defer_taskrun")
        rep.notes.push_back(fmt::format(
            "IORING_SETUP_DEFER_TASKRUN is unavailable (kernel {}); running with {}. Kernel 6.1+ "
            "is faster.",
            rep.kernel, ring.mode()));

    io_uring_probe* probe = io_uring_get_probe_ring(ring.raw());
    if (!probe) {
        fail("IORING_REGISTER_PROBE failed: the kernel is too old (5.6+ needed to even probe).");
        return rep;
    }
    struct Need {
        int op;
        const char* name;
        const char* since;
    };
    const Need needs[] = {
        {IORING_OP_ACCEPT, "ACCEPT", "5.5"},      {IORING_OP_RECV, "RECV", "5.6"},
        {IORING_OP_SEND, "SEND", "5.6"},          {IORING_OP_SENDMSG, "SENDMSG", "5.3"},
        {IORING_OP_CLOSE, "CLOSE", "5.6"},        {IORING_OP_SHUTDOWN, "SHUTDOWN", "5.11"},
        {IORING_OP_MSG_RING, "MSG_RING", "5.18"}, {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL", "5.5"},
    };
    for (const Need& n : needs)
        if (!io_uring_opcode_supported(probe, n.op))
            fail(fmt::format("kernel {} lacks IORING_OP_{} (Linux {}+); upgrade to 6.1 or newer.",
                             rep.kernel, n.name, n.since));
    rep.fd_install = io_uring_opcode_supported(probe, kOpFixedFdInstall);
    if (!rep.fd_install)
        rep.notes.push_back(fmt::format(
            "kernel {} cannot turn a direct descriptor back into a file descriptor "
            "(IORING_OP_FIXED_FD_INSTALL, Linux 6.8+): an upgrade (ringcastd --takeover) drains "
            "the streams with a randomised retry instead of handing them over.",
            rep.kernel));
    io_uring_free_probe(probe);
    if (!rep.ok) return rep;

    BufferRing bufs;
    r = bufs.init(ring.raw(), 7, 8, 256);
    if (r < 0) {
        fail(fmt::format("registering a provided-buffer ring failed ({}): Linux 5.19+ is needed.",
                         std::strerror(-r)));
        return rep;
    }
    r = io_uring_register_files_sparse(ring.raw(), 8);
    if (r < 0) {
        fail(
            fmt::format("registering a sparse direct-descriptor table failed ({}): Linux 5.19+ "
                        "is needed.",
                        std::strerror(-r)));
        return rep;
    }

    // Multishot receive into the provided buffers over a socketpair.
    Fd a, b;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        fail(fmt::format("socketpair failed: {}", std::strerror(errno)));
        return rep;
    }
    a.fd = sv[0];
    b.fd = sv[1];
    io_uring_sqe* sqe = ring.sqe();
    io_uring_prep_recv_multishot(sqe, a.fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 7;
    io_uring_sqe_set_data64(sqe, 1);
    ring.submit();
    if (write(b.fd, "x", 1) != 1) {
        fail("write to socketpair failed");
        return rep;
    }
    unsigned flags = 0;
    r = wait_for(ring, 1, &flags);
    if (r == -EINVAL)
        fail("multishot receive (IORING_RECV_MULTISHOT) is not supported: Linux 6.0+ is needed.");
    else if (r < 0)
        fail(fmt::format("multishot receive failed: {}", std::strerror(-r)));
    else if (!(flags & IORING_CQE_F_BUFFER))
        fail("multishot receive did not use a provided buffer: Linux 6.0+ is needed.");

    // getsockopt(SO_PEERCRED) through the ring: optional, see ProbeReport.
    ucred cred{};
    sqe = ring.sqe();
    prep_getsockopt(sqe, a.fd, SOL_SOCKET, SO_PEERCRED, &cred, sizeof cred);
    io_uring_sqe_set_data64(sqe, 3);
    ring.submit();
    r = wait_for(ring, 3, nullptr);
    rep.peer_credentials = r == int(sizeof cred) && cred.pid == getpid();
    if (!rep.peer_credentials)
        rep.notes.push_back(fmt::format(
            "io_uring cannot read a socket's peer credentials on kernel {} (getsockopt through "
            "the ring needs Linux 6.7+): publishers' uid/gid are not known, and "
            "publish.allow_uids/allow_gids cannot be used.",
            rep.kernel));

    // Accept into a slot of the direct-descriptor table the kernel picks
    // (IORING_FILE_INDEX_ALLOC), with the peer's address, as the transport does.
    Fd l;
    l.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "ringcast-probe-%d", getpid());
    socklen_t salen = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + std::strlen(sa.sun_path + 1));
    if (bind(l.fd, reinterpret_cast<sockaddr*>(&sa), salen) != 0 || listen(l.fd, 4) != 0) {
        fail(fmt::format("probe listener failed: {}", std::strerror(errno)));
        return rep;
    }
    sqe = ring.sqe();
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    io_uring_prep_accept(sqe, l.fd, reinterpret_cast<sockaddr*>(&peer), &peer_len, 0);
    sqe->file_index = IORING_FILE_INDEX_ALLOC;  // not via prep_accept_direct: see acceptor.cc
    io_uring_sqe_set_data64(sqe, 2);
    ring.submit();
    Fd c;
    c.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&sa), salen) != 0) {
        fail(fmt::format("probe connect failed: {}", std::strerror(errno)));
        return rep;
    }
    flags = 0;
    r = wait_for(ring, 2, &flags);
    if (r == -EINVAL)
        fail("accept into an allocated direct descriptor is not supported: Linux 5.19+ is needed.");
    else if (r < 0)
        fail(fmt::format("accept into a direct descriptor failed: {}", std::strerror(-r)));
    else if (peer.ss_family != AF_UNIX || peer_len == sizeof peer)
        fail("accept into a direct descriptor did not report the peer's address.");
    return rep;
}

std::string format_probe(const ProbeReport& r) {
    std::string out = fmt::format("io_uring probe: kernel {}, ring mode {}: {}\n", r.kernel,
                                  r.mode.empty() ? "-" : r.mode, r.ok ? "ok" : "NOT USABLE");
    for (const auto& p : r.problems)
        out += "  error: " + p + "\n";
    for (const auto& n : r.notes)
        out += "  note: " + n + "\n";
    return out;
}

}  // namespace ringcast

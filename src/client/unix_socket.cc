#include "client/unix_socket.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace ringcast::client {
namespace {

std::string user_name(uid_t uid) {
    if (passwd* p = ::getpwuid(uid)) return p->pw_name;
    return std::to_string(uid);
}

std::string group_name(gid_t gid) {
    if (group* g = ::getgrgid(gid)) return g->gr_name;
    return std::to_string(gid);
}

// Whether this process holds `gid` (primary or supplementary).
bool in_group(gid_t gid) {
    if (::getegid() == gid) return true;
    int n = ::getgroups(0, nullptr);
    std::vector<gid_t> groups(size_t(std::max(n, 0)));
    n = ::getgroups(int(groups.size()), groups.data());
    return n > 0 && std::find(groups.begin(), groups.begin() + n, gid) != groups.begin() + n;
}

// Whether the group database lists `user` as a member of `gid` (then a session
// started before it was added lacks the group until the user logs in again).
bool listed_in_group(gid_t gid, const std::string& user) {
    group* g = ::getgrgid(gid);
    if (!g) return false;
    for (char** m = g->gr_mem; m && *m; ++m)
        if (user == *m) return true;
    return false;
}

// EACCES: the socket exists (or a directory on the way) but this user may not
// open it. Says who may, from the file's owner, group and mode, and how to
// become one of them; the daemon sets them from server.unix_mode and
// server.unix_group.
std::string explain_permission(const std::string& path) {
    std::string me = user_name(::geteuid());
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
        // A directory on the way is closed to this user.
        for (size_t slash = path.find('/', 1); slash != std::string::npos;
             slash = path.find('/', slash + 1)) {
            std::string dir = path.substr(0, slash);
            struct stat ds;
            if (::access(dir.c_str(), X_OK) != 0 && ::stat(dir.c_str(), &ds) == 0)
                return fmt::format(
                    "permission denied: user {} may not enter the directory {} (owner {}, group "
                    "{}, mode {:04o})",
                    me, dir, user_name(ds.st_uid), group_name(ds.st_gid), ds.st_mode & 07777);
        }
        return fmt::format("permission denied: user {} may not reach the socket", me);
    }
    const std::string owner = user_name(st.st_uid), grp = group_name(st.st_gid);
    const unsigned mode = st.st_mode & 07777;
    std::string who = fmt::format(
        "permission denied: the socket exists, but user {} may not open it (owner {}, group {}, "
        "mode {:04o}; the daemon's server.unix_group and server.unix_mode)",
        me, owner, grp, mode);
    if (!(mode & S_IWGRP))
        return who + fmt::format(
                         ": only its owner and root may connect; for a group of publishers, "
                         "set server.unix_mode = \"0660\" and server.unix_group");
    if (in_group(st.st_gid)) return who;
    if (listed_in_group(st.st_gid, me))
        return who + fmt::format(
                         ": {} was added to group {} after this session started; log in again "
                         "(or run `newgrp {}`)",
                         me, grp, grp);
    return who + fmt::format(
                     ": members of group {} may connect; join it with `usermod -aG {} {}` (as "
                     "root), then log in again",
                     grp, grp, me);
}

}  // namespace

std::string explain_connect_error(const SocketLocation& where, int err) {
    std::string why;
    struct stat st;
    const std::string& p = where.path;
    switch (err) {
        case ENOENT:
            why =
                "no such socket (is ringcastd running? It listens on <data-dir>/ringcast.sock, or "
                "on the path given to --unix)";
            break;
        case ECONNREFUSED:
            if (::stat(p.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode))
                why = "the file is not a socket";
            else
                why =
                    "connection refused (the socket file exists but no daemon listens on it: "
                    "ringcastd has stopped?)";
            break;
        case EACCES:
        case EPERM: why = explain_permission(p); break;
        case ENOTDIR: why = "a component of the path is not a directory"; break;
        case ENAMETOOLONG:
            why = fmt::format("the path is longer than a Unix socket address allows ({} bytes)",
                              sizeof(sockaddr_un::sun_path) - 1);
            break;
        case ETIMEDOUT: why = "the daemon did not accept the connection in time"; break;
        default: why = std::strerror(err);
    }
    return fmt::format("cannot connect to ringcastd at {}: {}", describe(where), why);
}

int connect_unix(const SocketLocation& where, int timeout_ms, int* err, std::string* why) {
    const std::string& path = where.path;
    auto fail = [&](int e, int fd) {
        if (fd >= 0) ::close(fd);
        *err = e;
        *why = explain_connect_error(where, e);
        return -1;
    };
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.empty()) return fail(ENOENT, -1);
    if (path.size() >= sizeof sa.sun_path) return fail(ENAMETOOLONG, -1);
    std::memcpy(sa.sun_path, path.data(), path.size());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(errno, -1);
    // A non-blocking Unix connect either completes at once or fails with EAGAIN
    // when the listener's backlog is full; then retry until the timeout.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return fd;
        if (errno == EINTR) continue;
        if (errno != EAGAIN) return fail(errno, fd);
        if (timeout_ms >= 0 && std::chrono::steady_clock::now() >= deadline)
            return fail(ETIMEDOUT, fd);
        ::poll(nullptr, 0, 5);  // the backlog drains as the daemon accepts
    }
}

}  // namespace ringcast::client

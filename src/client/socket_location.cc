#include "ringcast/socket_location.h"

#include <sys/stat.h>

#include <cstdlib>

#include <fmt/format.h>

namespace ringcast::client {

SocketLocation locate_socket(std::string_view given) {
    if (!given.empty()) return {std::string(given), SocketSource::given};
    const char* env = std::getenv(kSocketEnv);
    if (env && *env) return {env, SocketSource::environment};
    struct stat st;
    if (::lstat(kMakeRunSocket, &st) == 0) return {kMakeRunSocket, SocketSource::make_run};
    return {kSystemdSocket, SocketSource::systemd};
}

std::string describe(const SocketLocation& where) {
    switch (where.source) {
        case SocketSource::given: break;
        case SocketSource::environment: return fmt::format("{} (from {})", where.path, kSocketEnv);
        case SocketSource::make_run:
            return fmt::format("{} (make run's socket, found in this directory)", where.path);
        case SocketSource::systemd:
            return fmt::format("{} (the systemd unit's socket; make run's, {}, is not here either)",
                               where.path, kMakeRunSocket);
    }
    return where.path;
}

}  // namespace ringcast::client

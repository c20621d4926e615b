#include "store/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace ringcast {

LockFile& LockFile::operator=(LockFile&& o) noexcept {
    std::swap(_fd, o._fd);
    return *this;
}

LockFile::~LockFile() {
    if (_fd >= 0) ::close(_fd);  // closing the descriptor releases the lock
}

bool LockFile::lock(const std::string& store_path, std::string* error) {
    const std::string path = store_path + ".lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) {
        *error = fmt::format("store {}: cannot create its lock file {}: {}", store_path, path,
                             std::strerror(errno));
        return false;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) {
            *error = fmt::format(
                "store {} is in use by another ringcastd: only one daemon may use a store at a "
                "time, and the one using it holds an exclusive lock on {} until it exits. Stop "
                "the other daemon, or give this one its own store.path",
                store_path, path);
        } else {
            *error =
                fmt::format("store {}: cannot lock {}: {}", store_path, path, std::strerror(err));
        }
        return false;
    }
    if (_fd >= 0) ::close(_fd);
    _fd = fd;
    return true;
}

}  // namespace ringcast

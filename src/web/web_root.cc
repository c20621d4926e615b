#include "web/web_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "web/content_type.h"

namespace ringcast {

namespace {

// A descriptor closed when it goes.
class Fd {
public:
    explicit Fd(int fd) : _fd(fd) {}
    ~Fd() {
        if (_fd >= 0) ::close(_fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return _fd; }

private:
    int _fd;
};

// `rel` under the folder `dir`, never outside it. O_NONBLOCK: a FIFO someone
// left in the folder must not block the open (fstat then turns it away).
int open_beneath(int dir, const std::string& rel) {
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return int(::syscall(SYS_openat2, dir, rel.c_str(), &how, sizeof how));
}

bool read_all(int fd, std::string* out, size_t size) {
    out->resize(size);
    size_t got = 0;
    while (got < size) {
        ssize_t n = ::read(fd, out->data() + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) break;  // shrank while being read: what is there
        got += size_t(n);
    }
    out->resize(got);
    return true;
}

void fail(WebLookup* out, std::string problem) {
    out->kind = WebLookup::Kind::failed;
    out->problem = std::move(problem);
}

}  // namespace

bool check_web_root(const std::string& root, std::string* why) {
    struct stat st;
    if (::stat(root.c_str(), &st) != 0) {
        *why = errno == ENOENT ? std::string("no such directory") : std::strerror(errno);
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        *why = "not a directory";
        return false;
    }
    if (::access(root.c_str(), R_OK | X_OK) != 0) {
        *why = fmt::format("not readable by this user: {}", std::strerror(errno));
        return false;
    }
    return true;
}

WebLookup read_web_root(const std::string& root, const WebPath& path, bool want_gzip) {
    Fd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0) {
        WebLookup l;
        fail(&l, fmt::format("web root {}: {}", root, std::strerror(errno)));
        return l;
    }
    auto find = [&](const std::string& rel, WebLookup* out) {
        Fd file(open_beneath(dir.get(), rel));
        if (file.get() < 0) {
            const int err = errno;
            if (err == EXDEV && out)  // (not again for the redirect's look at rel/index.html)
                spdlog::warn("web root {}: {} leads outside it (a symlink?): not served", root,
                             rel);
            if (err == ENOENT || err == ENOTDIR || err == EXDEV || err == ELOOP || !out)
                return false;
            fail(out,
                 fmt::format("web root {}: cannot open {}: {}", root, rel, std::strerror(err)));
            return true;
        }
        struct stat st;
        if (::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) return false;  // a folder...
        if (!out) return true;
        if (uint64_t(st.st_size) > kMaxWebRootFile) {
            fail(out, fmt::format("web root {}: {} has {} bytes, more than the {} MiB served", root,
                                  rel, st.st_size, kMaxWebRootFile >> 20));
            return true;
        }
        auto data = std::make_unique<WebFileData>();
        if (!read_all(file.get(), &data->bytes, size_t(st.st_size))) {
            fail(out,
                 fmt::format("web root {}: cannot read {}: {}", root, rel, std::strerror(errno)));
            return true;
        }
        data->hash = web_hash(data->bytes);
        if (want_gzip) data->gzip = gzip_if_smaller(data->bytes);
        out->kind = WebLookup::Kind::file;
        out->file = {content_type_for(rel), data->bytes, data->gzip, data->hash};
        out->data = std::move(data);
        return true;
    };
    WebLookup l = resolve_web_path(path, find);
    if (l.kind == WebLookup::Kind::failed) spdlog::warn("{}", l.problem);
    return l;
}

}  // namespace ringcast

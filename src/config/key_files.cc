// Files of secrets the daemon reads at startup: the [auth] key files and the
// file of API keys. Messages name the file (and a line), never its content.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "config/config.h"
#include "config/parse.h"

namespace ringcast {
namespace {

constexpr off_t kMaxKeyFile = 1 << 20;

// The whole of a regular file of at most kMaxKeyFile bytes; "" and *why set
// when it cannot be had.
std::string read_small_file(const std::string& path, std::string* why) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        *why = strerror(errno);
        return {};
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *why = strerror(errno);
    } else if (!S_ISREG(st.st_mode)) {
        *why = "not a regular file";
    } else if (st.st_size > kMaxKeyFile) {
        *why = fmt::format("{} bytes, more than a key file holds (1 MiB at most)", st.st_size);
    }
    std::string text;
    if (why->empty()) {
        text.resize(size_t(st.st_size));
        size_t got = 0;
        while (got < text.size()) {
            ssize_t n = ::read(fd, text.data() + got, text.size() - got);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                *why = strerror(errno);
                break;
            }
            if (n == 0) break;  // shrank while we read: take what is there
            got += size_t(n);
        }
        text.resize(got);
    }
    ::close(fd);
    return why->empty() ? text : std::string();
}

std::string_view trim(std::string_view s) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!s.empty() && blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
        s.remove_suffix(1);
    return s;
}

}  // namespace

bool read_key_file(const std::string& path, std::string* out, std::string* error) {
    std::string why;
    std::string text = read_small_file(path, &why);
    if (!why.empty()) {
        *error = fmt::format("cannot read key file {}: {}", path, why);
        return false;
    }
    if (text.ends_with('\n')) {
        text.pop_back();
        if (text.ends_with('\r')) text.pop_back();
    }
    if (text.empty()) {
        *error = fmt::format("key file {} is empty", path);
        return false;
    }
    *out = std::move(text);
    return true;
}

bool read_api_key_file(Config& cfg, std::string* error) {
    const std::string& path = cfg.publish_api_key_file;
    if (path.empty()) return true;
    std::string why;
    std::string text = read_small_file(path, &why);
    if (!why.empty()) {
        *error = fmt::format("publish.api_key_file: cannot read {}: {}", path, why);
        return false;
    }
    std::vector<std::string> keys;
    size_t line = 0;
    for (size_t at = 0; at < text.size();) {
        size_t end = std::min(text.find('\n', at), text.size());
        std::string_view item = trim(std::string_view(text).substr(at, end - at));
        at = end + 1;
        ++line;
        if (item.empty() || item.starts_with('#')) continue;
        if (!config_detail::header_safe(item)) {
            *error = fmt::format(
                "publish.api_key_file {}:{}: a key must be visible ASCII without spaces (it "
                "travels in an HTTP header); write one key per line",
                path, line);
            return false;
        }
        keys.emplace_back(item);
    }
    if (keys.empty()) {
        *error = fmt::format(
            "publish.api_key_file {} holds no key (one key per line; blank lines and lines "
            "starting with # are ignored)",
            path);
        return false;
    }
    for (std::string& k : keys)
        if (std::find(cfg.publish_api_keys.begin(), cfg.publish_api_keys.end(), k) ==
            cfg.publish_api_keys.end())
            cfg.publish_api_keys.push_back(std::move(k));
    return true;
}

}  // namespace ringcast

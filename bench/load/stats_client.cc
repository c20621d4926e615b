#include "stats_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <type_traits>

#include <simdjson.h>

#include "clock.h"

namespace ringcast::load {

namespace {

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, uint64_t deadline_ns) {
    for (;;) {
        uint64_t now = now_ns();
        if (now >= deadline_ns) return false;
        pollfd p{fd, events, 0};
        int r = poll(&p, 1, int((deadline_ns - now) / kNsPerMs) + 1);
        if (r > 0) return true;
        if (r < 0 && errno != EINTR) return false;
    }
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

// Finds "\r\n\r\n" and the Content-Length in a response head.
bool parse_head(const std::string& buf, size_t* body_at, int* status, long* content_length) {
    size_t end = buf.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    *body_at = end + 4;
    *status = 0;
    if (buf.compare(0, 5, "HTTP/") != 0 || buf.size() < 12) return false;
    std::from_chars(buf.data() + 9, buf.data() + 12, *status);
    *content_length = -1;
    for (size_t pos = buf.find("\r\n"); pos < end; pos = buf.find("\r\n", pos + 2)) {
        static constexpr std::string_view name = "content-length:";
        if (pos + 2 + name.size() > end) break;
        if (strncasecmp(buf.data() + pos + 2, name.data(), name.size()) != 0) continue;
        const char* v = buf.data() + pos + 2 + name.size();
        while (*v == ' ')
            ++v;
        long n = 0;
        std::from_chars(v, buf.data() + end, n);
        *content_length = n;
    }
    return true;
}

}  // namespace

bool http_get(const Endpoint& target, const std::string& path, const std::string& api_key,
              uint32_t timeout_ms, int* status, std::string* body, std::string* error) {
    return http_request(target, "GET", path, api_key, {}, timeout_ms, status, body, error);
}

bool http_request(const Endpoint& target, const std::string& method, const std::string& path,
                  const std::string& api_key, const std::string& json_body, uint32_t timeout_ms,
                  int* status, std::string* body, std::string* error) {
    const uint64_t deadline = now_ns() + uint64_t(timeout_ms) * kNsPerMs;
    Fd s;
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) {
        *error = std::string("socket: ") + std::strerror(errno);
        return false;
    }
    if (connect(s.fd, reinterpret_cast<const sockaddr*>(&target.addr), sizeof target.addr) != 0 &&
        errno != EINPROGRESS) {
        *error = "cannot connect to " + target.text + ": " + std::strerror(errno);
        return false;
    }
    if (!wait_for(s.fd, POLLOUT, deadline)) {
        *error = "connect to " + target.text + " timed out";
        return false;
    }
    int soerr = 0;
    socklen_t len = sizeof soerr;
    getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr) {
        *error = "cannot connect to " + target.text + ": " + std::strerror(soerr);
        return false;
    }
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: " + target.text +
                      "\r\nConnection: close\r\nAccept: application/json\r\n";
    if (!api_key.empty()) req += "X-API-Key: " + api_key + "\r\n";
    if (!json_body.empty())
        req += "Content-Type: application/json\r\nContent-Length: " +
               std::to_string(json_body.size()) + "\r\n";
    req += "\r\n" + json_body;
    if (send(s.fd, req.data(), req.size(), MSG_NOSIGNAL) != ssize_t(req.size())) {
        *error = "cannot send the request to " + target.text;
        return false;
    }
    std::string buf;
    size_t body_at = 0;
    long content_length = -1;
    bool head = false;
    char chunk[16384];
    for (;;) {
        if (!head) head = parse_head(buf, &body_at, status, &content_length);
        if (head && content_length >= 0 && buf.size() >= body_at + size_t(content_length)) break;
        if (!wait_for(s.fd, POLLIN, deadline)) {
            *error = method + " " + path + " on " + target.text + ": no complete answer within " +
                     std::to_string(timeout_ms) + " ms";
            return false;
        }
        ssize_t n = recv(s.fd, chunk, sizeof chunk, 0);
        if (n > 0) {
            buf.append(chunk, size_t(n));
            if (buf.size() > (64u << 20)) {
                *error = method + " " + path + ": answer larger than 64 MiB";
                return false;
            }
            continue;
        }
        if (n == 0) {
            if (!head) head = parse_head(buf, &body_at, status, &content_length);
            if (head && content_length < 0) break;  // close-delimited body
            *error = method + " " + path + " on " + target.text + ": connection closed mid-answer";
            return false;
        }
        if (errno == EAGAIN || errno == EINTR) continue;
        *error = method + " " + path + " on " + target.text + ": " + std::strerror(errno);
        return false;
    }
    size_t n = content_length >= 0 ? size_t(content_length) : buf.size() - body_at;
    body->assign(buf, body_at, n);
    return true;
}

std::optional<DaemonStats> read_stats(const Endpoint& target, const std::string& api_key,
                                      uint32_t timeout_ms, std::string* error) {
    int status = 0;
    std::string body;
    if (!http_get(target, "/api/stats", api_key, timeout_ms, &status, &body, error))
        return std::nullopt;
    DaemonStats st;
    st.taken_ns = now_ns();
    if (status != 200) {
        *error = "GET /api/stats answered " + std::to_string(status) + ": " + body.substr(0, 200);
        return std::nullopt;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(body).get(root) != simdjson::SUCCESS) {
        *error = "GET /api/stats: the body is not valid JSON";
        return std::nullopt;
    }
    auto number = [&](const char* pointer, auto* out) -> bool {
        simdjson::dom::element v;
        if (root.at_pointer(pointer).get(v) != simdjson::SUCCESS) {
            *error = std::string("GET /api/stats: field ") + pointer + " is missing";
            return false;
        }
        using T = std::remove_pointer_t<decltype(out)>;
        if constexpr (std::is_integral_v<T>) {
            uint64_t u;
            if (v.get_uint64().get(u) == simdjson::SUCCESS) {
                *out = T(u);
                return true;
            }
        }
        double d;
        if (v.get_double().get(d) != simdjson::SUCCESS) {  // accepts integers too
            *error = std::string("GET /api/stats: field ") + pointer + " is not a number";
            return false;
        }
        *out = T(d);
        return true;
    };
    if (!number("/totalConnections", &st.total_connections) ||
        !number("/deliveries", &st.deliveries) ||
        !number("/eventsPublished", &st.events_published) ||
        !number("/memoryUsage/rss", &st.rss_bytes) || !number("/cpu/user", &st.cpu_user_s) ||
        !number("/cpu/system", &st.cpu_system_s))
        return std::nullopt;
    // The log's figures are ringcastd's alone: read them when they are there.
    auto optional = [&](const char* pointer, uint64_t* out) {
        uint64_t v;
        if (root.at_pointer(pointer).get_uint64().get(v) == simdjson::SUCCESS) *out = v;
    };
    bool enabled = false;
    if (root.at_pointer("/catchUp").error() == simdjson::SUCCESS) {
        st.has_log = true;
        optional("/history/events", &st.history_events);
        optional("/cache/events", &st.cache_events);
        if (root.at_pointer("/store/enabled").get_bool().get(enabled) == simdjson::SUCCESS)
            st.store_enabled = enabled;
        optional("/store/written", &st.store_written);
        optional("/store/commits", &st.store_commits);
        optional("/store/pending", &st.store_pending);
        CatchUpCounters& c = st.catch_up;
        optional("/catchUp/streams", &c.streams);
        optional("/catchUp/resumes", &c.resumes);
        optional("/catchUp/gaps", &c.gaps);
        optional("/catchUp/replayed", &c.replayed);
        optional("/catchUp/trimmed", &c.trimmed);
        optional("/catchUp/buffered", &c.buffered);
        optional("/catchUp/deferred", &c.deferred);
    }
    return st;
}

}  // namespace ringcast::load

// naive-sse: a deliberately naive SSE server, the baseline ringcast-load runs
// ringcastd against. It speaks the same three endpoints with the same response
// formats (GET /api/sse/stream, POST /api/publish, GET /api/stats) but is built
// the way a first version usually is: one thread, level-triggered epoll,
// HTTP parsed just enough, and a publish that loops over the channel's
// subscribers calling send() once per recipient. A send that does not take
// the whole frame leaves the rest in a per-connection backlog string, flushed
// on EPOLLOUT. No io_uring, no threads, no batching, no shared frames: it
// stands for "a naive loop doing one send() per recipient".
//
// It is a measuring stick, not a product: no TLS, no auth, no history, and
// only the limits needed to keep a misbehaving client from exhausting memory.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>
#include <simdjson.h>

namespace {

constexpr size_t kMaxRequest = 1 << 20;    // head + body
constexpr size_t kMaxBacklog = 16u << 20;  // a reader this far behind is dropped
constexpr int kHeartbeatSeconds = 30;

volatile sig_atomic_t g_stop = 0;

struct Channel;

struct Conn {
    int fd = -1;
    uint64_t serial = 0;
    bool streaming = false;
    bool close_after_write = false;
    bool dead = false;
    std::string in;
    std::string backlog;  // bytes send() did not take, flushed on EPOLLOUT
    std::vector<std::pair<Channel*, size_t>> subs;  // channel and our index in it
};

struct Channel {
    std::vector<Conn*> subscribers;
    uint64_t next_id = 1;
};

struct Server {
    int epoll_fd = -1;
    int listen_fd = -1;
    uint64_t next_serial = 1;
    uint64_t streams = 0;
    uint64_t events_published = 0;
    uint64_t deliveries = 0;
    uint64_t delivery_failures = 0;
    std::unordered_map<int, Conn*> conns;
    std::unordered_map<std::string, Channel> channels;
    std::vector<Conn*> to_close;
    simdjson::dom::parser json;
};

int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void want_write(Server& s, Conn& c, bool on) {
    epoll_event ev{};
    ev.events = EPOLLIN | (on ? uint32_t(EPOLLOUT) : 0u);
    ev.data.fd = c.fd;
    epoll_ctl(s.epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
}

void schedule_close(Server& s, Conn& c) {
    if (c.dead) return;
    c.dead = true;
    s.to_close.push_back(&c);
}

// One send() per call; what it does not take waits in the backlog, behind
// anything already waiting there (order must hold). False if the connection
// is broken.
bool write_to(Server& s, Conn& c, std::string_view bytes) {
    if (c.dead) return false;
    if (!c.backlog.empty()) {
        if (c.backlog.size() + bytes.size() > kMaxBacklog) {
            schedule_close(s, c);
            return false;
        }
        c.backlog.append(bytes);
        return true;
    }
    ssize_t n = send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            schedule_close(s, c);
            return false;
        }
        n = 0;
    }
    if (size_t(n) < bytes.size()) {
        c.backlog.assign(bytes.substr(size_t(n)));
        want_write(s, c, true);
    }
    return true;
}

void flush_backlog(Server& s, Conn& c) {
    while (!c.backlog.empty()) {
        ssize_t n = send(c.fd, c.backlog.data(), c.backlog.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            schedule_close(s, c);
            return;
        }
        c.backlog.erase(0, size_t(n));
    }
    want_write(s, c, false);
    if (c.close_after_write) schedule_close(s, c);
}

void unsubscribe(Conn& c) {
    for (auto [ch, index] : c.subs) {
        Conn* last = ch->subscribers.back();
        ch->subscribers[index] = last;
        ch->subscribers.pop_back();
        if (last != &c)
            for (auto& sub : last->subs)
                if (sub.first == ch) sub.second = index;
    }
    c.subs.clear();
}

void close_now(Server& s, Conn* c) {
    unsubscribe(*c);
    if (c->streaming) --s.streams;
    s.conns.erase(c->fd);
    close(c->fd);  // also leaves the epoll set
    delete c;
}

std::string json_escape(std::string_view v) {
    std::string out;
    for (char ch : v) {
        if (ch == '"' || ch == '\\') out += '\\';
        if (static_cast<unsigned char>(ch) < 0x20) continue;
        out += ch;
    }
    return out;
}

void respond(Server& s, Conn& c, int status, std::string_view reason, std::string_view body,
             bool keep_alive) {
    std::string r =
        "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
        "\r\nServer: naive-sse\r\nContent-Type: application/json\r\nContent-Length: " +
        std::to_string(body.size()) +
        (keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
    r += body;
    write_to(s, c, r);
    if (!keep_alive) {
        c.close_after_write = true;
        if (c.backlog.empty()) schedule_close(s, c);
    }
}

void error_reply(Server& s, Conn& c, int status, std::string_view reason, std::string_view msg,
                 bool keep_alive) {
    respond(s, c, status, reason, "{\"error\":{\"message\":\"" + json_escape(msg) + "\"}}",
            keep_alive);
}

std::string_view query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view kv = query.substr(0, amp);
        if (kv.size() > name.size() && kv.starts_with(name) && kv[name.size()] == '=')
            return kv.substr(name.size() + 1);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return {};
}

void open_stream(Server& s, Conn& c, std::string_view query) {
    std::vector<std::string> names;
    std::string_view list = query_param(query, "channels");
    while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view n = list.substr(0, comma);
        if (!n.empty()) names.emplace_back(n);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    if (names.empty()) {
        error_reply(s, c, 400, "Bad Request", "no channels given: use ?channels=a,b", false);
        return;
    }
    std::string channels_json;
    for (const std::string& n : names) {
        Channel& ch = s.channels[n];
        c.subs.emplace_back(&ch, ch.subscribers.size());
        ch.subscribers.push_back(&c);
        channels_json += (channels_json.empty() ? "\"" : ",\"") + json_escape(n) + "\"";
    }
    c.streaming = true;
    ++s.streams;
    std::string r =
        "HTTP/1.1 200 OK\r\nServer: naive-sse\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nConnection: keep-alive\r\n\r\nretry: 1000\n\n"
        "event: connected\ndata: {\"connectionId\":\"c0-" +
        std::to_string(c.serial) + "\",\"channels\":[" + channels_json +
        "],\"timestamp\":" + std::to_string(wall_ms()) + "}\n\n";
    write_to(s, c, r);
}

void publish(Server& s, Conn& c, std::string_view body, bool keep_alive) {
    simdjson::dom::element root;
    std::string_view channel, event;
    simdjson::dom::element data;
    if (s.json.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS ||
        root["channel"].get_string().get(channel) != simdjson::SUCCESS ||
        root["event"].get_string().get(event) != simdjson::SUCCESS ||
        root["data"].get(data) != simdjson::SUCCESS) {
        error_reply(s, c, 400, "Bad Request", "expected a JSON object with channel, event and data",
                    keep_alive);
        return;
    }
    ++s.events_published;
    auto it = s.channels.find(std::string(channel));
    uint64_t id = 0, sent = 0, failed = 0;
    if (it != s.channels.end()) {
        Channel& ch = it->second;
        id = ch.next_id++;
        // The frame is built once; the naive part is what follows.
        std::string frame = "id: " + std::to_string(id) + "\nevent: " + std::string(event) +
                            "\ndata: " + simdjson::minify(data) + "\n\n";
        for (Conn* sub : ch.subscribers) {
            if (write_to(s, *sub, frame)) {
                ++sent;
            } else {
                ++failed;
            }
        }
    }
    s.deliveries += sent;
    s.delivery_failures += failed;
    respond(s, c, 200, "OK",
            "{\"id\":\"" + std::to_string(id) + "\",\"sent\":" + std::to_string(sent) +
                ",\"failed\":" + std::to_string(failed) + "}",
            keep_alive);
}

void stats(Server& s, Conn& c, bool keep_alive) {
    uint64_t pages = 0, resident = 0;
    std::ifstream("/proc/self/statm") >> pages >> resident;
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    char cpu[96];
    std::snprintf(cpu, sizeof cpu, "{\"user\":%.3f,\"system\":%.3f}",
                  double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) / 1e6,
                  double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) / 1e6);
    std::string body =
        "{\"totalConnections\":" + std::to_string(s.streams) +
        ",\"sockets\":" + std::to_string(s.conns.size()) +
        ",\"eventsPublished\":" + std::to_string(s.events_published) +
        ",\"deliveries\":" + std::to_string(s.deliveries) +
        ",\"deliveryFailures\":" + std::to_string(s.delivery_failures) +
        ",\"memoryUsage\":{\"rss\":" + std::to_string(resident * uint64_t(sysconf(_SC_PAGESIZE))) +
        "},\"cpu\":" + cpu + ",\"shards\":[]}";
    respond(s, c, 200, "OK", body, keep_alive);
}

// Handles every complete request in c.in (pipelining: one after the other).
void process_input(Server& s, Conn& c) {
    while (!c.dead && !c.streaming && !c.close_after_write) {
        size_t head_end = c.in.find("\r\n\r\n");
        if (head_end == std::string::npos) {
            if (c.in.size() > kMaxRequest) schedule_close(s, c);
            return;
        }
        std::string_view head(c.in.data(), head_end);
        size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
        size_t eol = head.find("\r\n");
        if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || sp2 > eol) {
            error_reply(s, c, 400, "Bad Request", "malformed request line", false);
            return;
        }
        bool keep_alive = head.substr(sp2 + 1, eol - sp2 - 1) == "HTTP/1.1";
        size_t content_length = 0;
        for (size_t pos = eol; pos != std::string_view::npos && pos < head.size();) {
            size_t next = head.find("\r\n", pos + 2);
            std::string_view line = head.substr(
                pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
            if (line.size() > 15 && strncasecmp(line.data(), "content-length:", 15) == 0) {
                std::string_view v = line.substr(15);
                while (!v.empty() && v.front() == ' ')
                    v.remove_prefix(1);
                std::from_chars(v.data(), v.data() + v.size(), content_length);
            } else if (line.size() > 11 && strncasecmp(line.data(), "connection:", 11) == 0) {
                if (line.find("close") != std::string_view::npos) keep_alive = false;
                if (line.find("keep-alive") != std::string_view::npos) keep_alive = true;
            }
            pos = next;
        }
        if (content_length > kMaxRequest) {
            error_reply(s, c, 413, "Content Too Large", "request body too large", false);
            return;
        }
        size_t total = head_end + 4 + content_length;
        if (c.in.size() < total) return;  // body not complete yet
        // Views into c.in die with the erase below: work on a copy of the request.
        std::string request = c.in.substr(0, total);
        c.in.erase(0, total);
        std::string_view req(request);
        std::string path_copy(req.substr(sp1 + 1, sp2 - sp1 - 1)), query_copy;
        if (size_t q = path_copy.find('?'); q != std::string::npos) {
            query_copy = path_copy.substr(q + 1);
            path_copy.resize(q);
        }
        std::string_view body = req.substr(head_end + 4, content_length);
        if (path_copy == "/api/sse/stream" && req.starts_with("GET ")) {
            open_stream(s, c, query_copy);
        } else if (path_copy == "/api/publish" && req.starts_with("POST ")) {
            publish(s, c, body, keep_alive);
        } else if (path_copy == "/api/stats" && req.starts_with("GET ")) {
            stats(s, c, keep_alive);
        } else {
            error_reply(s, c, 404, "Not Found", "no such endpoint", keep_alive);
        }
    }
}

void on_readable(Server& s, Conn& c) {
    char buf[65536];
    ssize_t n = recv(c.fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        schedule_close(s, c);
        return;
    }
    if (n < 0 || c.streaming) return;  // streams send nothing we need
    c.in.append(buf, size_t(n));
    process_input(s, c);
}

void accept_all(Server& s) {
    for (;;) {
        int fd = accept4(s.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            // Naive on purpose: at the fd limit the listener stays readable and
            // the loop spins; say so once.
            static bool warned = false;
            if ((errno == EMFILE || errno == ENFILE) && !warned) {
                std::fprintf(stderr, "naive-sse: accept: %s\n", std::strerror(errno));
                warned = true;
            }
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto* c = new Conn;
        c->fd = fd;
        c->serial = s.next_serial++;
        s.conns[fd] = c;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(s.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    }
}

void heartbeat(Server& s) {
    std::string frame = "event: heartbeat\ndata: {\"timestamp\":" + std::to_string(wall_ms()) +
                        ",\"status\":\"alive\"}\n\n";
    for (auto& [fd, c] : s.conns)
        if (c->streaming) write_to(s, *c, frame);
}

int open_listener(const std::string& addr, std::string* error) {
    size_t colon = addr.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    unsigned port = 0;
    if (colon == std::string::npos ||
        inet_pton(AF_INET, addr.substr(0, colon).c_str(), &sa.sin_addr) != 1 ||
        std::from_chars(addr.data() + colon + 1, addr.data() + addr.size(), port).ec !=
            std::errc() ||
        port > 65535) {
        *error = "--http expects IPV4:PORT, got '" + addr + "'";
        return -1;
    }
    sa.sin_port = htons(uint16_t(port));
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 4096) != 0) {
        *error = "cannot listen on " + addr + ": " + std::strerror(errno);
        close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "naive-sse: a deliberately naive single-threaded epoll SSE server (one send() "
        "per recipient per event), the baseline for ringcast-load.\n"
        "Endpoints: GET /api/sse/stream?channels=a,b, POST /api/publish, GET /api/stats",
        "naive-sse"};
    std::string http = "127.0.0.1:8081";
    app.add_option("--http", http, "listen address IPV4:PORT")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa {};
    sa.sa_handler = [](int) { g_stop = 1; };
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    Server s;
    std::string error;
    s.listen_fd = open_listener(http, &error);
    if (s.listen_fd < 0) {
        std::fprintf(stderr, "naive-sse: %s\n", error.c_str());
        return 1;
    }
    s.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    epoll_event lev{};
    lev.events = EPOLLIN;
    lev.data.fd = s.listen_fd;
    epoll_ctl(s.epoll_fd, EPOLL_CTL_ADD, s.listen_fd, &lev);
    std::fprintf(stderr, "naive-sse: listening on http://%s\n", http.c_str());

    auto next_heartbeat =
        std::chrono::steady_clock::now() + std::chrono::seconds(kHeartbeatSeconds);
    std::vector<epoll_event> events(1024);
    while (!g_stop) {
        int n = epoll_wait(s.epoll_fd, events.data(), int(events.size()), 1000);
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == s.listen_fd) {
                accept_all(s);
                continue;
            }
            auto it = s.conns.find(fd);
            if (it == s.conns.end()) continue;
            Conn& c = *it->second;
            if (c.dead) continue;
            if (events[i].events & EPOLLOUT) flush_backlog(s, c);
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(s, c);
        }
        if (std::chrono::steady_clock::now() >= next_heartbeat) {
            heartbeat(s);
            next_heartbeat += std::chrono::seconds(kHeartbeatSeconds);
        }
        // Closed after the loop: a publish may still be walking a subscriber list.
        std::vector<Conn*> list;
        list.swap(s.to_close);
        for (Conn* c : list)
            close_now(s, c);
    }
    std::fprintf(stderr, "naive-sse: stopping\n");
    for (auto& [fd, c] : s.conns) {
        close(fd);
        delete c;
    }
    return 0;
}

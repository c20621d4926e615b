#pragma once
// A Unix-socket proxy in front of a real server (Redis, for the cluster
// tests) that can make some of its connections silently dead: freeze() stops
// forwarding, in both directions, on every connection open now that has sent
// `marker` (e.g. "SUBSCRIBE"), while their sockets stay open, as a network cut
// or a stuck middlebox would leave them; with `hold`, also those that send it
// later, until release(). Other connections are forwarded as usual. One thread, poll(); ended by
// the destructor.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ringcast::itest {

class FreezingProxy {
public:
    FreezingProxy(std::string listen_path, std::string upstream_path, std::string marker)
        : _listen_path(std::move(listen_path))
        , _upstream(std::move(upstream_path))
        , _marker(std::move(marker)) {
        ::unlink(_listen_path.c_str());
        _listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un a = address(_listen_path);
        if (_listener < 0 || ::bind(_listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(_listener, 64) != 0 || ::pipe2(_wake, O_CLOEXEC | O_NONBLOCK) != 0)
            return;
        _ok = true;
        _thread = std::thread([this] { loop(); });
    }
    ~FreezingProxy() {
        _stop = true;
        if (_wake[1] >= 0) (void)!::write(_wake[1], "x", 1);
        if (_thread.joinable()) _thread.join();
        for (Pair& p : _pairs) {
            ::close(p.client);
            ::close(p.server);
        }
        for (int fd : {_listener, _wake[0], _wake[1]})
            if (fd >= 0) ::close(fd);
        ::unlink(_listen_path.c_str());
    }
    bool ok() const { return _ok; }
    std::string url() const { return "unix://" + _listen_path; }

    // Freezes the marked connections open now; returns how many. With
    // `hold`, connections marked later are frozen too, until release().
    size_t freeze(bool hold = false) {
        std::lock_guard lock(_mutex);
        _hold = hold;
        size_t n = 0;
        for (Pair& p : _pairs)
            if (p.marked && !p.frozen) {
                p.frozen = true;
                ++n;
            }
        return n;
    }

    void release() {
        std::lock_guard lock(_mutex);
        _hold = false;
    }

private:
    struct Pair {
        int client = -1;
        int server = -1;
        bool marked = false;
        bool frozen = false;
        std::string seen;  // the client's first bytes, for the marker
    };
    static sockaddr_un address(const std::string& path) {
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        return a;
    }
    // Copies what is readable on `from` to `to` (blocking write: small pieces).
    static bool pump(int from, int to, std::string* seen) {
        char buf[16384];
        ssize_t n = ::read(from, buf, sizeof buf);
        if (n <= 0) return n < 0 && errno == EAGAIN;
        if (seen && seen->size() < 65536) seen->append(buf, size_t(n));
        for (ssize_t off = 0; off < n;) {
            ssize_t w = ::send(to, buf + off, size_t(n - off), MSG_NOSIGNAL);
            if (w < 0 && errno == EAGAIN) {
                pollfd p{to, POLLOUT, 0};
                ::poll(&p, 1, 100);
                continue;
            }
            if (w <= 0) return false;
            off += w;
        }
        return true;
    }
    void loop() {
        while (!_stop) {
            std::vector<pollfd> fds{{_wake[0], POLLIN, 0}, {_listener, POLLIN, 0}};
            {
                std::lock_guard lock(_mutex);
                for (const Pair& p : _pairs) {
                    fds.push_back({p.client, short(p.frozen ? 0 : POLLIN), 0});
                    fds.push_back({p.server, short(p.frozen ? 0 : POLLIN), 0});
                }
            }
            if (::poll(fds.data(), fds.size(), 1000) <= 0) continue;
            if (fds[1].revents & POLLIN) accept_one();
            std::lock_guard lock(_mutex);
            for (size_t i = 0; i + 2 < fds.size() && i / 2 < _pairs.size(); i += 2) {
                Pair& p = _pairs[i / 2];
                if (p.frozen) continue;  // frozen since this poll began: nothing moves
                bool alive = true;
                if (fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR)) {
                    alive = pump(p.client, p.server, &p.seen);
                    if (!p.marked && p.seen.find(_marker) != std::string::npos) {
                        p.marked = true;
                        p.frozen = _hold;
                    }
                }
                if (alive && (fds[i + 3].revents & (POLLIN | POLLHUP | POLLERR)))
                    alive = pump(p.server, p.client, nullptr);
                if (!alive) {
                    ::close(p.client);
                    ::close(p.server);
                    p.client = p.server = -1;
                }
            }
            std::erase_if(_pairs, [](const Pair& p) { return p.client < 0; });
        }
    }
    void accept_one() {
        int c = ::accept4(_listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c < 0) return;
        int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a = address(_upstream);
        if (s < 0 || ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(c);
            if (s >= 0) ::close(s);
            return;
        }
        ::fcntl(s, F_SETFL, O_NONBLOCK);
        std::lock_guard lock(_mutex);
        _pairs.push_back({c, s, false, false, {}});
    }

    std::string _listen_path, _upstream, _marker;
    int _listener = -1;
    int _wake[2] = {-1, -1};
    bool _ok = false;
    std::atomic<bool> _stop{false};
    std::mutex _mutex;  // guards what follows
    std::vector<Pair> _pairs;
    bool _hold = false;
    std::thread _thread;
};

}  // namespace ringcast::itest

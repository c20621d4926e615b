#pragma once
// Helpers shared by the tests of the Unix-socket publish protocol
// (publish_*_test.cc): where the socket is, reading reply lines as JSON,
// exchanging many pipelined requests without either side blocking, comparing
// JSON values, and opening SSE streams until every shard holds some.
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon_process.h"
#include "json.h"
#include "sse_fleet.h"
#include "unix_client.h"

namespace ringcast::itest {

// Wall-clock ms, as the daemon stamps messages and connections.
inline int64_t wall_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The publishing socket of a daemon started with the default server.unix.
inline std::string socket_path(const DaemonProcess& d) {
    return d.data_dir() + "/ringcast.sock";
}

// A reply line parsed; a null Json (and a failed expectation in the caller's
// message) if it is not JSON.
inline Json parse_reply(const std::string& line) {
    auto j = Json::parse(line);
    return j ? *j : Json();
}

// Structural equality: numbers by value, objects member by member in order.
inline bool json_equal(const Json& a, const Json& b) {
    if (a.type() != b.type()) return false;
    switch (a.type()) {
        case Json::Type::null: return true;
        case Json::Type::boolean: return a.as_bool() == b.as_bool();
        case Json::Type::number: return a.as_double() == b.as_double();
        case Json::Type::string: return a.as_string() == b.as_string();
        case Json::Type::array:
            if (a.size() != b.size()) return false;
            for (size_t i = 0; i < a.size(); ++i)
                if (!json_equal(a[i], b[i])) return false;
            return true;
        case Json::Type::object:
            if (a.size() != b.size()) return false;
            for (size_t i = 0; i < a.members().size(); ++i)
                if (a.members()[i].first != b.members()[i].first ||
                    !json_equal(a.members()[i].second, b.members()[i].second))
                    return false;
            return true;
    }
    return false;
}

// Whether `reply` is {"req":<req_json>,"ok":false,"error":{"code":code,"message":...}}
// (or, with req_json empty, {"ok":false,"line":N,"error":...} with N == line).
// Returns what is wrong, or an empty string.
inline std::string check_error_reply(const std::string& reply, std::string_view req_json,
                                     std::string_view code, uint64_t line = 0) {
    auto j = Json::parse(reply);
    if (!j || !j->is_object()) return "not a JSON object: " + reply;
    std::string why;
    if (!req_json.empty()) {
        auto want = Json::parse(req_json);
        if (!j->has("req") || !want || !json_equal((*j)["req"], *want))
            why += "req is not " + std::string(req_json) + "; ";
        if (j->has("line")) why += "a reply with req carries no line; ";
    } else {
        if (j->has("req")) why += "unexpected req; ";
        if ((*j)["line"].as_int(-1) != int64_t(line))
            why += "line is not " + std::to_string(line) + "; ";
    }
    if (!(*j)["ok"].is_bool() || (*j)["ok"].as_bool()) why += "ok is not false; ";
    if ((*j)["error"]["code"].as_string() != code) why += "code is not " + std::string(code) + "; ";
    if ((*j)["error"]["message"].as_string().empty()) why += "no message; ";
    return why.empty() ? why : why + "in " + reply;
}

// Whether the peer has closed: the daemon's EOF (after any replies still unread).
inline bool peer_closed(const UnixClient& c) {
    return c.error().rfind("the daemon closed", 0) == 0 || c.error().rfind("recv:", 0) == 0;
}

// Sends `bytes` and reads reply lines until `n` have arrived, reading while it
// writes so that neither side's buffers can block the other. Stops early at the
// daemon's EOF; *why says what went wrong when fewer than n lines came.
inline std::vector<std::string> exchange(UnixClient& c, std::string_view bytes, size_t n,
                                         const Deadline& d, std::string* why = nullptr) {
    std::vector<std::string> lines;
    while (!bytes.empty() || lines.size() < n) {
        bool progress = false;
        if (!bytes.empty()) {
            ssize_t w = ::send(c.fd(), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) {
                bytes.remove_prefix(size_t(w));
                progress = true;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                if (why) *why = std::string("send: ") + std::strerror(errno);
                bytes = {};  // the rest cannot go; read what came
            }
        }
        while (lines.size() < n) {
            auto l = c.read_line(Deadline(0s));
            if (!l) break;
            lines.push_back(std::move(*l));
            progress = true;
        }
        if (lines.size() >= n && bytes.empty()) break;
        if (peer_closed(c)) {
            if (why)
                *why += "the daemon closed the connection after " + std::to_string(lines.size()) +
                        " lines";
            break;
        }
        if (progress) continue;
        if (d.expired()) {
            if (why)
                *why += "timed out with " + std::to_string(lines.size()) + " of " +
                        std::to_string(n) + " lines, " + std::to_string(bytes.size()) +
                        " bytes unsent";
            break;
        }
        pollfd p{c.fd(), short(POLLIN | (bytes.empty() ? 0 : POLLOUT)), 0};
        ::poll(&p, 1, d.poll_ms());
    }
    return lines;
}

// Bytes waiting in the socket's receive queue.
inline int unread_bytes(int fd) {
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 ? n : -1;
}

// The shard in a connection id "c<shard>-<serial>"; -1 if it is not one.
inline int shard_of(const std::string& id) {
    if (id.size() < 4 || id[0] != 'c') return -1;
    size_t dash = id.find('-');
    if (dash == std::string::npos || dash == 1) return -1;
    return std::atoi(id.substr(1, dash - 1).c_str());
}

// The connectionId of fleet client i (empty until its `connected` event).
inline std::string connection_id(const SseFleet& fleet, size_t i) {
    return fleet[i].connected ? (*fleet[i].connected)["connectionId"].as_string() : "";
}

// Opens streams on `target` one at a time (each awaited) until every one of
// `shards` shards holds at least `per_shard` of them. Returns the indices of the
// streams opened, in order; empty (and *why set) if that did not happen.
inline std::vector<size_t> open_streams_on_every_shard(SseFleet& fleet, const std::string& target,
                                                       unsigned shards, unsigned per_shard,
                                                       const Deadline& d, std::string* why) {
    std::vector<size_t> opened;
    std::vector<unsigned> count(shards, 0);
    auto done = [&] {
        for (unsigned n : count)
            if (n < per_shard) return false;
        return true;
    };
    while (!done()) {
        if (opened.size() >= size_t(shards) * per_shard * 4) {
            *why = "streams do not spread over the shards";
            return {};
        }
        size_t i = fleet.add(target);
        opened.push_back(i);
        if (!fleet.run_until(
                [&] { return fleet[i].connected.has_value() || !fleet[i].error.empty(); }, d) ||
            !fleet[i].connected) {
            *why = "stream " + target + " did not connect: " + fleet.problems();
            return {};
        }
        int s = shard_of(connection_id(fleet, i));
        if (s < 0 || unsigned(s) >= shards) {
            *why = "unexpected connection id " + connection_id(fleet, i);
            return {};
        }
        ++count[unsigned(s)];
    }
    return opened;
}

// A publish request line (no "\n"): op publish, req if not empty, then fields.
// Sends the request lines (each with a "req") in one write and reads one reply
// each; "" if every reply is ok, else the first failure (a reply or the error).
inline std::string publish_pipelined(UnixClient& u, const std::vector<std::string>& lines) {
    std::string all;
    for (const std::string& l : lines)
        all += l + "\n";
    if (!u.send(all)) return u.error();
    for (size_t i = 0; i < lines.size(); ++i) {
        auto r = u.read_line();
        if (!r) return u.error();
        if (r->find("\"ok\":true") == std::string::npos) return *r;
    }
    return {};
}

inline std::string publish_line(std::string_view req_json, std::string_view channel,
                                std::string_view event, std::string_view data_json,
                                std::string_view extra_fields = {}) {
    std::string s = "{\"op\":\"publish\"";
    if (!req_json.empty()) s += ",\"req\":" + std::string(req_json);
    s += ",\"channel\":" + json_quote(channel) + ",\"event\":" + json_quote(event) +
         ",\"data\":" + std::string(data_json);
    if (!extra_fields.empty()) s += "," + std::string(extra_fields);
    return s + "}";
}

// Request i of a stream of fat pings: "req" is "p<i>-" and `pad` bytes, so the
// reply is about as large as the request.
inline std::string fat_ping(size_t i, size_t pad) {
    return "{\"op\":\"ping\",\"req\":\"p" + std::to_string(i) + "-" + std::string(pad, 'x') +
           "\"}\n";
}

inline bool is_reply_to(const std::string& line, const std::string& req_prefix) {
    return line.rfind("{\"req\":" + req_prefix, 0) == 0;
}

// Writes as much of `bytes` from *offset as the socket takes now.
inline void write_available(int fd, const std::string& bytes, size_t* offset) {
    while (*offset < bytes.size()) {
        ssize_t w =
            ::send(fd, bytes.data() + *offset, bytes.size() - *offset, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w <= 0) return;
        *offset += size_t(w);
    }
}

// Opens a fleet stream to `target` from `source` (an IPv4 loopback address, "" for
// any) with `headers`, and awaits its answer: the connected event, a refusal or
// the end. Its index in the fleet.
inline size_t open_from(SseFleet& fleet, const std::string& target, const std::string& source,
                        const Headers& headers = {},
                        const Deadline& d = Deadline(std::chrono::seconds(10))) {
    size_t i = fleet.add(target, 0, source, headers);
    fleet.run_until(
        [&] {
            const FleetClient& c = fleet[i];
            return c.connected.has_value() || (c.head_done && c.status != 200) || c.ended ||
                   !c.error.empty();
        },
        d);
    return i;
}

// One request with a reply, parsed; a null Json if none came.
inline Json ask(UnixClient& c, std::string_view line, const Deadline& d = Deadline(kIoTimeout)) {
    auto r = c.request(line, d);
    return r ? parse_reply(*r) : Json();
}

// The socket's `connection` answer about fleet client i.
inline Json connection_info(const DaemonProcess& d, const SseFleet& fleet, size_t i) {
    UnixClient c;
    EXPECT_TRUE(c.connect(socket_path(d))) << c.error();
    Json r = ask(c, "{\"op\":\"connection\",\"req\":1,\"id\":\"" + connection_id(fleet, i) + "\"}");
    EXPECT_TRUE(r["ok"].as_bool()) << c.error();
    return r["connection"];
}

}  // namespace ringcast::itest

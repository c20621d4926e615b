#pragma once
// ringcast::client::Client — a small blocking client of ringcastd's Unix publishing
// socket (docs/protocol.md "The Unix socket protocol"), for backends and tools.
// docs/clients.md has examples.
//
// Two ways to use it, on one connection:
//
//   Synchronous: each call sends one request and waits for its reply.
//
//       ringcast::client::Client c;
//       if (!c.connect("/run/ringcast/ringcast.sock")) die(c.error());
//       ringcast::client::Message m;
//       m.channel = "orders"; m.event = "order-update"; m.data = R"({"id":"A-1"})";
//       ringcast::client::Result r = c.publish(m);   // r.ok, r.id, r.sent, r.failed
//
//   Pipelined: queue any number of requests, write them at once, then take the
//   replies, which come in request order. This is how one connection publishes
//   hundreds of thousands of messages per second:
//
//       for (auto& m : messages) c.send_publish(m);
//       c.flush();
//       for (size_t i = 0; i < messages.size(); ++i) { Result r = c.receive(); ... }
//
//   send_*() only appends to one output buffer; flush() writes it with as few
//   system calls as the socket allows; receive() reads replies in large chunks and
//   parses each in place (simdjson), reusing the Result's storage when given one.
//   While flush() waits for the socket to take more, it reads the replies already
//   coming back, so a long pipeline never deadlocks against the daemon's reply
//   backlog limit.
//
// Fire-and-forget: post() sends a publish that asks for no reply; the daemon
// answers only if it fails, naming the request's line. Those failures are
// collected while replies are read; sync() (a ping) waits until every earlier
// request has been handled, then take_line_errors() lists the failures.
//
// Errors: a Result is either answered by the daemon (ok, or its error code and
// message) or not answered (answered == false: the connection was lost, a wait
// timed out, or a reply was unreadable; code is one of errc). After a failure
// that is not the daemon's answer the connection is closed: replies could no
// longer be matched to requests. A Client is used by one thread at a time.
//
// Depends on the standard library alone (the implementation uses simdjson and
// fmt, in the ringcast_client library).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ringcast/client_message.h"
#include "ringcast/client_result.h"
#include "ringcast/socket_location.h"

namespace ringcast::client {

class ReplyReader;  // private: src/client/reply_reader.h

struct ClientOptions {
    // The longest any single wait for the socket may take (connecting, writing,
    // a reply); 0 waits forever.
    std::chrono::milliseconds timeout{30000};
    // Initial size of the reply buffer; it grows when one reply is larger.
    size_t read_buffer = 256 * 1024;
};

class Client {
public:
    explicit Client(ClientOptions opts = {});
    ~Client();
    Client(Client&&) noexcept;
    Client& operator=(Client&&) noexcept;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Connects to the daemon's socket at `path` (closing any earlier connection).
    // On failure returns false; error() says which path and why, and
    // error_number() holds the errno: ENOENT (no socket file there: is the daemon
    // running, with this path?), ECONNREFUSED (a socket file nobody listens on: a
    // daemon that stopped), EACCES (the socket's mode or group keeps this user
    // out: the message names them and the group to join), ENAMETOOLONG,
    // ETIMEDOUT.
    bool connect(std::string_view path);
    // Connects where ringcast's clients look when not told
    // (ringcast/socket_location.h): $RINGCAST_SOCKET, else ./var/ringcast.sock
    // if it exists (make run), else /run/ringcast/ringcast.sock (the systemd
    // unit). error() then also says how the path was chosen.
    bool connect();
    bool connect(const SocketLocation& where);
    bool connected() const { return _fd >= 0; }
    void close();
    // The last connection-level error (connect, or what closed the connection).
    const std::string& error() const { return _error; }
    int error_number() const { return _errno; }
    const std::string& path() const { return _path; }

    // --- synchronous: one request, its reply --------------------------------------
    // Each returns Result{answered=false, code=errc::busy} if pipelined replies
    // are still outstanding (receive() them first).
    Result ping();
    Result publish(const Message& m);
    Result publish_batch(std::span<const Message> messages);
    Result stats();
    // Every live node's summary and their totals, from a node of a cluster
    // ({"op":"stats","cluster":true}; Result::json: docs/protocol.md, "The
    // cluster's statistics"). Refused with no_cluster by a node alone.
    Result cluster_stats();
    Result connection(std::string_view connection_id);
    Result user(std::string_view user_id);
    // A page of every SSE connection on every shard, in the daemon's order (by
    // shard, then serial): at most `limit` (0: the daemon's default, 100; at
    // most 1000), after the connection `after` (a page's "next"; "" for the
    // first page). Result::json holds the page (see Result).
    Result connections(uint32_t limit = 0, std::string_view after = {});
    Result disconnect_connection(std::string_view connection_id);
    Result disconnect_user(std::string_view user_id);
    // Removes cached persistent events, so that streams opened afterwards no
    // longer get them: with `channels` only, every cached event of those
    // channels; with `users` only, the cached user-specific events naming one of
    // those users, on any channel; with both, those users' events on those
    // channels. Result::removed counts them. Neither list given: the daemon
    // answers invalid_field. Open streams are not told (publish a refresh).
    Result invalidate(const std::vector<std::string>& channels,
                      const std::vector<std::string>& users = {});
    // A stream token for `request.user_id`, signed by the daemon (docs/protocol.md,
    // "Stream tokens"): Result::token and Result::expires_at_ms. The browser
    // presents it as the ringcast_token cookie or ?token=; its stream carries the
    // user, roles, permissions and subscriber flag given here.
    Result token(const TokenRequest& request);
    // One of the alerts ops (docs/protocol.md, "Alerts"): `op` is "alerts.list",
    // "alerts.get", "alerts.create", "alerts.update", "alerts.patch",
    // "alerts.delete", "alerts.preview" or "alerts.refresh"; `members` its
    // members as a JSON object ({"id":7,"version":2,"patch":{...}}), or empty
    // for none. Result::json holds the reply's members (an "alert", or
    // "alerts" and "total"...); refused, Result::field names the field at
    // fault and, for version_conflict, Result::json is the current alert.
    Result alerts(std::string_view op, std::string_view members = {});
    // The daemon's log level (docs/operations.md, "Logs"): `level` ("debug",
    // "info"...) changes it at once; empty only asks. Result::json:
    // {"level":"debug","was":"info"} ("was" when it was changed).
    Result log_level(std::string_view level = {});

    // --- pipelined: queue, flush, receive in order ---------------------------------
    // Each send_*() queues one request that gets exactly one Result from receive().
    void send_ping();
    void send_publish(const Message& m);
    void send_publish_batch(std::span<const Message> messages);
    void send_stats();
    void send_connection(std::string_view connection_id);
    void send_user(std::string_view user_id);
    void send_connections(uint32_t limit = 0, std::string_view after = {});
    void send_disconnect_connection(std::string_view connection_id);
    void send_disconnect_user(std::string_view user_id);
    void send_invalidate(const std::vector<std::string>& channels,
                         const std::vector<std::string>& users = {});
    void send_token(const TokenRequest& request);
    void send_alerts(std::string_view op, std::string_view members = {});

    // Fire-and-forget publish (or batch): no Result; returns the request's line
    // number, which a LineError names if the daemon refuses it.
    uint64_t post(const Message& m);
    uint64_t post_batch(std::span<const Message> messages);

    // Writes everything queued. False if the connection failed (error() says
    // why); replies that arrived before the failure can still be received.
    bool flush();
    // Requests sent or queued whose Result has not been received yet.
    size_t outstanding() const { return _pending.size(); }
    // Bytes queued and not yet written.
    size_t unflushed() const { return _out.size() - _out_sent; }
    // For callers with their own schedule (a load generator publishing at a set
    // rate): waits up to `timeout` until receive() can return a Result without
    // blocking (a reply, or the end of the connection), writing what is queued
    // meanwhile. True if one can; false if the time ran out.
    bool wait_readable(std::chrono::milliseconds timeout);

    // The next Result, in request order (flushing first if needed). Returns false
    // only when nothing is outstanding; a failed exchange is a Result with
    // answered == false. The overload with `out` reuses its strings' storage.
    bool receive(Result& out);
    Result receive();

    // Waits until the daemon has handled every request sent so far (a ping whose
    // reply comes after all of theirs), receiving outstanding Results on the way
    // (they are dropped: receive() them first if they matter). True if the ping
    // was answered.
    bool sync();
    // Fire-and-forget failures seen so far, in line order; the list is emptied.
    std::vector<LineError> take_line_errors();

private:
    uint64_t begin_request(Op op, bool answered);
    void queue_simple(Op op, std::string_view key, std::string_view value);
    Result call(Op op, std::string_view key, std::string_view value);
    bool idle_for_call(Result& r, Op op);
    // Reads until more bytes arrived; false on EOF, error or timeout.
    bool read_more();
    size_t read_available();
    bool wait(short events, short* revents);
    void grow_input(size_t need);
    void fail_connection(const char* code, std::string why, int err, bool stop_reading);
    void fail_result(Result& out, Op op, const char* code, std::string_view message);

    ClientOptions _opts;
    int _fd = -1;
    std::string _path;
    std::string _error;
    int _errno = 0;
    bool _write_closed = true;           // nothing more can be written
    bool _eof = true;                    // nothing more can be read
    const char* _broken_code = nullptr;  // the errc that ended the connection

    std::string _out;  // queued requests, one line each
    size_t _out_sent = 0;

    // Replies read and not parsed yet: [_in_begin, _in_end) of _in, with
    // simdjson's padding always allocated beyond _in_cap so lines parse in place.
    std::unique_ptr<char[]> _in;
    size_t _in_cap = 0;
    size_t _in_begin = 0;
    size_t _in_end = 0;

    // A request awaiting its reply. Its req ids are _next_reply, +1, ... in order;
    // its line matters when the daemon could not read the line at all (invalid
    // JSON in a raw payload, a line over publish.max_line): the failure then
    // names the line, since the req inside it was never read.
    struct Pending {
        uint64_t line;
        Op op;
    };
    std::deque<Pending> _pending;
    uint64_t _next_req = 1;    // the req of the next answered request
    uint64_t _next_reply = 1;  // the req the next reply must carry
    uint64_t _lines = 0;       // request lines queued on this connection
    std::vector<LineError> _line_errors;
    std::unique_ptr<ReplyReader> _reader;
};

}  // namespace ringcast::client

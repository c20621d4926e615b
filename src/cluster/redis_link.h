#pragma once
// One connection to Redis, living on one shard's loop and never blocking it
// (docs/scaling.md, "The Redis link"). Everything goes through the shard's
// io_uring: the connect, the sends, the receives, each completion tagged with
// its own operation kind (Op::redis_connect, redis_send, redis_recv; payload:
// this link). Timeouts and the reconnect backoff are timers on the shard's
// wheel. A host name that is not an address is resolved by the daemon's
// blocking worker (getaddrinfo blocks), which hands the answer back to this
// shard's loop (Op::job_done). No thread of its own.
//
// Two roles, as RESP2 wants: a command link pipelines commands, each
// completion called in the order given with its reply; a subscriber link holds
// SUBSCRIBE / PSUBSCRIBE and hands every pushed message to its handler. After a
// reconnect a subscriber link subscribes again to everything it held.
//
// Life of a connection: resolve (names only) -> connect (connect_timeout) ->
// handshake: AUTH and SELECT from the URL, the subscriptions, then a PING whose
// answer makes the link up -> up: commands pipelined, a PING every
// ping_interval when idle; the oldest unanswered command waiting longer than
// command_timeout means the connection is dead -> down: every unanswered
// command completes with a no_reply value, the socket is cancelled and closed,
// and the next attempt waits a backoff with full jitter (cluster/backoff.h).
// The state callback hears every change between up and down.
//
// Commands given while the link is not up complete at once with no_reply:
// nothing is queued across a reconnect, because only the caller knows whether
// a command may run twice.
#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "cluster/backoff.h"
#include "cluster/redis_url.h"
#include "cluster/resp_reader.h"
#include "core/timer_wheel.h"

struct io_uring_cqe;

namespace ringcast {

class BlockingWorker;
class Reactor;

struct RedisLinkOptions {
    RedisEndpoint endpoint;
    uint64_t connect_timeout_ms = 2000;
    uint64_t command_timeout_ms = 2000;
    uint64_t reconnect_min_ms = 100;  // backoff base
    uint64_t reconnect_max_ms = 5000;
    uint64_t ping_interval_ms = 1000;  // 0: no keepalive PING
    std::string name = "redis";        // in log lines: "shard 0 redis"
};

enum class RedisRole : uint8_t { commands, subscriber };

struct RedisLinkStats {
    uint64_t connects = 0;       // connections that came up
    uint64_t failures = 0;       // attempts that failed, connections lost
    uint64_t commands = 0;       // given (the link's own PINGs and handshake not counted)
    uint64_t no_replies = 0;     // completed without an answer
    uint64_t messages = 0;       // pushed to a subscriber's handler
    uint64_t down_since_ms = 0;  // monotonic; 0 while up
    std::string last_error;      // why the last attempt or connection failed
};

class RedisLink {
public:
    using Completion = std::function<void(const RespValue&)>;
    // A pushed message: the channel, its payload, and the pattern it matched
    // ("" for a plain SUBSCRIBE).
    using MessageHandler = std::function<void(std::string_view channel, std::string_view payload,
                                              std::string_view pattern)>;
    using StateHandler = std::function<void(bool up, std::string_view why)>;

    // `worker` resolves host names; nullptr is enough when the URL holds an
    // address or a Unix socket path.
    RedisLink(Reactor& reactor, BlockingWorker* worker, RedisRole role, RedisLinkOptions opts);
    ~RedisLink();
    RedisLink(const RedisLink&) = delete;
    RedisLink& operator=(const RedisLink&) = delete;

    void on_state(StateHandler h) { _on_state = std::move(h); }
    void on_message(MessageHandler h) { _on_message = std::move(h); }

    // Starts connecting (and reconnecting until stop()).
    void start();
    // Completes what is unanswered with no_reply, cancels the socket's
    // operations and closes it; no reconnect. stopped() once the kernel has
    // given every operation back (the object may go then).
    void stop();
    bool stopped() const { return _state == State::stopped; }
    // Drops the connection as if it had failed (`why` logged and kept as the
    // last error), and connects again after the backoff: for a user that
    // found the connection useless while Redis still answers it.
    void reconnect(std::string why) { drop(std::move(why)); }
    bool up() const { return _state == State::up; }

    // A command link: sends args as one command; `done` gets its reply, in
    // the order commands were given. Not up: `done` gets no_reply before
    // command() returns.
    void command(std::span<const std::string_view> args, Completion done);
    void command(std::initializer_list<std::string_view> args, Completion done) {
        command(std::span<const std::string_view>(args.begin(), args.size()), std::move(done));
    }

    // A subscriber link: holds the channel (pattern) from now on, across
    // reconnects; sent at once when up.
    void subscribe(std::string_view channel);
    void psubscribe(std::string_view pattern);
    void unsubscribe(std::string_view channel);
    void punsubscribe(std::string_view pattern);

    // Reactor plumbing: the loop's hooks route these here.
    void on_completion(const io_uring_cqe& cqe);
    bool owns(const TimerNode* t) const {
        return t == &_connect_timer || t == &_command_timer || t == &_retry_timer ||
               t == &_ping_timer;
    }
    void on_timer(TimerNode* t);
    // Once per loop turn: what the turn's commands wrote goes out in one send.
    void flush();

    const RedisLinkStats& stats() const { return _stats; }
    const RedisLinkOptions& options() const { return _opts; }
    RedisRole role() const { return _role; }

private:
    enum class State : uint8_t {
        idle,        // not started
        waiting,     // the backoff before the next attempt
        resolving,   // a host name at the worker
        connecting,  // the connect in the kernel
        handshake,   // connected; AUTH, SELECT, subscriptions, PING answered yet
        up,
        closing,  // dropped: waiting for the kernel to give the socket's operations back
        stopped,
    };
    // An unanswered command: how many replies it takes (a SUBSCRIBE to N
    // channels is confirmed N times), when it was sent, and who waits.
    struct Pending {
        Completion done;
        uint64_t sent_ms = 0;
        uint32_t replies = 1;
        bool internal = false;  // the link's own: handshake, PING, subscriptions
    };
    friend class ResolveJob;

    void attempt();
    void resolved(int error, const sockaddr_storage& addr, socklen_t len, std::string why);
    void connect_to(const sockaddr* addr, socklen_t len);
    void on_connected(int res);
    void begin_handshake();
    void write(std::span<const std::string_view> args, Pending p);
    void arm_recv();
    void on_recv(int res);
    void on_send(int res);
    void dispatch(RespValue&& v);
    bool dispatch_push(RespValue& v);
    void pop_front_reply(RespValue&& v);
    void arm_command_timer();
    // The connection failed or is lost: everything unanswered gets no_reply,
    // and the socket goes (then a backoff, unless stopping).
    void drop(std::string why);
    void maybe_closed();
    void set_up(bool up, std::string_view why);
    void subscription(const char* verb, std::string_view name, bool add, bool pattern);

    Reactor& _reactor;
    BlockingWorker* _worker;
    // Expires with the link: a host name still at the worker when the link
    // goes finds it gone (ResolveJob).
    std::shared_ptr<bool> _alive = std::make_shared<bool>(true);
    RedisRole _role;
    RedisLinkOptions _opts;
    State _state = State::idle;
    bool _stopping = false;
    bool _reported = false;  // the down state was reported once since the last up
    int _fd = -1;
    unsigned _ops = 0;  // operations of this socket in the kernel
    bool _recv_armed = false;
    bool _send_busy = false;   // _wire is in the kernel
    uint64_t _generation = 0;  // counts attempts: a late resolution of an old one is dropped
    sockaddr_storage _addr{};  // the connect's address (the kernel reads it until done)
    std::string _out;          // commands written this turn
    std::string _wire;         // the send in flight
    size_t _wire_sent = 0;
    std::unique_ptr<char[]> _in;
    std::unique_ptr<RespReader> _reader;
    std::deque<Pending> _pending;
    std::unordered_set<std::string> _channels;
    std::unordered_set<std::string> _patterns;
    Backoff _backoff;
    TimerNode _connect_timer;
    TimerNode _command_timer;
    TimerNode _retry_timer;
    TimerNode _ping_timer;
    StateHandler _on_state;
    MessageHandler _on_message;
    RedisLinkStats _stats;
};

}  // namespace ringcast

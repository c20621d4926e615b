#pragma once
// The subscriber streams of one worker process: a bounded number of
// connection attempts in flight, the HTTP handshake, then reading the event
// stream and accounting for every event (sequence checks, latency). Driven by
// the worker's epoll loop (worker.cc): it registers its sockets with the given
// epoll fd, using the connection index as the event data.
//
// HTTP/1.1 (the baseline): one stream per connection, `Conn` holding both, in
// subscriber_pool.cc. HTTP/2 (--h2, subscriber_pool_h2.cc): a `Link` is one
// connection (socket, TLS, nghttp2 session) carrying h2_streams streams; each
// stream is still a `Conn` (with no socket of its own), and its DATA goes to
// the same event scanning and accounting (on_stream_bytes onwards).
#include <netinet/in.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "clock.h"
#include "h2_client_session.h"
#include "seq_tracker.h"
#include "stream_request.h"
#include "takeover_tracker.h"
#include "tls_stream.h"
#include "worker_result.h"

namespace ringcast::load {

struct PoolConfig {
    uint64_t first_index = 0;  // global index of our first connection (source choice)
    uint32_t count = 0;
    sockaddr_in target{};
    std::vector<sockaddr_in> sources;  // empty: let the kernel choose
    // The GET request: subscriber k (by first_index + i) sends requests[k %
    // size] (one per audience, --audiences; else one).
    std::vector<StreamRequest> requests;
    uint32_t concurrency = 64;  // attempts in flight
    uint64_t handshake_timeout_ns = 0;
    uint32_t retries = 0;
    std::string event_name;  // the published events' name
    uint32_t publishers = 1;
    uint64_t warmup_events = 0;
    uint64_t planned_events = 0;  // sequence numbers at or above are unexpected
    bool arrival = false;         // kernel receive timestamps (SO_TIMESTAMPNS)
    // Resume-burst mode (resume_burst.cc): events carry seq seq_base + n, and
    // the first replay_events of them (n < replay_events) are a replay: not
    // timed by their (old) timestamps, but by when each stream has them all.
    uint64_t seq_base = 0;
    uint64_t replay_events = 0;
    // Events stamped before this (CLOCK_MONOTONIC, the run's start) were
    // published by an earlier run: a daemon that was not started fresh hands
    // new streams its cached persistent events. Counted apart, not checked.
    uint64_t run_start_ns = 0;
    // Takeover mode (takeover.cc): each stream also keeps a StreamWatch (its
    // pauses, delays and lost numbers), and a "mark" from the parent splits the
    // delays into before and after the takeover request.
    bool watch = false;
    // --tls-target: the streams speak TLS (tls_stream.h); the CA to verify the
    // server with ("" = no verification); offer the last session again.
    bool tls = false;
    std::string tls_ca;
    bool tls_resume = false;
    // --h2: streams per HTTP/2 connection (h2c with prior knowledge, or h2 by
    // ALPN with tls); 0 = HTTP/1.1. Connection k of the pool carries streams
    // k*h2_streams onwards; first_index is a multiple of h2_streams.
    uint32_t h2_streams = 0;
};

class SubscriberPool : private H2ClientSession::Handler {
public:
    SubscriberPool(const PoolConfig& cfg, int epoll_fd);
    ~SubscriberPool();
    SubscriberPool(const SubscriberPool&) = delete;
    SubscriberPool& operator=(const SubscriberPool&) = delete;

    // Connect phase.
    void start_connects(uint64_t now);
    void check_timeouts(uint64_t now);
    bool all_connected() const { return _result.connected == _cfg.count; }
    // Set once a connection failed for good; the run cannot complete.
    const std::string& failure() const { return _failure; }
    std::string connect_summary() const;

    void on_ready(uint32_t index, uint32_t events, uint64_t now);

    // Drain phase: `total` events were published (global numbers 0..total-1).
    void set_published(uint64_t total);
    bool all_complete() const { return _done_streams == uint64_t(_cfg.count) * _cfg.publishers; }
    // Resume-burst mode: every stream has its replay_events (or was ended).
    bool all_replayed() const { return _replayed_streams == _cfg.count; }
    // Takeover mode: the takeover request was made now (StreamWatch::mark).
    void mark_request();
    // Counts what never arrived as lost; call once, at the end.
    void finish();

    WorkerResult& result() { return _result; }
    const std::string& server() const { return _server; }
    void close_all();

private:
    static constexpr uint64_t kRetryBackoffNs = 200 * kNsPerMs;  // times the attempt number

    enum class State : uint8_t { idle, connecting, tls_handshake, head, stream, closed, failed };

    struct Conn {
        int fd = -1;
        State state = State::idle;
        bool connected = false;  // got its `connected` event
        bool replayed = false;   // resume-burst mode: past its replay (or ended)
        uint8_t attempts = 0;
        uint64_t started_ns = 0;  // current attempt; also the retry time when idle
        std::string carry;        // incomplete head or event block
        std::unique_ptr<TlsStream> tls;
        int32_t h2_id = 0;       // --h2: the stream's id on its link
        uint16_t h2_status = 0;  // --h2: a status other than 200 (its body in carry)
    };

    // --h2: one connection. Its streams' states follow its own until the
    // session is up (idle, connecting, tls_handshake), then their own; it is
    // `stream` once every one of them has its `connected` event.
    struct Link {
        int fd = -1;
        State state = State::idle;
        uint8_t attempts = 0;
        uint64_t started_ns = 0;  // current attempt; also the retry time when idle
        uint32_t first = 0;       // its streams: first .. first + count - 1
        uint32_t count = 0;
        uint32_t waiting = 0;  // of them, still without their `connected` event
        std::unique_ptr<TlsStream> tls;
        std::unique_ptr<H2ClientSession> session;
        std::string out;     // bytes for the socket it has not taken yet
        std::string broken;  // set by a session callback: fail the link after the feed
    };

    void start(uint32_t i, uint64_t now);
    // `why` by value: it is often the TLS object's error, freed with the connection.
    void attempt_failed(uint32_t i, std::string why, uint64_t now);
    void fail_for_good(uint32_t i, std::string why);
    void on_writable(uint32_t i, uint64_t now);
    void on_readable(uint32_t i, uint64_t now);
    void on_closed(uint32_t i, const std::string& why, uint64_t now);
    void on_head_bytes(uint32_t i, const char* data, size_t len, uint64_t now);
    // What recvmsg read, as the HTTP side gets it: decrypted first under TLS.
    void on_bytes(uint32_t i, const char* data, size_t len, uint64_t now);
    void on_tls_bytes(uint32_t i, const char* data, size_t len, uint64_t now);
    // Sends what TLS has for the server (handshake, request); false if it failed.
    bool send_tls_output(uint32_t i, uint64_t now);
    bool send_request(uint32_t i, uint64_t now);
    // Still setting up: counted in flight, under the handshake timeout.
    static bool setting_up(const Conn& c) {
        return c.state == State::connecting || c.state == State::tls_handshake ||
               c.state == State::head || (c.state == State::stream && !c.connected);
    }
    void on_stream_bytes(uint32_t i, const char* data, size_t len, uint64_t now);
    void on_event(uint32_t i, std::string_view name, std::string_view data, uint64_t now);
    void on_our_event(uint32_t i, std::string_view data, uint64_t now);
    void close_fd(Conn& c);
    // A socket for connection attempt `tag` (epoll data), bound to the source
    // of `source_index`; -1 with *error (*for_good: retrying cannot help).
    int open_socket(uint64_t source_index, uint32_t tag, std::string* error, bool* for_good);
    // recvmsg into _buf, setting _arrival_ns (kernel timestamp) and *at.
    ssize_t receive(int fd, uint64_t* at);
    // A stream that had its `connected` event ends: nothing more will come.
    void end_stream(uint32_t i, const std::string& why);
    // A stream broken on our side (an oversized event): closed, as by the server.
    void drop_stream(uint32_t i, const std::string& why, uint64_t now);
    uint64_t streams_done_of(uint32_t i) const;

    // --- HTTP/2 (subscriber_pool_h2.cc) ---
    void make_links();
    void start_link(uint32_t l, uint64_t now);
    void on_link_ready(uint32_t l, uint32_t events, uint64_t now);
    void on_link_writable(uint32_t l, uint64_t now);
    void on_link_readable(uint32_t l, uint64_t now);
    void on_link_bytes(uint32_t l, const char* data, size_t len, uint64_t now);
    void feed_session(uint32_t l, const char* data, size_t len, uint64_t now);
    void start_session(uint32_t l, uint64_t now);
    // Sends what the session (through TLS) has for the server; false if the link failed.
    bool flush_link(uint32_t l, uint64_t now);
    void link_closed(uint32_t l, const std::string& why, uint64_t now);
    void link_attempt_failed(uint32_t l, std::string why, uint64_t now);
    void link_failed_for_good(uint32_t l, std::string why);
    void close_link(Link& k);
    void set_link_state(Link& k, State s);
    void check_link_timeouts(uint64_t now);
    static bool link_setting_up(const Link& k) {
        return k.state == State::connecting || k.state == State::tls_handshake ||
               k.state == State::head;
    }
    void on_h2_settings(uint32_t l, uint32_t max_streams) override;
    void on_h2_response(uint32_t i, int status, std::string_view content_type,
                        std::string_view server) override;
    void on_h2_data(uint32_t i, const char* data, size_t len) override;
    void on_h2_closed(uint32_t i, uint32_t error_code) override;
    uint32_t link_of(uint32_t i) const { return i / _cfg.h2_streams; }
    uint64_t local_count(uint64_t global_total, uint32_t p) const;

    PoolConfig _cfg;
    int _epoll;
    std::unique_ptr<TlsClientContext> _tls;  // with cfg.tls
    std::vector<Conn> _conns;
    std::vector<Link> _links;                // --h2
    std::vector<std::string> _request_text;  // HTTP/1.1: _cfg.requests as sent
    std::vector<SeqTracker> _trackers;       // count x publishers
    std::vector<StreamWatch> _watches;       // takeover mode: one per stream
    std::vector<uint64_t> _first_measured;   // per publisher, local numbering
    std::vector<uint64_t> _final;            // per publisher: local count published
    // Waiting for their (next) attempt: streams, or with --h2 links.
    std::deque<uint32_t> _pending;
    std::deque<std::pair<uint32_t, uint64_t>>
        _inflight;  // (index, started_ns), in order (--h2: links)
    uint32_t _inflight_count = 0;
    uint64_t _done_streams = 0;
    uint64_t _replayed_streams = 0;
    std::vector<char> _buf;
    std::vector<char> _plain;  // decrypted bytes (TLS only)
    std::string _h2_plain;     // --h2 with TLS: the session's output, to encrypt
    uint64_t _realtime_minus_mono = realtime_minus_monotonic();
    uint64_t _arrival_ns = 0;  // kernel arrival time of the bytes being handled
    uint64_t _now_ns = 0;      // --h2: the read time of the bytes the session is handling
    std::string _scratch;
    uint64_t _comments = 0;
    std::string _failure;
    std::string _server;
    std::string _last_error;
    WorkerResult _result;
};

}  // namespace ringcast::load

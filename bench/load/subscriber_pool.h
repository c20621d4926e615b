#pragma once
// The subscriber connections of one worker process: a bounded number of
// connection attempts in flight, the HTTP handshake, then reading the event
// stream and accounting for every event (sequence checks, latency). Driven by
// the worker's epoll loop (worker.cc): it registers its sockets with the given
// epoll fd, using the connection index as the event data.
#include <netinet/in.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "clock.h"
#include "seq_tracker.h"
#include "takeover_tracker.h"
#include "tls_stream.h"
#include "worker_result.h"

namespace ringcast::load {

struct PoolConfig {
    uint64_t first_index = 0;  // global index of our first connection (source choice)
    uint32_t count = 0;
    sockaddr_in target{};
    std::vector<sockaddr_in> sources;  // empty: let the kernel choose
    // The GET request, sent as is: subscriber k (by first_index + i) sends
    // requests[k % size] (one per audience, --audiences; else one).
    std::vector<std::string> requests;
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
};

class SubscriberPool {
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
    };

    void start(uint32_t i, uint64_t now);
    void attempt_failed(uint32_t i, const std::string& why, uint64_t now);
    void fail_for_good(uint32_t i, const std::string& why);
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
    uint64_t streams_done_of(uint32_t i) const;
    uint64_t local_count(uint64_t global_total, uint32_t p) const;

    PoolConfig _cfg;
    int _epoll;
    std::unique_ptr<TlsClientContext> _tls;  // with cfg.tls
    std::vector<Conn> _conns;
    std::vector<SeqTracker> _trackers;                    // count x publishers
    std::vector<StreamWatch> _watches;                    // takeover mode: one per stream
    std::vector<uint64_t> _first_measured;                // per publisher, local numbering
    std::vector<uint64_t> _final;                         // per publisher: local count published
    std::deque<uint32_t> _pending;                        // waiting for their (next) attempt
    std::deque<std::pair<uint32_t, uint64_t>> _inflight;  // (index, started_ns), in order
    uint32_t _inflight_count = 0;
    uint64_t _done_streams = 0;
    uint64_t _replayed_streams = 0;
    std::vector<char> _buf;
    std::vector<char> _plain;  // decrypted bytes (TLS only)
    uint64_t _realtime_minus_mono = realtime_minus_monotonic();
    uint64_t _arrival_ns = 0;  // kernel arrival time of the bytes being handled
    std::string _scratch;
    uint64_t _comments = 0;
    std::string _failure;
    std::string _server;
    std::string _last_error;
    WorkerResult _result;
};

}  // namespace ringcast::load

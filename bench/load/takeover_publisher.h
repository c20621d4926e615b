#pragma once
// The takeover mode's publisher (takeover.cc): one event at a time over the
// daemon's Unix socket, each acknowledged before the next, on an absolute
// schedule, until told to stop. A publish the daemon refuses as `unavailable`
// (the old daemon quiescing, docs/operations.md "Upgrade without a reconnect"),
// or leaves unanswered (the connection closed or --ack-timeout passed), was
// not accepted: it is sent again, with the same number and timestamp, on a new
// connection, which reaches whichever daemon listens by then. Any other refusal
// is a real error and ends the publishing. The counters are atomics: the main
// thread reads them while the publisher runs (how many were acknowledged when
// the takeover was requested, when the old daemon exited).
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace ringcast::load {

struct TakeoverPublisherConfig {
    std::string socket_path;
    std::string channel;
    std::string event;
    unsigned payload = 256;
    bool persistent = false;
    double rate = 10;
    uint64_t start_ns = 0;        // when event 0 is due
    uint64_t ack_timeout_ns = 0;  // one reply's wait
    // Longest an event may go unacknowledged, from its first attempt, before
    // the publisher gives up (the handover is over by then, or has failed).
    uint64_t give_up_ns = 0;
};

class TakeoverPublisher {
public:
    explicit TakeoverPublisher(TakeoverPublisherConfig cfg) : _cfg(std::move(cfg)) {}
    ~TakeoverPublisher() { stop(); }
    TakeoverPublisher(const TakeoverPublisher&) = delete;
    TakeoverPublisher& operator=(const TakeoverPublisher&) = delete;

    void start();
    // Stops after the event in flight (acknowledged or given up); joins.
    void stop();

    // Events 0..acked()-1 were acknowledged.
    uint64_t acked() const { return _acked.load(std::memory_order_acquire); }
    // Attempts that failed and were made again (refused `unavailable`,
    // unanswered, or a connect that failed).
    uint64_t resent() const { return _resent.load(std::memory_order_relaxed); }
    // The reason publishing ended early; read after stop().
    const std::string& error() const { return _error; }
    bool failed() const { return _failed.load(std::memory_order_acquire); }

private:
    void run();

    TakeoverPublisherConfig _cfg;
    std::thread _thread;
    std::atomic<bool> _stop{false};
    std::atomic<bool> _failed{false};
    std::atomic<uint64_t> _acked{0};
    std::atomic<uint64_t> _resent{0};
    std::string _error;
};

}  // namespace ringcast::load

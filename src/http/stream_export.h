#pragma once
// The old daemon's side of an upgrade on one shard (docs/operations.md,
// "Upgrade without a reconnect"): every SSE stream is frozen (it leaves its
// channels and its heartbeats), waits until what is queued for it is written,
// then its direct descriptor is given back as a file descriptor
// (Transport::install_fd) and its connection closed here, which leaves the
// socket open in that fd. The daemon collects each shard's streams (take())
// and passes them to the new daemon. A stream that cannot be handed over (its
// bytes not written within the flush bound, the kernel refusing the fd, still
// catching up) ends with a randomised `retry:` instead: the client reconnects
// and resumes with Last-Event-ID, nothing lost.
#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include "core/reactor.h"
#include "http/handed_stream.h"
#include "http/http_connection.h"
#include "http/sse_streams.h"
#include "net/transport.h"

namespace ringcast {

class StreamExport {
public:
    StreamExport(Reactor& reactor, Transport& transport, SseStreams& streams, uint8_t protocol);
    ~StreamExport();  // closes the fds nobody took

    // Freezes every stream of the shard (carry), or ends each with a retry.
    void begin(bool carry, uint64_t flush_timeout_ms, uint32_t retry_spread_ms);
    // Once per turn: the streams whose bytes are written give their fd.
    void poll();
    void on_fd_installed(HttpConnection& c, int fd);
    // Every stream is handed over or ended.
    bool done() const { return _begun && _pending.empty(); }
    // The streams handed over; their fds are the caller's from then on.
    std::vector<HandedStream> take() { return std::move(_ready); }
    // Ends a stream with `retry:` (0 to spread ms, random) after what is queued.
    void end_with_retry(HttpConnection& c);

private:
    struct Pending {
        ConnectionHandle handle;
        HandedStream state;
        bool installing = false;
    };

    Reactor& _reactor;
    Transport& _transport;
    SseStreams& _streams;
    uint8_t _protocol;
    std::unordered_map<uint64_t, Pending> _pending;  // by connection serial
    std::vector<HandedStream> _ready;
    std::minstd_rand _random;
    uint64_t _deadline_ms = 0;
    uint32_t _retry_spread_ms = 0;
    bool _begun = false;
};

}  // namespace ringcast

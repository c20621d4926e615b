#pragma once
// A protocol that carries several virtual connections over one real one (an
// HTTP/2 session: src/http2/). A virtual connection (Transport::open_virtual)
// has no socket: what the protocol above it queues is taken by its host, which
// frames it and moves it to the real connection's queue (Transport::move_output),
// so the protocol above (HTTP: routes, streams, fan-out, slow readers) works on
// it unchanged. Why: docs/architecture.md, "Virtual connections".
namespace ringcast {

class Connection;

class MuxHost {
public:
    virtual ~MuxHost() = default;
    // The child has bytes queued and is on no list any more: take what can go
    // now (the rest waits: the child then counts as a slow reader). Called by
    // the transport's flush instead of a send.
    virtual void child_ready(Connection& child) = 0;
    // The child is closing (the protocol above let go of it). clean: its queue
    // was fully taken (a drain that finished, an empty queue); else what was
    // queued is lost and the peer should see the stream reset.
    virtual void child_closed(Connection& child, bool clean) = 0;
};

}  // namespace ringcast

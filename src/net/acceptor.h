#pragma once
// The accepting side of a shard's transport: listeners, the accepts armed on
// them, the shard's direct-descriptor table as far as accepting is concerned,
// and the handoff of accepted sockets to other shards.
//
// Every connection lives in a slot of the shard's direct-descriptor table
// (registered by the reactor, sized by engine.connections_per_shard). The
// acceptor counts the slots in use and keeps no more accepts armed than there
// are free slots: the kernel takes a connection before it looks for a slot, and
// drops it (a reset) when there is none. A connection accepted here either stays
// (adopt() into the transport) or, for a balanced listener, moves to the
// least-loaded shard with MSG_RING, whose acceptor hands it to its own transport
// in turn. The transport tells the acceptor when it has released a slot
// (slot_freed()), and accepting resumes if a full table had paused it.
//
// Interface with the transport, whole: ConnectionAdopter::adopt() one way,
// slot_freed() the other; the transport forwards the acceptor's completions
// (Op::accept, Op::handoff, Op::handoff_sent) and calls flush() once per turn.
#include <sys/socket.h>

#include <cstdint>
#include <deque>
#include <vector>

#include "core/reactor.h"
#include "net/load_board.h"
#include "net/peer_address.h"

namespace ringcast {

// Who takes the sockets the acceptor gets: the transport of the same shard.
class ConnectionAdopter {
public:
    // A socket in slot `slot` of this shard's direct-descriptor table (accepted
    // here, handed over by another shard, or a handoff that did not go
    // through), speaking `protocol`, from `peer` (empty for a Unix-socket peer
    // and for an IPv6 peer handed over by another shard). The slot is the
    // adopter's until it closes it and calls Acceptor::slot_freed().
    virtual void adopt(uint32_t slot, uint8_t protocol, const PeerAddress& peer) = 0;

protected:
    ~ConnectionAdopter() = default;
};

struct AcceptStats {
    uint64_t accepted = 0;
    uint64_t handed_off = 0;
    uint64_t adopted = 0;
    uint64_t adopted_v6 = 0;  // IPv6 peers kept by the accepting shard (see on_accept)
    uint64_t accept_errors = 0;
};

class Acceptor {
public:
    Acceptor(Reactor& reactor, LoadBoard& board, ConnectionAdopter& adopter);
    ~Acceptor();  // closes the listeners' fds
    Acceptor(const Acceptor&) = delete;
    Acceptor& operator=(const Acceptor&) = delete;

    // Starts accepting on a listening socket owned by this shard; its
    // connections speak `protocol`. With `balance`, each goes to the shard that
    // holds the fewest connections (an IPv6 peer stays: see on_accept()).
    void add_listener(int fd, uint8_t protocol, bool balance);
    // Cancels the accepts in flight; each listener's fd is closed once none is.
    void stop_accepting();

    // A socket the caller put into slot `slot` of the table itself (an upgrade
    // registers the streams it was handed): counted like an accepted one,
    // then adopted.
    void adopt_registered(uint32_t slot, uint8_t protocol, const PeerAddress& peer);

    // The adopter closed a connection and the kernel released its slot.
    void slot_freed();

    // Completions tagged Op::accept, Op::handoff or Op::handoff_sent.
    void on_completion(const io_uring_cqe& cqe);
    // End of the turn: arms the accepts that waited for an SQE or a free slot.
    void flush();
    bool has_pending_work() const { return _retry && _accepting; }

    const AcceptStats& stats() const { return _stats; }

private:
    // Single-shot accepts each listener keeps in flight (fewer when the table
    // has fewer free slots). A multishot accept cannot tell us who connected:
    // each completion would write its address into the same buffer, overwritten
    // by the next accept before we read it, and getsockopt(SO_PEERNAME) through
    // the ring needs Linux 6.7. So each accept in flight has its own address
    // buffer and is re-armed as it completes. The kernel wakes one waiting
    // accept per incoming connection: with 16 armed a burst is taken 16 per loop
    // turn instead of one. Measured (ringcast-load --idle, 10,000 connects, 2
    // shards, median of 5): 0.395 s with 1, 0.372 s with 16, 0.363 s with 64,
    // 0.368 s with the multishot accept; 16 buys nearly all of it for 16 x 144
    // bytes per listener, nothing per connection.
    static constexpr unsigned kAcceptsPerListener = 16;

    struct Listener;
    struct AcceptSlot {
        sockaddr_storage addr;  // written by the kernel when the accept completes
        socklen_t len;
        bool armed;
        bool cancelling;  // armed, and a cancel is on its way (trim())
        Listener* listener;
    };
    struct Listener {
        int fd;
        uint8_t protocol;
        bool balance;
        uint8_t armed;       // accepts in flight; after stop, the fd closes when none is left
        uint8_t cancelling;  // of which being cancelled for want of free slots
        AcceptSlot slots[kAcceptsPerListener];
    };
    // A handoff in flight, until our MSG_RING completion says whether it went
    // through; if it did not, the connection stays here with its address.
    struct HandoffOp {
        PeerAddress peer;
        uint8_t protocol;
        uint16_t target;
        uint32_t slot;
    };

    uint32_t free_slots() const;
    void arm(Listener* l);
    void cancel_all(Listener* l);
    void trim();
    void note_table_full();
    void on_accept(const io_uring_cqe& cqe);
    void handoff(uint32_t slot, unsigned target, uint8_t protocol, const PeerAddress& peer);
    void on_handoff_sent(const io_uring_cqe& cqe);
    void on_handed_over(const io_uring_cqe& cqe);
    // A connection we counted for another shard stays here after all.
    void keep(uint32_t slot, unsigned counted_for, uint8_t protocol, const PeerAddress& peer);

    Reactor& _reactor;
    LoadBoard& _board;
    ConnectionAdopter& _adopter;
    AcceptStats _stats;
    std::vector<Listener*> _listeners;
    std::deque<HandoffOp> _handoff_ops;  // stable addresses; recycled through the free list
    std::vector<HandoffOp*> _free_handoff_ops;
    // Slots of our direct-descriptor table in use (connections, and sockets on
    // their way to another shard), counted from completions: a listener keeps no
    // more accepts armed than there are free slots (arm()).
    uint32_t _slots_used = 0;
    uint32_t _armed = 0;  // accepts in flight, over all listeners
    bool _accepting = true;
    bool _blocked = false;           // the table is full: no accept until a slot frees
    bool _table_full_noted = false;  // logged; cleared once the table has room again
    bool _retry = false;             // a listener needs (re-)arming at the end of the turn
};

}  // namespace ringcast

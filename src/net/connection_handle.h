#pragma once
// Names a connection without pointing at it, for whatever may outlive it: a
// reply that comes back from another shard, a request waiting on a limiter. A
// connection can close (and its object be freed) while such a thing is on its
// way; a pointer would then dangle, a handle finds nothing.
//
// Transport::handle(c) makes one, Transport::find(h) gives the connection back
// (O(1): the slot indexes the transport's table, the serial tells this
// connection from a later one in the same slot) or nullptr once it is gone. A
// handle is only meaningful on the shard whose transport made it: slots and
// serials are per shard. A default handle finds nothing (serials start at 1).
#include <cstdint>
#include <type_traits>

namespace ringcast {

struct ConnectionHandle {
    uint32_t slot = 0;    // the connection's direct-descriptor slot
    uint64_t serial = 0;  // Connection::serial(), never reused on a shard

    friend bool operator==(const ConnectionHandle&, const ConnectionHandle&) = default;
};
static_assert(std::is_trivially_copyable_v<ConnectionHandle>);

}  // namespace ringcast

#pragma once
// 64-bit io_uring user_data tags with typed decoders (the liburing proxy.c idea).
//
// The low 8 bits say which kind of operation completed; the upper 56 bits carry a
// payload, usually a pointer to the object that owns the operation. x86-64 and
// arm64 user-space pointers fit in 48 bits and our objects are at least 8-byte
// aligned, so a pointer survives the shift unchanged. Every CQE handler in the
// engine starts by decoding the tag and never looks at raw user_data.
#include <cstdint>

namespace ringcast {

// Kinds start at 1: an SQE whose user_data was never set completes with 0,
// which must not pass for an accept.
enum class Op : uint8_t {
    accept = 1,     // single-shot accept on a listener; payload: its AcceptSlot*
    recv,           // multishot recv; payload: Connection*
    send,           // send of one frame; payload: Connection*
    sendmsg,        // sendmsg of several frames; payload: SendOp* (it names the Connection)
    close,          // close of a direct descriptor; payload: Connection*
    doorbell,       // MSG_RING from another shard: "your inbox has messages"
    stop,           // MSG_RING from the main thread: "shut down"
    reload,         // MSG_RING from the main thread: "take the reloaded options"
    handoff,        // MSG_RING carrying a direct descriptor from the acceptor shard;
                    // payload: HandoffTag (protocol and IPv4 peer address)
    handoff_sent,   // the acceptor's side of a handoff, whether or not it went
                    // through; payload: HandoffOp*
    peer,           // getsockopt of a new connection's peer (SO_PEERCRED...); payload: Connection*
    job_done,       // MSG_RING from a BlockingWorker: a job of ours has worked;
                    // payload: BlockingJob* (core/blocking_worker.h)
    fd_install,     // a direct descriptor given back as a file descriptor (an upgrade
                    // hands the stream over); payload: Connection*
    ktls_fd,        // the same, for a TLS connection handing its sending side to the
                    // kernel (net/transport_ktls.cc); payload: Connection*
    ktls_alert,     // the close_notify alert record of a kTLS connection; payload: Connection*
    redis_connect,  // connect of a Redis link's socket; payload: RedisLink* (src/cluster)
    redis_send,     // send of a Redis link's commands; payload: RedisLink*
    redis_recv,     // receive of a Redis link's replies; payload: RedisLink*
    cancel,         // async cancel; result ignored
    ignore,         // completions we do not need to look at
};

constexpr uint64_t tag(Op op, uint64_t payload = 0) {
    return (payload << 8) | uint64_t(op);
}
inline uint64_t tag(Op op, const void* p) {
    return tag(op, uint64_t(reinterpret_cast<uintptr_t>(p)));
}
constexpr Op op_of(uint64_t user_data) {
    return Op(user_data & 0xff);
}
constexpr uint64_t payload_of(uint64_t user_data) {
    return user_data >> 8;
}
template <typename T>
T* pointer_of(uint64_t user_data) {
    return reinterpret_cast<T*>(uintptr_t(payload_of(user_data)));
}

// What travels with a handed-off socket. The target's CQE carries nothing but
// its slot (res) and this tag, so the connection's protocol and its peer's IPv4
// address ride in the payload: protocol in bits 0-7, "an address follows" in bit
// 8, the address (network byte order, as in in_addr.s_addr) in bits 16-47. An
// IPv6 address (128 bits) cannot fit: IPv6 connections are never handed off.
struct HandoffTag {
    uint8_t protocol = 0;
    bool has_v4 = false;
    uint32_t v4 = 0;
};

constexpr uint64_t handoff_tag(const HandoffTag& h) {
    return tag(Op::handoff,
               uint64_t(h.protocol) | (uint64_t(h.has_v4) << 8) | (uint64_t(h.v4) << 16));
}
constexpr HandoffTag handoff_of(uint64_t user_data) {
    uint64_t p = payload_of(user_data);
    return HandoffTag{uint8_t(p & 0xff), bool((p >> 8) & 1), uint32_t(p >> 16)};
}
static_assert(payload_of(handoff_tag({0xff, true, 0xffffffffu})) >> 48 == 0,
              "the handoff payload must fit in the 56 bits tag() leaves");

}  // namespace ringcast

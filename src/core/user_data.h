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

enum class Op : uint8_t {
    none = 0,
    accept,          // multishot accept on a listener; payload: Listener*
    recv,            // multishot recv; payload: Connection*
    send,            // send/sendmsg; payload: Connection*
    shutdown,        // shutdown(2) before close; payload: Connection*
    close,           // close of a direct descriptor; payload: Connection*
    doorbell,        // MSG_RING from another shard: "your inbox has messages"
    stop,            // MSG_RING from the main thread: "shut down"
    handoff,         // MSG_RING carrying a direct descriptor from the acceptor shard
    handoff_failed,  // the acceptor's side of a handoff that did not go through;
                     // payload: protocol << 48 | target shard << 32 | slot
    peer,            // getsockopt of a new connection's peer (SO_PEERCRED...); payload: Connection*
    cancel,          // async cancel; result ignored
    ignore,          // completions we do not need to look at
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

}  // namespace ringcast

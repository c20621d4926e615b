#pragma once
// The handover socket: how a new ringcastd asks the running one to hand over
// (docs/operations.md, "Upgrade without a reconnect"). A SOCK_SEQPACKET Unix
// socket, so that each message is one record with its file descriptors
// (SCM_RIGHTS) riding along: no framing, and a message's fds can never be
// read with the wrong message.
//
// The conversation (the new daemon starts it, each step one message):
//   new → old  hello     "ringcast-takeover 1"
//   old → new  listeners the HTTP listeners and the publishing socket (fds)
//   new → old  adopted   it listens on them: only now does the old daemon stop
//                        accepting (a new daemon that fails before this changes nothing)
//   old → new  streams   up to kMaxFdsPerMessage streams (fds + their state), repeated
//   old → new  done      the numbering the streams resume from; the old daemon
//                        has closed its store and exits
//   old → new  refused   instead of any of these: why not (the old one goes on)
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast {

enum class HandoverKind : uint32_t { hello = 1, listeners, adopted, streams, done, refused };

// SCM_RIGHTS carries at most 253 fds per message (SCM_MAX_FD).
inline constexpr size_t kMaxFdsPerMessage = 253;
// The largest message either side sends or reads.
inline constexpr size_t kMaxHandoverMessage = 1 << 20;
inline constexpr std::string_view kHandoverHello = "ringcast-takeover 1";

struct HandoverMessage {
    HandoverKind kind = HandoverKind::refused;
    std::string body;
    std::vector<int> fds;  // the receiver's to close
    ~HandoverMessage();
    HandoverMessage() = default;
    HandoverMessage(const HandoverMessage&) = delete;
    HandoverMessage& operator=(const HandoverMessage&) = delete;
    // The fds, now the caller's (the message no longer closes them).
    std::vector<int> take_fds() { return std::move(fds); }
};

// Listens at `path` (a stale socket file is replaced), mode 0600: only this
// user (and root) may ask. -1 with *error.
int listen_handover(const std::string& path, std::string* error);
// Connects to the daemon listening at `path`. -1 with *error.
int connect_handover(const std::string& path, std::string* error);

bool send_handover(int sock, HandoverKind kind, std::string_view body, std::span<const int> fds,
                   std::string* error);
// Waits up to timeout_ms for one message. False with *error on a timeout, an
// EOF (the other daemon went away) or a malformed message.
bool recv_handover(int sock, HandoverMessage* out, int timeout_ms, std::string* error);

}  // namespace ringcast

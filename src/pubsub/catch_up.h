#pragma once
// What a new stream gets before it goes live (history, cache, mail), and how it
// gets it without a gap or a duplicate at the seam.
//
// Every stream catches up before it goes live: the events it missed when it
// comes back with a Last-Event-ID (from history), the cached persistent events
// of its channels, its user's mail (retryable events kept while the user was
// not there), and the log's position (an id-only block), so that even a stream
// that drops before its first event can resume exactly. Asking costs a mesh
// round trip to the log shard and a few hundred nanoseconds there; the stream's
// `connected` event goes out at once, before the answer.
//
// The seam. The stream's shard holds the stream's channels present (so the log
// keeps sending their events here) without subscribing the stream, registers a
// CatchUpWaiter on them, and sends the question to the log shard. The log
// answers with references from its keeps: everything relevant that it numbered
// before answering. While the answer travels, every event of those channels
// that reaches the shard is buffered in the waiter (and counted as sent: it will
// be queued). When the answer arrives, the shard merges the answer with the
// buffer by sequence (an event in both is one event), drops what the stream
// must not get (targeting, ttl, for a resume anything at or before its id),
// queues the rest in order, and subscribes the stream. Everything the log
// numbers after answering reaches the shard after the answer (one FIFO ring),
// so it goes to the now subscribed stream: nothing is lost, nothing repeated.
// An event published because a client saw `connected` reaches the shard: the
// holds were marked before `connected` was written, so the log sees them.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/shard_call.h"
#include "net/connection_handle.h"
#include "pubsub/event.h"

namespace ringcast {

struct Channel;
struct Member;
class Hub;

// The question to the log and its answer. Lives on the asking shard; the log
// fills the answer.
struct CatchUp {
    // Question.
    std::vector<std::string> channels;
    std::optional<std::string> last_id;  // as the client sent it
    std::string user;                    // the stream's user ("" anonymous): its mailbox
    // Answer.
    std::vector<Event*> events;  // ascending sequence, distinct, one reference each
    std::vector<Event*> mail;    // those of `events` taken from the mailbox (no extra reference)
    bool resume = false;         // last_id placed: `after` is its sequence
    uint64_t after = 0;
    bool gap = false;            // the id is unknown, or history lost events after it
    std::string high_id;         // the log's last event when it answered ("" if none yet)
    uint64_t high_sequence = 0;  // its sequence (0 if none yet)
    uint16_t asker = 0;          // the asking shard
};

struct CatchUpWaiter;

// Where a waiter's answer goes on the stream's shard (the HTTP side's
// SseStreams). An interface rather than a std::function: a waiter exists for
// every stream that connects, and at a burst of connections thousands wait at
// once, so its size is memory the allocator keeps afterwards.
class CatchUpListener {
public:
    virtual void on_catch_up_answer(CatchUpWaiter& w) = 0;

protected:
    ~CatchUpListener() = default;
};

// A stream waiting for its answer, known to the channels it holds
// (Channel::waiting). It is the shard call (core/shard_call.h) that asks the log:
// run() on the log fills the CatchUp's answer (or waits for the user's pending
// mail), complete() on the stream's shard takes the waiter off its channels and
// hands it to its listener, the stream's own side; the reactor deletes it
// afterwards.
struct CatchUpWaiter final : CatchUp, ShardCall {
    // The stream it is for. `member` may be used only while the transport still
    // finds `stream` (the connection may close meanwhile).
    ConnectionHandle stream;
    Member* member = nullptr;
    std::vector<Channel*> channels_held;  // in the order of member->subs
    std::vector<Event*> buffered;         // live events that arrived meanwhile, one reference each
    Hub* hub = nullptr;                   // the asking shard's
    CatchUpListener* listener = nullptr;  // the stream's side, told in complete()

    bool run(Reactor& log) override;
    void complete() override;
};

// What the stream gets, in order: the answer and the buffer merged by sequence,
// without events past their ttl at `now_wall_ms` and, for a resume, without
// events at or before its id: the client has seen its stream up to there, so
// mail that old was delivered already (a browser resumes with the channels it
// had) and is dropped. Takes over every reference in
// `w` (events, buffered); the returned events carry one each. Targeting
// is left to the caller (it needs the shard's Audience).
std::vector<Event*> merge_catch_up(CatchUpWaiter& w, int64_t now_wall_ms);

}  // namespace ringcast

#pragma once
// A published event: the SSE bytes that every recipient receives, serialized once,
// plus what the shards need to route it (channel, sequence) and to decide who gets
// it (target, expiry) — all in one immutable allocation.
//
// Built by the shard where the publish arrived. If the publisher gave no id, the
// bytes start after a reserved gap and the log shard (pubsub/hub.h) writes the
// "id: <epoch>-<sequence>" line (pubsub/event_id.h) into that gap before handing
// the event to any other shard; from then on nobody writes to it again.
//
// Layout: [Event][id gap][event/data lines][target lists, if any]. The wire view
// covers the id line (once written) and the lines; the target lists sit after it.
#include <cstdint>
#include <string_view>

#include "core/frame.h"
#include "pubsub/channel_name.h"
#include "pubsub/event_id.h"
#include "pubsub/message.h"
#include "pubsub/target.h"

namespace ringcast {

class Event : public SharedFrame {
public:
    // SharedFrame::kind() of every Event: how a queue's dropped frames are
    // recognised as events again (http/http_server.cc).
    static constexpr uint8_t kFrameKind = 1;
    static const Event* from(const SharedFrame* f) {
        return f->kind() == kFrameKind ? static_cast<const Event*>(f) : nullptr;
    }

    // "id: " + the longest event id + "\n"
    static constexpr size_t kSequenceIdRoom = 4 + kMaxEventIdLength + 1;

    // Serializes a validated message. `received_ms` (wall clock) stands in for a
    // missing timestamp and anchors the ttl.
    static Event* build(const Message& m, int64_t received_ms);
    // Shorthand for an untargeted message (tests, benchmarks, internal events).
    // Returns nullptr if the channel name is invalid.
    static Event* build(std::string_view channel, std::string_view event_name,
                        std::string_view data, std::string_view explicit_id, int64_t timestamp_ms);

    std::string_view channel() const { return {_channel, _channel_len}; }
    uint64_t channel_hash() const { return _hash; }
    uint64_t sequence() const { return _sequence; }
    int64_t timestamp_ms() const { return _timestamp_ms; }
    // When the publish was accepted (monotonic ns, core/clock.h): the start of the
    // delivery latency the metrics show. 0 for events restored from the store.
    uint64_t accepted_ns() const { return _accepted_ns; }
    bool has_explicit_id() const { return _explicit_id; }
    // The id as sent on the wire (empty until the owner numbered the event).
    std::string_view id() const;

    // priority(), expires_at_ms() and expired(now) live in SharedFrame: output
    // queues act on them (net/out_queue.h). An event's priority is 0..10; its
    // expiry is timestamp + ttl in wall-clock ms, 0 without a ttl.
    bool persistent() const { return _persistent; }
    bool retryable() const { return _retryable; }

    // Every subscriber of the channel receives it (no per-recipient check needed).
    bool for_everyone() const {
        return _target_offset == 0 && _target_kind == Target::Kind::all && !_require_auth;
    }
    TargetView target() const;

    // The log shard only, before the event is shared: records the sequence and,
    // without an explicit id, writes "<epoch>-<sequence>" as the id line.
    void assign_sequence(uint64_t sequence, std::string_view epoch);
    // The log shard only, before the event is shared: the shards that deliver
    // it report which of its target users they reached (pubsub/event_log.h).
    void set_mail_tracked() { _mail_tracked = true; }
    bool mail_tracked() const { return _mail_tracked; }

private:
    Event() : SharedFrame(kFrameKind) {}
    friend class SharedFrame;
    // Rebuilds stored events field by field (pubsub/event_record.cc).
    friend struct EventRecordAccess;

    char _channel[kMaxChannelName];
    uint8_t _channel_len = 0;
    bool _explicit_id = false;
    uint8_t _id_len = 0;
    Target::Kind _target_kind = Target::Kind::all;
    bool _require_auth = false;
    bool _persistent = false;
    bool _retryable = false;
    bool _mail_tracked = false;
    uint32_t _body_offset = 0;  // where the event/data lines start
    uint32_t _body_size = 0;
    uint32_t _target_offset = 0;  // where the target lists start; 0: no lists
    uint64_t _hash = 0;
    uint64_t _sequence = 0;
    int64_t _timestamp_ms = 0;
    uint64_t _accepted_ns = 0;
};

}  // namespace ringcast

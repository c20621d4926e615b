#pragma once
// A published event: the SSE bytes that every recipient receives, serialized once,
// plus what the shards need to route it (channel, sequence).
//
// Built by the shard where the publish arrived. If the publisher gave no id, the
// bytes start after a reserved gap and the channel's owner shard writes the
// "id: <sequence>" line into that gap before handing the event to any other
// shard; from then on nobody writes to it again.
#include <cstdint>
#include <string_view>

#include "core/frame.h"
#include "pubsub/channel_name.h"

namespace ringcast {

class Event : public SharedFrame {
public:
    // "id: " + 20 digits + "\n"
    static constexpr size_t kSequenceIdRoom = 25;

    // Returns nullptr only if the inputs are invalid (the caller validates first).
    static Event* build(std::string_view channel, std::string_view event_name,
                        std::string_view data, std::string_view explicit_id, int64_t timestamp_ms);

    std::string_view channel() const { return {_channel, _channel_len}; }
    uint64_t channel_hash() const { return _hash; }
    uint64_t sequence() const { return _sequence; }
    int64_t timestamp_ms() const { return _timestamp_ms; }
    bool has_explicit_id() const { return _explicit_id; }
    // The id as sent on the wire (empty until the owner numbered the event).
    std::string_view id() const;

    // Owner shard only, before the event is shared: records the channel sequence
    // and, without an explicit id, writes it as the id line.
    void assign_sequence(uint64_t sequence);

private:
    Event() = default;
    friend class SharedFrame;

    char _channel[kMaxChannelName];
    uint8_t _channel_len = 0;
    bool _explicit_id = false;
    uint8_t _id_len = 0;
    uint32_t _body_offset = 0;  // where the event/data lines start
    uint32_t _body_size = 0;
    uint64_t _hash = 0;
    uint64_t _sequence = 0;
    int64_t _timestamp_ms = 0;
};

}  // namespace ringcast

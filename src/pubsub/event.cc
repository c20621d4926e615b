#include "pubsub/event.h"

#include <cstring>

#include "core/clock.h"
#include "pubsub/sse_format.h"

namespace ringcast {

Event* Event::build(const Message& m, int64_t received_ms) {
    if (!valid_channel_name(m.channel)) return nullptr;
    const Target& t = m.target;
    bool lists =
        !t.users.empty() || !t.roles.empty() || !t.permissions.empty() || !t.exclude.empty();
    size_t room = m.id.empty() ? kSequenceIdRoom : sse_id_line_size(m.id);
    size_t body = sse_size({}, m.event, m.data);
    size_t target = lists ? target_blob_size(t) : 0;
    Event* e = SharedFrame::make<Event>(room + body + target);
    std::memcpy(e->_channel, m.channel.data(), m.channel.size());
    e->_channel_len = uint8_t(m.channel.size());
    e->_hash = ringcast::channel_hash(m.channel);
    e->_timestamp_ms = m.timestamp_ms ? m.timestamp_ms : received_ms;
    e->_accepted_ns = mono_ns();
    e->set_delivery(m.priority, m.ttl_ms ? e->_timestamp_ms + int64_t(m.ttl_ms) : 0);
    e->_persistent = m.persistent;
    e->_retryable = m.retryable;
    e->_target_kind = t.kind;
    e->_require_auth = t.require_auth;
    e->_body_offset = uint32_t(room);
    e->_body_size = uint32_t(sse_write(e->writable() + room, {}, m.event, m.data));
    if (lists) {
        e->_target_offset = uint32_t(room + e->_body_size);
        write_target_blob(e->writable() + e->_target_offset, t);
    }
    if (!m.id.empty()) {
        sse_write_id_line(e->writable(), m.id);
        e->_explicit_id = true;
        e->_id_len = uint8_t(m.id.size());
        e->set_view(0, uint32_t(room + e->_body_size));
    } else {
        e->set_view(uint32_t(room), e->_body_size);  // no id line until numbered
    }
    return e;
}

Event* Event::build(std::string_view channel, std::string_view event_name, std::string_view data,
                    std::string_view explicit_id, int64_t timestamp_ms) {
    if (!valid_channel_name(channel)) return nullptr;
    Message m;
    m.channel.assign(channel);
    m.event.assign(event_name);
    m.data.assign(data);
    m.id.assign(explicit_id);
    m.timestamp_ms = timestamp_ms;
    return build(m, timestamp_ms);
}

std::string_view Event::id() const {
    if (_id_len == 0) return {};
    return {data() + 4, _id_len};  // after "id: "
}

TargetView Event::target() const {
    const char* blob = _target_offset ? stored_bytes() + _target_offset : nullptr;
    return read_target_blob(_target_kind, _require_auth, blob);
}

void Event::assign_sequence(uint64_t sequence, std::string_view epoch) {
    _sequence = sequence;
    if (_explicit_id) return;
    char text[kMaxEventIdLength];
    std::string_view id(text, write_event_id(text, epoch, sequence));
    size_t line = sse_id_line_size(id);
    uint32_t start = _body_offset - uint32_t(line);
    sse_write_id_line(writable() + start, id);
    _id_len = uint8_t(id.size());
    set_view(start, uint32_t(line) + _body_size);
}

}  // namespace ringcast

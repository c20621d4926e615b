#include "pubsub/event.h"

#include <charconv>
#include <cstring>

#include "pubsub/sse_format.h"

namespace ringcast {

Event* Event::build(std::string_view channel, std::string_view event_name, std::string_view data,
                    std::string_view explicit_id, int64_t timestamp_ms) {
    if (!valid_channel_name(channel)) return nullptr;
    size_t room = explicit_id.empty() ? kSequenceIdRoom : sse_id_line_size(explicit_id);
    size_t body = sse_size({}, event_name, data);
    Event* e = SharedFrame::make<Event>(room + body);
    std::memcpy(e->_channel, channel.data(), channel.size());
    e->_channel_len = uint8_t(channel.size());
    e->_hash = ringcast::channel_hash(channel);
    e->_timestamp_ms = timestamp_ms;
    e->_body_offset = uint32_t(room);
    e->_body_size = uint32_t(sse_write(e->writable() + room, {}, event_name, data));
    if (!explicit_id.empty()) {
        sse_write_id_line(e->writable(), explicit_id);
        e->_explicit_id = true;
        e->_id_len = uint8_t(explicit_id.size());
        e->set_view(0, uint32_t(room + e->_body_size));
    } else {
        e->set_view(uint32_t(room), e->_body_size);  // no id line until numbered
    }
    return e;
}

std::string_view Event::id() const {
    if (_id_len == 0) return {};
    return {data() + 4, _id_len};  // after "id: "
}

void Event::assign_sequence(uint64_t sequence) {
    _sequence = sequence;
    if (_explicit_id) return;
    char digits[20];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, sequence);
    std::string_view id(digits, size_t(end - digits));
    size_t line = sse_id_line_size(id);
    uint32_t start = _body_offset - uint32_t(line);
    sse_write_id_line(writable() + start, id);
    _id_len = uint8_t(id.size());
    set_view(start, uint32_t(line) + _body_size);
}

}  // namespace ringcast

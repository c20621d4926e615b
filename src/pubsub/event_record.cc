#include "pubsub/event_record.h"

#include <cstring>

#include <fmt/format.h>

#include "pubsub/channel_name.h"
#include "pubsub/sse_format.h"

namespace ringcast {

namespace {

enum Flag : uint8_t {
    kExplicitId = 1,
    kPersistent = 2,
    kRetryable = 4,
    kRequireAuth = 8,
    kLists = 16,
};
constexpr uint8_t kKnownFlags = kExplicitId | kPersistent | kRetryable | kRequireAuth | kLists;

// version, flags, priority, kind, sequence, timestamp, expiry
constexpr size_t kFixedBytes = 4 + 8 + 8 + 8;

void put_u8(std::string* out, uint8_t v) {
    out->push_back(char(v));
}
template <typename T>
void put_le(std::string* out, T v) {
    for (size_t i = 0; i < sizeof(T); ++i)
        out->push_back(char(uint8_t(uint64_t(v) >> (8 * i))));
}

void put_list(std::string* out, const StringList& list) {
    put_le<uint32_t>(out, list.size());
    list.for_each([&](std::string_view s) {
        put_le<uint16_t>(out, uint16_t(s.size()));
        out->append(s);
    });
}

// Reads the record front to back; every read checks what is left.
class Reader {
public:
    explicit Reader(std::string_view in) : _in(in) {}
    size_t left() const { return _in.size(); }
    bool u8(uint8_t* v) {
        if (_in.empty()) return false;
        *v = uint8_t(_in[0]);
        _in.remove_prefix(1);
        return true;
    }
    template <typename T>
    bool le(T* v) {
        if (_in.size() < sizeof(T)) return false;
        uint64_t x = 0;
        for (size_t i = 0; i < sizeof(T); ++i)
            x |= uint64_t(uint8_t(_in[i])) << (8 * i);
        *v = T(x);
        _in.remove_prefix(sizeof(T));
        return true;
    }
    bool bytes(size_t n, std::string_view* v) {
        if (_in.size() < n) return false;
        *v = _in.substr(0, n);
        _in.remove_prefix(n);
        return true;
    }

private:
    std::string_view _in;
};

bool read_list(Reader& r, std::vector<std::string>* out) {
    uint32_t count;
    if (!r.le(&count)) return false;
    // Each item takes at least its length: a count the rest cannot hold is a lie,
    // and must not become a reserve() of billions.
    if (count > r.left() / sizeof(uint16_t)) return false;
    out->reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
        uint16_t len;
        std::string_view s;
        if (!r.le(&len) || !r.bytes(len, &s)) return false;
        out->emplace_back(s);
    }
    return true;
}

bool fail(std::string* error, std::string message) {
    if (error) *error = std::move(message);
    return false;
}

}  // namespace

// Everything an Event holds, decoded and checked, ready to be laid out.
struct EventFields {
    uint8_t flags = 0;
    uint8_t priority = 0;
    Target::Kind kind = Target::Kind::all;
    uint64_t sequence = 0;
    int64_t timestamp_ms = 0;
    int64_t expires_at_ms = 0;
    std::string_view channel;
    uint8_t id_len = 0;
    std::string_view wire;
    Target lists;  // only the four lists are used
};

// The one place that writes Event's private fields from outside Event::build.
// Fields that move elsewhere (into SharedFrame, say) change here and nowhere else.
struct EventRecordAccess {
    static void assign(Event* e, const EventFields& f, uint32_t body_offset, uint32_t body_size,
                       uint32_t target_offset) {
        std::memcpy(e->_channel, f.channel.data(), f.channel.size());
        e->_channel_len = uint8_t(f.channel.size());
        e->_hash = channel_hash(f.channel);
        e->_explicit_id = f.flags & kExplicitId;
        e->_id_len = f.id_len;
        e->_target_kind = f.kind;
        e->_require_auth = f.flags & kRequireAuth;
        e->_persistent = f.flags & kPersistent;
        e->_retryable = f.flags & kRetryable;
        e->_body_offset = body_offset;
        e->_body_size = body_size;
        e->_target_offset = target_offset;
        e->_sequence = f.sequence;
        e->_timestamp_ms = f.timestamp_ms;
        e->set_delivery(f.priority, f.expires_at_ms);  // SharedFrame's (core/frame.h)
    }
};

void encode_event(const Event& e, std::string* out) {
    const TargetView t = e.target();
    const bool lists =
        !t.users.empty() || !t.roles.empty() || !t.permissions.empty() || !t.exclude.empty();
    uint8_t flags = (e.has_explicit_id() ? kExplicitId : 0) | (e.persistent() ? kPersistent : 0) |
                    (e.retryable() ? kRetryable : 0) | (t.require_auth ? kRequireAuth : 0) |
                    (lists ? kLists : 0);
    put_u8(out, kEventRecordVersion);
    put_u8(out, flags);
    put_u8(out, e.priority());
    put_u8(out, uint8_t(t.kind));
    put_le<uint64_t>(out, e.sequence());
    put_le<int64_t>(out, e.timestamp_ms());
    put_le<int64_t>(out, e.expires_at_ms());
    put_u8(out, uint8_t(e.channel().size()));
    out->append(e.channel());
    put_u8(out, uint8_t(e.id().size()));
    put_le<uint32_t>(out, e.size());
    out->append(e.view());
    if (lists) {
        put_list(out, t.users);
        put_list(out, t.roles);
        put_list(out, t.permissions);
        put_list(out, t.exclude);
    }
}

std::string encode_event(const Event& e) {
    std::string out;
    out.reserve(kFixedBytes + 2 + e.channel().size() + 4 + e.size());
    encode_event(e, &out);
    return out;
}

namespace {

bool parse(std::string_view record, EventFields* f, std::string* error) {
    Reader r(record);
    uint8_t version, kind, channel_len;
    if (!r.u8(&version)) return fail(error, "empty record");
    if (version != kEventRecordVersion)
        return fail(error, fmt::format("unknown record version {} (this build reads {})", version,
                                       kEventRecordVersion));
    if (!r.u8(&f->flags) || !r.u8(&f->priority) || !r.u8(&kind) || !r.le(&f->sequence) ||
        !r.le(&f->timestamp_ms) || !r.le(&f->expires_at_ms))
        return fail(error, "record truncated in its fixed fields");
    if (f->flags & ~kKnownFlags) return fail(error, fmt::format("unknown flags {:#x}", f->flags));
    if (f->priority > kMaxPriority) return fail(error, fmt::format("priority {}", f->priority));
    if (kind > uint8_t(Target::Kind::subscribers))
        return fail(error, fmt::format("unknown target kind {}", kind));
    f->kind = Target::Kind(kind);
    if (!r.u8(&channel_len) || !r.bytes(channel_len, &f->channel))
        return fail(error, "record truncated in the channel");
    if (!valid_channel_name(f->channel)) return fail(error, "invalid channel name");
    uint32_t wire_len;
    if (!r.u8(&f->id_len) || !r.le(&wire_len) || !r.bytes(wire_len, &f->wire))
        return fail(error, "record truncated in the wire bytes");
    const bool explicit_id = f->flags & kExplicitId;
    if (explicit_id && f->id_len == 0) return fail(error, "explicit id without an id");
    if (f->id_len > (explicit_id ? kMaxEventId : kMaxEventIdLength))
        return fail(error, fmt::format("id of {} bytes", f->id_len));
    if (f->id_len) {
        // The wire bytes start with "id: <id>\n", and the id says nothing else.
        const size_t line = 4 + size_t(f->id_len) + 1;
        if (f->wire.size() < line || f->wire.substr(0, 4) != "id: " || f->wire[line - 1] != '\n' ||
            !valid_event_id(f->wire.substr(4, f->id_len)))
            return fail(error, "wire bytes do not start with the id line");
    }
    if (f->flags & kLists) {
        if (!read_list(r, &f->lists.users) || !read_list(r, &f->lists.roles) ||
            !read_list(r, &f->lists.permissions) || !read_list(r, &f->lists.exclude))
            return fail(error, "record truncated in the target lists");
        const Target& t = f->lists;
        if (t.users.empty() && t.roles.empty() && t.permissions.empty() && t.exclude.empty())
            return fail(error, "target lists flagged but all empty");  // never written so
    }
    if (r.left() != 0) return fail(error, fmt::format("{} bytes after the record", r.left()));
    return true;
}

}  // namespace

// Lays the event out as Event::build does: [Event][id room][body][target lists].
// A numbered event without an explicit id keeps the full room in front of its body
// (its id line sits at the end of it), exactly like one that was never stored.
Event* decode_event(std::string_view record, std::string* error) {
    EventFields f;
    if (!parse(record, &f, error)) return nullptr;
    const bool explicit_id = f.flags & kExplicitId;
    const size_t line = f.id_len ? 4 + size_t(f.id_len) + 1 : 0;
    const size_t room = explicit_id ? line : Event::kSequenceIdRoom;
    const size_t body = f.wire.size() - line;
    const bool lists = f.flags & kLists;
    const size_t target = lists ? target_blob_size(f.lists) : 0;

    Event* e = SharedFrame::make<Event>(room + body + target);
    char* bytes = e->writable();
    std::memcpy(bytes + room - line, f.wire.data(), f.wire.size());
    if (lists) write_target_blob(bytes + room + body, f.lists);
    EventRecordAccess::assign(e, f, uint32_t(room), uint32_t(body),
                              lists ? uint32_t(room + body) : 0);
    e->set_view(uint32_t(room - line), uint32_t(f.wire.size()));
    return e;
}

}  // namespace ringcast

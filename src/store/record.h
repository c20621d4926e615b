#pragma once
// One change to the keeps, on its way from the log shard to the writer thread.
//
// 64 bytes, trivially copyable (it travels through an SpscRing by plain stores):
// a kept record holds one reference to its event until the writer has committed
// it; a mailbox user or a channel name rides inline up to 40 bytes (user ids and
// channel names usually fit: no allocation on the log shard), longer ones in a
// heap copy that the writer frees. Whoever finishes with a record calls
// free_record() exactly once.
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "pubsub/event.h"
#include "pubsub/journal.h"

namespace ringcast {

struct StoreRecord {
    enum class Kind : uint8_t { kept, dropped, evicted };
    static constexpr size_t kInline = 40;

    Kind kind = Kind::kept;
    Keep keep = Keep::history;
    uint32_t text_len = 0;  // mailbox user (kept, dropped), channel (evicted)
    uint64_t sequence = 0;
    Event* event = nullptr;  // kept: one reference
    union {
        char inline_text[kInline];
        char* heap_text;
    };

    std::string_view text() const {
        return {text_len <= kInline ? inline_text : heap_text, text_len};
    }
};
static_assert(sizeof(StoreRecord) == 64, "one cache line per record");
static_assert(std::is_trivially_copyable_v<StoreRecord>);

// `event` gains a reference when given (kept records).
inline StoreRecord make_record(StoreRecord::Kind kind, Keep keep, uint64_t sequence, Event* event,
                               std::string_view text) {
    StoreRecord r;
    r.kind = kind;
    r.keep = keep;
    r.sequence = sequence;
    r.text_len = uint32_t(text.size());
    if (text.empty()) {
        // nothing to copy (and an empty view's data() may be null)
    } else if (text.size() <= StoreRecord::kInline) {
        std::memcpy(r.inline_text, text.data(), text.size());
    } else {
        r.heap_text = new char[text.size()];
        std::memcpy(r.heap_text, text.data(), text.size());
    }
    if (event) {
        event->retain();
        r.event = event;
    }
    return r;
}

inline void free_record(StoreRecord& r) {
    if (r.event) r.event->release();
    r.event = nullptr;
    if (r.text_len > StoreRecord::kInline) delete[] r.heap_text;
    r.text_len = 0;
}

}  // namespace ringcast

#pragma once
// Immutable refcounted byte buffers: the unit that travels from a publisher to
// every socket.
//
// A SharedFrame is written once by the shard that builds it, then handed to other
// shards by pointer and never written again. Its reference count is atomic but is
// touched once per *shard*, not once per recipient: inside a shard, recipients
// share a LocalFrame whose plain counter counts the connections that still have the
// bytes queued. Without that split, ten thousand recipients on two shards would
// bounce one cache line between the cores ten thousand times per event.
//
// Types that carry extra metadata (a published event, say) derive from SharedFrame,
// must be trivially destructible, and are allocated with make<T>(): one allocation
// holds the object followed by its bytes.
//
// Every frame also carries what a connection's output queue needs to decide its
// fate without knowing what the frame is (net/ sits below pubsub/): a priority
// (which frames a slow reader loses first) and a wall-clock expiry (past it the
// frame is never written). A kind byte lets the layer that defined a derived type
// recognise it again when the queue hands frames back (an event dropped from a
// slow reader's queue is counted against its channel).
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ringcast {

class SharedFrame {
public:
    // Priorities 0..10 are an event's (the publisher's `priority`, 5 by default).
    // kKeepPriority marks a frame that must never be dropped: HTTP responses, the
    // SSE handshake, anything else private to one connection.
    static constexpr uint8_t kMaxEventPriority = 10;
    static constexpr uint8_t kKeepPriority = 255;
    // kind(): 0 is a plain frame; a derived type picks its own value (pubsub/event.h).
    static constexpr uint8_t kPlainKind = 0;

    SharedFrame(const SharedFrame&) = delete;
    SharedFrame& operator=(const SharedFrame&) = delete;

    // Allocates a T (derived from SharedFrame) followed by `capacity` bytes.
    // The frame starts with one reference, owned by the caller.
    template <typename T = SharedFrame, typename... Args>
    static T* make(size_t capacity, Args&&... args) {
        static_assert(std::is_base_of_v<SharedFrame, T>);
        static_assert(std::is_trivially_destructible_v<T>,
                      "frames are freed without running destructors");
        void* mem = ::operator new(sizeof(T) + capacity);
        T* f = new (mem) T(std::forward<Args>(args)...);
        f->_base = uint32_t(sizeof(T));
        f->_capacity = uint32_t(capacity);
        return f;
    }

    // A private frame holding a copy of `bytes` (responses, handshakes). It is
    // never dropped from a queue unless given a lower `priority` (heartbeats).
    static SharedFrame* copy_of(std::string_view bytes, uint8_t priority = kKeepPriority) {
        SharedFrame* f = make(bytes.size());
        std::memcpy(f->writable(), bytes.data(), bytes.size());
        f->set_view(0, uint32_t(bytes.size()));
        f->_priority = priority;
        return f;
    }

    // The bytes that go on the wire.
    const char* data() const { return storage() + _offset; }
    uint32_t size() const { return _size; }
    std::string_view view() const { return {data(), _size}; }

    // Construction-time access, before the frame is shared.
    char* writable() { return const_cast<char*>(storage()); }
    uint32_t capacity() const { return _capacity; }
    void set_view(uint32_t offset, uint32_t size) {
        assert(offset + size <= _capacity);
        _offset = offset;
        _size = size;
    }
    // expires_at_ms: wall-clock ms after which the frame must not be written; 0: never.
    void set_delivery(uint8_t priority, int64_t expires_at_ms) {
        _priority = priority;
        _expires_at_ms = expires_at_ms;
    }

    // Delivery metadata, read by output queues (net/out_queue.h).
    uint8_t priority() const { return _priority; }
    bool keep() const { return _priority > kMaxEventPriority; }
    uint8_t kind() const { return _kind; }
    int64_t expires_at_ms() const { return _expires_at_ms; }
    bool expired(int64_t now_wall_ms) const {
        return _expires_at_ms != 0 && now_wall_ms > _expires_at_ms;
    }

    void retain(uint32_t n = 1) { _refs.fetch_add(n, std::memory_order_relaxed); }
    // Drops one reference; the last one frees the frame. acq_rel: the freeing
    // thread must see every write made before other threads let go.
    void release() {
        if (_refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            ::operator delete(static_cast<void*>(this));
        }
    }
    uint32_t ref_count() const { return _refs.load(std::memory_order_relaxed); }

protected:
    SharedFrame() = default;
    explicit SharedFrame(uint8_t kind) : _kind(kind) {}
    // All bytes after the object, wire view or not (derived types keep metadata there).
    const char* stored_bytes() const { return storage(); }

private:
    const char* storage() const { return reinterpret_cast<const char*>(this) + _base; }

    // 32 bytes (was 20): the delivery fields sit right after the offset and size
    // that a send reads anyway, within the same 32 bytes, so checking a frame's
    // expiry while gathering it, or its priority while queueing it, touches no
    // other memory. The two bytes after _kind are free; the expiry is 8-aligned
    // at 24.
    std::atomic<uint32_t> _refs{1};
    uint32_t _base = 0;                 // where the bytes start, relative to this
    uint32_t _capacity = 0;             // bytes allocated after the object
    uint32_t _offset = 0;               // start of the wire view inside the bytes
    uint32_t _size = 0;                 // length of the wire view
    uint8_t _priority = kKeepPriority;  // 0..10, or kKeepPriority: never dropped
    uint8_t _kind = kPlainKind;
    int64_t _expires_at_ms = 0;  // wall clock; 0: never
};
static_assert(sizeof(SharedFrame) == 32, "see the layout note above");

// A shard's handle on a SharedFrame: holds one shared reference and counts the
// shard's own users with a plain integer. Only the owning shard touches it.
struct LocalFrame {
    SharedFrame* frame = nullptr;
    uint32_t users = 0;
    LocalFrame* next_free = nullptr;
};

// Recycles LocalFrame objects so that wrapping an event costs no allocation in
// steady state. One pool per shard.
class LocalFramePool {
public:
    LocalFramePool() = default;
    LocalFramePool(const LocalFramePool&) = delete;
    LocalFramePool& operator=(const LocalFramePool&) = delete;
    ~LocalFramePool() {
        while (_free) {
            LocalFrame* n = _free->next_free;
            delete _free;
            _free = n;
        }
    }

    // Takes over one reference of `f`. The handle starts with zero users.
    LocalFrame* wrap(SharedFrame* f) {
        LocalFrame* lf = _free;
        if (lf) {
            _free = lf->next_free;
        } else {
            lf = new LocalFrame;
        }
        lf->frame = f;
        lf->users = 0;
        lf->next_free = nullptr;
        ++_live;
        return lf;
    }

    void add_user(LocalFrame* lf) { ++lf->users; }
    // Takes back a user the caller added itself while it still holds the handle
    // and will call drop_if_unused(): unlike drop_user() it never recycles, so a
    // fan-out can keep using lf after one queue dropped it again.
    void take_back_user(LocalFrame* lf) {
        assert(lf->users > 0);
        --lf->users;
    }

    // Drops one user; the last one gives the shared reference back.
    void drop_user(LocalFrame* lf) {
        assert(lf->users > 0);
        if (--lf->users == 0) recycle(lf);
    }

    // For a handle that ended up with no users at all (an event nobody here wanted).
    void drop_if_unused(LocalFrame* lf) {
        if (lf->users == 0) recycle(lf);
    }

    size_t live() const { return _live; }

private:
    void recycle(LocalFrame* lf) {
        lf->frame->release();
        lf->frame = nullptr;
        lf->next_free = _free;
        _free = lf;
        --_live;
    }

    LocalFrame* _free = nullptr;
    size_t _live = 0;
};

}  // namespace ringcast

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

    // A private frame holding a copy of `bytes` (responses, handshakes).
    static SharedFrame* copy_of(std::string_view bytes) {
        SharedFrame* f = make(bytes.size());
        std::memcpy(f->writable(), bytes.data(), bytes.size());
        f->set_view(0, uint32_t(bytes.size()));
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
    // All bytes after the object, wire view or not (derived types keep metadata there).
    const char* stored_bytes() const { return storage(); }

private:
    const char* storage() const { return reinterpret_cast<const char*>(this) + _base; }

    std::atomic<uint32_t> _refs{1};
    uint32_t _base = 0;      // where the bytes start, relative to this
    uint32_t _capacity = 0;  // bytes allocated after the object
    uint32_t _offset = 0;    // start of the wire view inside the bytes
    uint32_t _size = 0;      // length of the wire view
};

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

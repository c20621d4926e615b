#pragma once
// Frames for output-queue tests, wrapped in one shard's pool as the fan-out path
// builds them. The test keeps one shared reference of every frame, so refs(i)
// says whether a queue still holds it (2) or every queue has let go (1), and a
// frame is never freed under a check.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/frame.h"
#include "net/out_queue.h"

namespace ringcast::test {

class Frames {
public:
    explicit Frames(LocalFramePool& pool) : _pool(pool) {}
    ~Frames() {
        for (SharedFrame* f : _frames)
            f->release();
    }
    Frames(const Frames&) = delete;
    Frames& operator=(const Frames&) = delete;

    // A private frame (priority keep) with `users` users.
    LocalFrame* make(std::string_view bytes, uint32_t users = 1) {
        return make_with(bytes, SharedFrame::kKeepPriority, 0, users);
    }
    // A frame with a priority (0..10, or keep) and an expiry (0: never).
    LocalFrame* make_with(std::string_view bytes, uint8_t priority, int64_t expires_at_ms = 0,
                          uint32_t users = 1) {
        SharedFrame* f = SharedFrame::copy_of(bytes, priority);
        f->set_delivery(priority, expires_at_ms);
        f->retain();
        _frames.push_back(f);
        LocalFrame* lf = _pool.wrap(f);
        for (uint32_t i = 0; i < users; ++i)
            _pool.add_user(lf);
        return lf;
    }
    // "label" padded with '.' to `size` bytes, ending in '\n' (size > label + 1).
    LocalFrame* labelled(const std::string& label, size_t size, uint8_t priority,
                         int64_t expires_at_ms = 0, uint32_t users = 1) {
        return make_with(padded(label, size), priority, expires_at_ms, users);
    }
    static std::string padded(const std::string& label, size_t size) {
        std::string s = label;
        s.resize(size - 1, '.');
        return s + "\n";
    }

    uint32_t refs(size_t i) const { return _frames[i]->ref_count(); }
    size_t size() const { return _frames.size(); }

private:
    LocalFramePool& _pool;
    std::vector<SharedFrame*> _frames;
};

// The labels of the frames queued, in order (everything gathered, nothing
// expired: now = 0), the unsent part of a partly written first frame included.
inline std::vector<std::string> queued_labels(const OutQueue& q) {
    std::vector<iovec> iov(q.count() + 1);
    size_t total = 0;
    unsigned n = q.gather(iov.data(), unsigned(iov.size()), &total, 0);
    std::vector<std::string> out;
    for (unsigned i = 0; i < n; ++i) {
        std::string_view s(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
        out.emplace_back(s.substr(0, s.find('.')));
    }
    return out;
}

// The labels of frames a queue handed back.
inline std::vector<std::string> labels_of(const std::vector<LocalFrame*>& v) {
    std::vector<std::string> out;
    for (const LocalFrame* lf : v) {
        std::string_view s = lf->frame->view();
        out.emplace_back(s.substr(0, s.find('.')));
    }
    return out;
}

// Drops the users a queue handed back with its removed frames.
inline void release_all(RemovedFrames& r, LocalFramePool& pool) {
    for (LocalFrame* lf : r.dropped)
        pool.drop_user(lf);
    for (LocalFrame* lf : r.expired)
        pool.drop_user(lf);
    r.clear();
}

}  // namespace ringcast::test
